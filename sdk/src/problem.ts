/**
 * The two ways a call fails: the API answered with RFC 9457 problem details (`ProblemError`), or
 * no answer came at all (`NetworkError`: refused, reset, DNS, aborted).
 */
import type { components } from "./schema.js";

/** Problem details as the API documents them (`components.schemas.Problem`). */
export type Problem = components["schemas"]["Problem"];

/** One field the API refused, named as the request spelled it (`slices`, `query.minMemGb`). */
export type FieldProblem = { readonly field: string; readonly detail: string };

/** Whether `value` has the shape of the API's problem details. */
export function isProblem(value: unknown): value is Problem {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.type === "string" &&
    typeof candidate.title === "string" &&
    typeof candidate.status === "number" &&
    typeof candidate.code === "string"
  );
}

/** The seconds a `Retry-After` header asks for, when it holds a number. */
function retryAfterSecondsOf(response: Response): number | null {
  const header = response.headers.get("retry-after");
  if (header === null || !/^[0-9]{1,9}$/.test(header.trim())) return null;
  return Number(header.trim());
}

/** Problem details for an answer that had none (a proxy's HTML page, an empty body). */
function problemFromStatus(response: Response, body: unknown): Problem {
  const text = typeof body === "string" ? body.trim().slice(0, 200) : "";
  return {
    type: "about:blank",
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    detail: text.length > 0 ? text : `The server answered ${response.status} without problem details`,
    instance: new URL(response.url || "http://invalid/").pathname,
    code: `HTTP_${response.status}`,
    requestId: response.headers.get("x-request-id"),
  };
}

/**
 * A non-2xx answer of the API. `code` is the stable SCREAMING_SNAKE code to branch on, `errors`
 * names each refused field, `requestId` is what to quote when asking for help.
 */
export class ProblemError extends Error {
  override readonly name = "ProblemError";
  /** The problem details as received (or built from the status when the body had none). */
  readonly problem: Problem;
  readonly status: number;
  readonly code: string;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: readonly FieldProblem[];
  readonly requestId: string | null;
  /** From `Retry-After` (429, 503): how long to wait before retrying, in seconds. */
  readonly retryAfterSeconds: number | null;

  constructor(problem: Problem, retryAfterSeconds: number | null = null) {
    super(`${problem.title} (${problem.code}, HTTP ${problem.status}): ${problem.detail}`);
    this.problem = problem;
    this.status = problem.status;
    this.code = problem.code;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
    this.requestId = problem.requestId;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** From a response and its parsed body (openapi-fetch's `error`). */
  static from(response: Response, body: unknown): ProblemError {
    const problem = isProblem(body) ? body : problemFromStatus(response, body);
    return new ProblemError(problem, retryAfterSecondsOf(response));
  }

  /** The field problem for `field`, if the API named it. */
  fieldError(field: string): FieldProblem | undefined {
    return this.errors.find((error) => error.field === field);
  }
}

/** No answer from the API: the request may or may not have reached it (retry with the same key). */
export class NetworkError extends Error {
  override readonly name = "NetworkError";
  readonly method: string;
  readonly url: string;

  constructor(method: string, url: string, cause: unknown) {
    const reason = cause instanceof Error ? (cause.cause instanceof Error ? cause.cause : cause).message : "";
    super(`${method} ${url} got no answer${reason ? `: ${reason}` : ""}`, { cause });
    this.method = method;
    this.url = url;
  }
}
