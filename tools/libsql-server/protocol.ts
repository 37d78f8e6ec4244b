/**
 * Hrana v2 over HTTP, JSON encoding: request validation (into typed requests with ready-to-bind
 * values) and the response shapes. Spec: libsql docs HTTP_V2_SPEC.md and HRANA_2_SPEC.md /
 * HRANA_3_SPEC.md (for `get_autocommit` and the `is_autocommit` batch condition).
 */

import type { SqlValue } from "./libsql-types.ts";
import { BATCH_COND_DEPTH_MAX } from "./limits.ts";

/** A malformed request body: answered with HTTP 400 and `{ message, code }`, nothing is executed. */
export class ProtocolError extends Error {
  readonly code: string;
  constructor(message: string, code = "PROTOCOL_ERROR") {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
  }
}

/** An error reported inside a pipeline result or batch step (`{ message, code }`). */
export class HranaError extends Error {
  readonly code: string;
  readonly extendedCode: string | undefined;
  readonly rawCode: number | undefined;
  constructor(message: string, code: string, extendedCode?: string, rawCode?: number) {
    super(message);
    this.name = "HranaError";
    this.code = code;
    this.extendedCode = extendedCode;
    this.rawCode = rawCode;
  }
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

export interface NamedArg {
  readonly name: string;
  readonly value: SqlValue;
}

export interface StmtReq {
  readonly sql: string | undefined;
  readonly sqlId: number | undefined;
  readonly args: readonly SqlValue[];
  readonly namedArgs: readonly NamedArg[];
  readonly wantRows: boolean;
}

export type BatchCond =
  | { readonly type: "ok"; readonly step: number }
  | { readonly type: "error"; readonly step: number }
  | { readonly type: "not"; readonly cond: BatchCond }
  | { readonly type: "and"; readonly conds: readonly BatchCond[] }
  | { readonly type: "or"; readonly conds: readonly BatchCond[] }
  | { readonly type: "is_autocommit" };

export interface BatchStep {
  readonly condition: BatchCond | undefined;
  readonly stmt: StmtReq;
}

export type StreamRequest =
  | { readonly type: "close" }
  | { readonly type: "execute"; readonly stmt: StmtReq }
  | { readonly type: "batch"; readonly steps: readonly BatchStep[] }
  | { readonly type: "sequence"; readonly sql: string | undefined; readonly sqlId: number | undefined }
  | { readonly type: "describe"; readonly sql: string | undefined; readonly sqlId: number | undefined }
  | { readonly type: "store_sql"; readonly sqlId: number; readonly sql: string }
  | { readonly type: "close_sql"; readonly sqlId: number }
  | { readonly type: "get_autocommit" };

export interface PipelineRequest {
  readonly baton: string | null;
  readonly requests: readonly StreamRequest[];
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

export type ValueJson =
  | { type: "null" }
  | { type: "integer"; value: string }
  | { type: "float"; value: unknown }
  | { type: "text"; value: string }
  | { type: "blob"; base64: string };

export interface ColJson {
  name: string | null;
  decltype: string | null;
}

export interface StmtResultJson {
  cols: ColJson[];
  rows: ValueJson[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
}

export interface ErrorJson {
  message: string;
  code: string;
  /** Extra, ignored by clients: the SQLite extended result code name and number. */
  extended_code?: string;
  raw_code?: number;
}

export interface BatchResultJson {
  step_results: (StmtResultJson | null)[];
  step_errors: (ErrorJson | null)[];
}

export interface DescribeResultJson {
  params: { name: string | null }[];
  cols: { name: string; decltype: string | null }[];
  is_explain: boolean;
  is_readonly: boolean;
}

export type StreamResponseJson =
  | { type: "close" }
  | { type: "execute"; result: StmtResultJson }
  | { type: "batch"; result: BatchResultJson }
  | { type: "sequence" }
  | { type: "describe"; result: DescribeResultJson }
  | { type: "store_sql" }
  | { type: "close_sql" }
  | { type: "get_autocommit"; is_autocommit: boolean };

export type StreamResultJson =
  | { type: "ok"; response: StreamResponseJson }
  | { type: "error"; error: ErrorJson };

export interface PipelineResponseJson {
  baton: string | null;
  base_url: string | null;
  results: StreamResultJson[];
}

export function errorJson(error: HranaError): ErrorJson {
  const json: ErrorJson = { message: error.message, code: error.code };
  if (error.extendedCode !== undefined) json.extended_code = error.extendedCode;
  if (error.rawCode !== undefined) json.raw_code = error.rawCode;
  return json;
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER_TEXT = /^-?\d{1,20}$/;
const BASE64_TEXT = /^(?:[A-Za-z0-9+/]*={0,2}|[A-Za-z0-9_-]*)$/;

/** `JSON.rawJSON` (V8 ≥ 11.4, Node ≥ 21): lets ±Infinity and -0 travel as JSON numbers (`1e999`, `-0`). */
const rawJson = (JSON as unknown as { rawJSON?: (text: string) => unknown }).rawJSON;

function floatJson(value: number): unknown {
  if (Number.isFinite(value) && !Object.is(value, -0)) return value;
  if (rawJson === undefined) return Number.isFinite(value) ? 0 : null;
  if (Number.isNaN(value)) return null; // SQLite has no NaN (it stores NULL); kept for completeness
  if (Object.is(value, -0)) return rawJson("-0");
  return rawJson(value > 0 ? "1e999" : "-1e999");
}

/** Converts a value read from SQLite (safe integers on) into its Hrana JSON form. */
export function valueToJson(value: unknown): ValueJson {
  if (value === null || value === undefined) return { type: "null" };
  if (typeof value === "bigint") return { type: "integer", value: value.toString() };
  if (typeof value === "number") return { type: "float", value: floatJson(value) };
  if (typeof value === "string") return { type: "text", value };
  if (value instanceof Uint8Array) {
    return {
      type: "blob",
      base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64"),
    };
  }
  throw new HranaError(`Unsupported value of type ${typeof value} returned by SQLite`, "INTERNAL_ERROR");
}

function parseValue(input: unknown, path: string): SqlValue {
  const obj = expectObject(input, path);
  const type = obj.type;
  switch (type) {
    case "null":
      return null;
    case "integer": {
      const raw = obj.value;
      let int: bigint;
      if (typeof raw === "string" && INTEGER_TEXT.test(raw)) int = BigInt(raw);
      else if (typeof raw === "number" && Number.isSafeInteger(raw)) int = BigInt(raw);
      else throw new ProtocolError(`${path}.value: expected a 64-bit integer as a decimal string`);
      if (int < INT64_MIN || int > INT64_MAX) {
        throw new ProtocolError(`${path}.value: integer out of the 64-bit signed range`);
      }
      return int;
    }
    case "float": {
      const raw = obj.value;
      if (typeof raw !== "number") throw new ProtocolError(`${path}.value: expected a number`);
      return raw;
    }
    case "text": {
      const raw = obj.value;
      if (typeof raw !== "string") throw new ProtocolError(`${path}.value: expected a string`);
      return raw;
    }
    case "blob": {
      const raw = obj.base64;
      if (typeof raw !== "string" || !BASE64_TEXT.test(raw)) {
        throw new ProtocolError(`${path}.base64: expected a base64 string`);
      }
      return Buffer.from(raw, "base64");
    }
    default:
      throw new ProtocolError(`${path}.type: unknown value type ${JSON.stringify(type)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Request parsing
// ---------------------------------------------------------------------------------------------

type JsonObject = { readonly [key: string]: unknown };

function expectObject(input: unknown, path: string): JsonObject {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new ProtocolError(`${path}: expected an object`);
  }
  return input as JsonObject;
}

function expectArray(input: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(input)) throw new ProtocolError(`${path}: expected an array`);
  return input;
}

function optionalArray(input: unknown, path: string): readonly unknown[] {
  return input === undefined || input === null ? [] : expectArray(input, path);
}

function expectString(input: unknown, path: string): string {
  if (typeof input !== "string") throw new ProtocolError(`${path}: expected a string`);
  return input;
}

function optionalString(input: unknown, path: string): string | undefined {
  return input === undefined || input === null ? undefined : expectString(input, path);
}

function expectInt32(input: unknown, path: string): number {
  if (typeof input !== "number" || !Number.isInteger(input) || input < -(2 ** 31) || input >= 2 ** 31) {
    throw new ProtocolError(`${path}: expected a 32-bit integer`);
  }
  return input;
}

function optionalInt32(input: unknown, path: string): number | undefined {
  return input === undefined || input === null ? undefined : expectInt32(input, path);
}

function expectStepIndex(input: unknown, path: string): number {
  if (typeof input !== "number" || !Number.isInteger(input) || input < 0 || input >= 2 ** 32) {
    throw new ProtocolError(`${path}: expected a step index (unsigned 32-bit integer)`);
  }
  return input;
}

/** `sql` xor `sql_id`, as the spec requires. */
function parseSqlRef(obj: JsonObject, path: string): { sql: string | undefined; sqlId: number | undefined } {
  const sql = optionalString(obj.sql, `${path}.sql`);
  const sqlId = optionalInt32(obj.sql_id, `${path}.sql_id`);
  if (sql === undefined && sqlId === undefined) {
    throw new ProtocolError(`${path}: one of "sql" and "sql_id" is required`);
  }
  if (sql !== undefined && sqlId !== undefined) {
    throw new ProtocolError(`${path}: "sql" and "sql_id" must not both be given`);
  }
  return { sql, sqlId };
}

function parseStmt(input: unknown, path: string): StmtReq {
  const obj = expectObject(input, path);
  const { sql, sqlId } = parseSqlRef(obj, path);
  const args = optionalArray(obj.args, `${path}.args`).map((v, i) => parseValue(v, `${path}.args[${i}]`));
  const namedArgs = optionalArray(obj.named_args, `${path}.named_args`).map((v, i) => {
    const argPath = `${path}.named_args[${i}]`;
    const arg = expectObject(v, argPath);
    return {
      name: expectString(arg.name, `${argPath}.name`),
      value: parseValue(arg.value, `${argPath}.value`),
    };
  });
  const wantRows = obj.want_rows;
  if (wantRows !== undefined && wantRows !== null && typeof wantRows !== "boolean") {
    throw new ProtocolError(`${path}.want_rows: expected a boolean`);
  }
  return { sql, sqlId, args, namedArgs, wantRows: wantRows !== false };
}

function parseCond(input: unknown, path: string, depth: number): BatchCond {
  if (depth > BATCH_COND_DEPTH_MAX) throw new ProtocolError(`${path}: conditions nested too deeply`);
  const obj = expectObject(input, path);
  switch (obj.type) {
    case "ok":
      return { type: "ok", step: expectStepIndex(obj.step, `${path}.step`) };
    case "error":
      return { type: "error", step: expectStepIndex(obj.step, `${path}.step`) };
    case "not":
      return { type: "not", cond: parseCond(obj.cond, `${path}.cond`, depth + 1) };
    case "and":
    case "or": {
      const conds = expectArray(obj.conds, `${path}.conds`).map((c, i) =>
        parseCond(c, `${path}.conds[${i}]`, depth + 1),
      );
      return { type: obj.type, conds };
    }
    case "is_autocommit":
      return { type: "is_autocommit" };
    default:
      throw new ProtocolError(`${path}.type: unknown batch condition ${JSON.stringify(obj.type)}`);
  }
}

function parseRequest(input: unknown, path: string): StreamRequest {
  const obj = expectObject(input, path);
  switch (obj.type) {
    case "close":
      return { type: "close" };
    case "execute":
      return { type: "execute", stmt: parseStmt(obj.stmt, `${path}.stmt`) };
    case "batch": {
      const batch = expectObject(obj.batch, `${path}.batch`);
      const steps = expectArray(batch.steps, `${path}.batch.steps`).map((s, i) => {
        const stepPath = `${path}.batch.steps[${i}]`;
        const step = expectObject(s, stepPath);
        const condition =
          step.condition === undefined || step.condition === null
            ? undefined
            : parseCond(step.condition, `${stepPath}.condition`, 1);
        return { condition, stmt: parseStmt(step.stmt, `${stepPath}.stmt`) };
      });
      return { type: "batch", steps };
    }
    case "sequence":
    case "describe":
      return { type: obj.type, ...parseSqlRef(obj, path) };
    case "store_sql":
      return {
        type: "store_sql",
        sqlId: expectInt32(obj.sql_id, `${path}.sql_id`),
        sql: expectString(obj.sql, `${path}.sql`),
      };
    case "close_sql":
      return { type: "close_sql", sqlId: expectInt32(obj.sql_id, `${path}.sql_id`) };
    case "get_autocommit":
      return { type: "get_autocommit" };
    default:
      throw new ProtocolError(`${path}.type: unknown request type ${JSON.stringify(obj.type)}`);
  }
}

/** Validates a whole `POST /v2/pipeline` body. Throws ProtocolError; executes nothing. */
export function parsePipelineBody(body: unknown): PipelineRequest {
  const obj = expectObject(body, "body");
  const baton = obj.baton === undefined || obj.baton === null ? null : expectString(obj.baton, "baton");
  const requests = expectArray(obj.requests, "requests").map((r, i) => parseRequest(r, `requests[${i}]`));
  return { baton, requests };
}
