/**
 * Expected outcomes as values. A domain function that can fail for a reason the caller
 * must handle (insufficient funds, bid below band, auction closed) returns a `Result`;
 * broken invariants throw `InvariantError` instead (see money.ts).
 */
import type { ZodError, ZodType } from "zod";
import type { ErrorCode } from "./errors";

export type Ok<T> = { readonly ok: true; readonly value: T };
export type Failure = {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly detail: string;
  /** JSON pointer-ish path of the offending input field, when one field is to blame. */
  readonly field?: string;
};
export type Result<T> = Ok<T> | Failure;

export function ok<T>(value: T): Ok<T> {
  return { ok: true, value };
}

export function fail(code: ErrorCode, detail: string, field?: string): Failure {
  return field === undefined ? { ok: false, code, detail } : { ok: false, code, detail, field };
}

/** One field problem: the dotted path of the offending input and what is wrong with it. */
export type FieldProblem = { readonly field: string; readonly detail: string };

/**
 * The service's one reading of zod issues: each issue as a field problem, its path dotted under
 * `prefix` (an unknown key names the key itself). At most 50, so a hostile body cannot make the
 * answer large.
 */
export function zodProblems(error: ZodError, prefix = ""): FieldProblem[] {
  return error.issues.slice(0, 50).map((issue) => {
    const keys = issue.code === "unrecognized_keys" ? (issue as { keys?: string[] }).keys : undefined;
    const field = [prefix, issue.path.map(String).join("."), keys ? keys.join(",") : ""]
      .filter(Boolean)
      .join(".");
    return { field: field || prefix || "input", detail: issue.message };
  });
}

/**
 * A VALIDATION_FAILED failure naming the first problem: `<context>: <field>: <message>` (bounded to
 * 200 characters), with the field as the failure's field unless `field` overrides it.
 */
export function zodFailure(
  error: ZodError,
  options: { context?: string; prefix?: string; field?: string } = {},
): Failure {
  const first = zodProblems(error, options.prefix)[0] ?? {
    field: options.prefix || "input",
    detail: "invalid",
  };
  const detail = [options.context, first.field, first.detail].filter(Boolean).join(": ").slice(0, 200);
  return fail("VALIDATION_FAILED", detail, options.field ?? first.field);
}

/** Parses `input` with `schema`: the value, or the failure naming the first problem. */
export function parseWith<T>(
  schema: ZodType<T>,
  input: unknown,
  options?: { context?: string; prefix?: string; field?: string },
): Result<T> {
  const parsed = schema.safeParse(input);
  return parsed.success ? ok(parsed.data) : zodFailure(parsed.error, options);
}
