/** The CLI's exit codes and the error that means "the command line itself was wrong". */

export const exitCodes = {
  ok: 0,
  /** The API answered with problem details (4xx): the request was refused. */
  refused: 1,
  /** The command line was wrong: unknown command or flag, missing argument, bad config. */
  usage: 2,
  /** No answer from the service, or it could not serve (5xx: down, database unavailable). */
  unreachable: 3,
} as const;

/** A mistake in the command line or the configuration: exit 2 with the message and usage. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
