/**
 * Expected outcomes as values. A domain function that can fail for a reason the caller
 * must handle (insufficient funds, bid below band, auction closed) returns a `Result`;
 * broken invariants throw `InvariantError` instead (see money.ts).
 */
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
