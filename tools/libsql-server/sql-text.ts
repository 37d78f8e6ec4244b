/**
 * Lexical analysis of SQL text, done in JavaScript because the `libsql` package silently prepares
 * only the first statement of a multi-statement string and exposes neither the parameter names nor
 * the parameter count of a prepared statement.
 *
 * - `splitStatements` cuts a text into statements the way SQLite's `sqlite3_complete()` decides
 *   where a statement ends (semicolons inside strings, comments and `CREATE TRIGGER … END` bodies
 *   do not end a statement).
 * - For every statement it also numbers the host parameters exactly as SQLite does
 *   (`?` = next index, `?NNN` = index NNN, `:a`/`@a`/`$a` = first occurrence takes the next index),
 *   so that positional and named arguments can be bound by index.
 */

/** One statement of an SQL text. */
export interface SqlStatement {
  /** The statement text, from its first token up to and including its terminating semicolon. */
  readonly sql: string;
  /** Parameter names by index: `params[i]` names parameter `i + 1`; `null` for `?` and for unused indexes. */
  readonly params: readonly (string | null)[];
  /** `referenced[i]`: some token refers to parameter `i + 1` (false for gaps left below a `?NNN`). */
  readonly referenced: readonly boolean[];
  /** True if the first keyword is `EXPLAIN`. */
  readonly isExplain: boolean;
  /** True for libSQL's `BEGIN [TRANSACTION] READONLY` (what `@libsql/client` sends for `transaction("read")`). */
  readonly isBeginReadonly: boolean;
}

/** Largest parameter index SQLite accepts (SQLITE_MAX_VARIABLE_NUMBER default). */
export const SQL_PARAMETER_INDEX_MAX = 32_766;

type TokenKind = "space" | "semi" | "word" | "variable" | "other";

interface Token {
  readonly kind: TokenKind;
  readonly start: number;
  readonly end: number;
}

/** Classes that drive the statement-boundary state machine. */
type TokenClass = "semi" | "other" | "explain" | "create" | "temp" | "trigger" | "end";

/**
 * States of the boundary machine: between statements, inside an ordinary statement, after EXPLAIN,
 * after CREATE [TEMP], inside a trigger body, right after a `;` in a trigger body, after `; END`.
 */
type State = "start" | "normal" | "explain" | "create" | "trigger" | "semi" | "end";

const KEYWORD_CLASSES: ReadonlyMap<string, TokenClass> = new Map<string, TokenClass>([
  ["EXPLAIN", "explain"],
  ["CREATE", "create"],
  ["TEMP", "temp"],
  ["TEMPORARY", "temp"],
  ["TRIGGER", "trigger"],
  ["END", "end"],
]);

function nextState(state: State, cls: TokenClass): State {
  switch (state) {
    case "start":
      if (cls === "semi") return "start";
      if (cls === "explain") return "explain";
      if (cls === "create") return "create";
      return "normal";
    case "normal":
      return cls === "semi" ? "start" : "normal";
    case "explain":
      if (cls === "semi") return "start";
      if (cls === "other") return "explain";
      if (cls === "create") return "create";
      return "normal";
    case "create":
      if (cls === "semi") return "start";
      if (cls === "temp") return "create";
      if (cls === "trigger") return "trigger";
      return "normal";
    case "trigger":
      return cls === "semi" ? "semi" : "trigger";
    case "semi":
      if (cls === "semi") return "semi";
      if (cls === "end") return "end";
      return "trigger";
    case "end":
      return cls === "semi" ? "start" : "trigger";
  }
}

function isSpace(c: number): boolean {
  // SQLite's sqlite3Isspace: \t \n \v \f \r and space.
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** First character of an unquoted identifier. */
function isIdStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80;
}

/** Any later character of an unquoted identifier (SQLite's IdChar: letters, digits, `_`, `$`, non-ASCII). */
function isIdChar(c: number): boolean {
  return isIdStart(c) || isDigit(c) || c === 0x24;
}

/** Returns the index just past the closing `quote`, treating a doubled quote as an escape. */
function skipQuoted(sql: string, start: number, quote: number): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql.charCodeAt(i) === quote) {
      if (sql.charCodeAt(i + 1) === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length; // unterminated: SQLite reports it when preparing
}

function readToken(sql: string, i: number): Token {
  const c = sql.charCodeAt(i);
  const n = sql.length;
  if (isSpace(c)) {
    let j = i + 1;
    while (j < n && isSpace(sql.charCodeAt(j))) j++;
    return { kind: "space", start: i, end: j };
  }
  if (c === 0x2d && sql.charCodeAt(i + 1) === 0x2d) {
    // -- comment to end of line
    let j = i + 2;
    while (j < n && sql.charCodeAt(j) !== 0x0a) j++;
    return { kind: "space", start: i, end: j };
  }
  if (c === 0x2f && sql.charCodeAt(i + 1) === 0x2a) {
    // /* comment */ (an unterminated one runs to the end of the text, as in SQLite)
    const close = sql.indexOf("*/", i + 2);
    return { kind: "space", start: i, end: close < 0 ? n : close + 2 };
  }
  if (c === 0x3b) return { kind: "semi", start: i, end: i + 1 };
  if (c === 0x27 || c === 0x22 || c === 0x60) {
    // 'string', "identifier", `identifier`
    return { kind: "other", start: i, end: skipQuoted(sql, i, c) };
  }
  if (c === 0x5b) {
    // [identifier]
    const close = sql.indexOf("]", i + 1);
    return { kind: "other", start: i, end: close < 0 ? n : close + 1 };
  }
  if (c === 0x3f) {
    // ? or ?NNN
    let j = i + 1;
    while (j < n && isDigit(sql.charCodeAt(j))) j++;
    return { kind: "variable", start: i, end: j };
  }
  if (c === 0x3a || c === 0x40 || c === 0x24) {
    // :name @name $name, with SQLite's Tcl-style extensions `::` and a `(...)` suffix
    let j = i + 1;
    let idChars = 0;
    while (j < n) {
      const d = sql.charCodeAt(j);
      if (isIdChar(d)) {
        idChars++;
        j++;
      } else if (d === 0x28 && idChars > 0) {
        let k = j + 1;
        while (k < n && !isSpace(sql.charCodeAt(k)) && sql.charCodeAt(k) !== 0x29) k++;
        if (sql.charCodeAt(k) !== 0x29) return { kind: "other", start: i, end: k };
        j = k + 1;
        break;
      } else if (d === 0x3a && sql.charCodeAt(j + 1) === 0x3a) {
        j += 2;
      } else {
        break;
      }
    }
    if (idChars === 0) return { kind: "other", start: i, end: Math.max(j, i + 1) };
    return { kind: "variable", start: i, end: j };
  }
  if (isDigit(c) || (c === 0x2e && isDigit(sql.charCodeAt(i + 1)))) {
    // numeric literal (its exact shape does not matter here, only that it is one token)
    let j = i + 1;
    while (j < n) {
      const d = sql.charCodeAt(j);
      const prev = sql.charCodeAt(j - 1);
      if (isIdChar(d) || d === 0x2e) j++;
      else if ((d === 0x2b || d === 0x2d) && (prev === 0x65 || prev === 0x45)) j++;
      else break;
    }
    return { kind: "other", start: i, end: j };
  }
  if (isIdStart(c)) {
    let j = i + 1;
    while (j < n && isIdChar(sql.charCodeAt(j))) j++;
    return { kind: "word", start: i, end: j };
  }
  return { kind: "other", start: i, end: i + 1 };
}

function classify(sql: string, token: Token): TokenClass {
  if (token.kind === "semi") return "semi";
  if (token.kind !== "word" || token.end - token.start > 9) return "other";
  return KEYWORD_CLASSES.get(sql.slice(token.start, token.end).toUpperCase()) ?? "other";
}

/** Numbers the parameters of one statement the way SQLite's parser does. */
class ParamNumbering {
  readonly names: (string | null)[] = [];
  readonly referenced: boolean[] = [];
  private readonly byName = new Map<string, number>();

  add(name: string): void {
    if (name === "?") {
      this.names.push(null);
      this.referenced.push(true);
      return;
    }
    if (name.startsWith("?")) {
      const index = Number(name.slice(1));
      // An out-of-range index is rejected by SQLite when preparing; ignore it here.
      if (!Number.isSafeInteger(index) || index < 1 || index > SQL_PARAMETER_INDEX_MAX) return;
      while (this.names.length < index) {
        this.names.push(null);
        this.referenced.push(false);
      }
      if (this.names[index - 1] === null) this.names[index - 1] = name;
      this.referenced[index - 1] = true;
      return;
    }
    if (this.byName.has(name)) return;
    this.names.push(name);
    this.referenced.push(true);
    this.byName.set(name, this.names.length);
  }
}

function isBeginReadonly(words: readonly string[]): boolean {
  return words[0] === "BEGIN" && words.includes("READONLY");
}

/** Splits an SQL text into its non-empty statements. Never throws: malformed SQL is left for SQLite to reject. */
export function splitStatements(sql: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  let state: State = "start";
  let stmtStart = 0;
  let isExplain = false;
  let leadingWords: string[] = [];
  let params = new ParamNumbering();
  let i = 0;
  while (i < sql.length) {
    const token = readToken(sql, i);
    i = token.end;
    if (token.kind === "space") continue;
    const cls = classify(sql, token);
    if (state === "start" && cls !== "semi") {
      stmtStart = token.start;
      isExplain = cls === "explain";
      leadingWords = [];
      params = new ParamNumbering();
    }
    if (token.kind === "word" && leadingWords.length < 4) {
      leadingWords.push(sql.slice(token.start, token.end).toUpperCase());
    }
    if (token.kind === "variable") params.add(sql.slice(token.start, token.end));
    const next = nextState(state, cls);
    if (cls === "semi" && next === "start" && state !== "start") {
      statements.push({
        sql: sql.slice(stmtStart, token.end),
        params: params.names,
        referenced: params.referenced,
        isExplain,
        isBeginReadonly: isBeginReadonly(leadingWords),
      });
    }
    state = next;
  }
  if (state !== "start") {
    statements.push({
      sql: sql.slice(stmtStart).trimEnd(),
      params: params.names,
      referenced: params.referenced,
      isExplain,
      isBeginReadonly: isBeginReadonly(leadingWords),
    });
  }
  return statements;
}
