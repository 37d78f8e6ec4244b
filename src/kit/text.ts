/**
 * The characters free text from outside may not carry. Shared by the HTTP schemas
 * (src/kit/http/schemas.ts `textField`) and the webhook payload schemas, so one rule decides.
 */

/**
 * Whether a UTF-16 code unit may not appear in free text: C0 controls (NUL included: the database
 * refuses it), DEL and C1 controls, and the bidirectional embedding, override and isolate
 * controls (U+202A–U+202E, U+2066–U+2069), which make a name display as something it is not.
 */
function isRefusedTextUnit(unit: number): boolean {
  return (
    unit <= 0x1f ||
    (unit >= 0x7f && unit <= 0x9f) ||
    (unit >= 0x202a && unit <= 0x202e) ||
    (unit >= 0x2066 && unit <= 0x2069)
  );
}

/** Whether `text` holds none of the characters free text refuses (see `isRefusedTextUnit`). */
export function isSafeText(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    if (isRefusedTextUnit(text.charCodeAt(index))) return false;
  }
  return true;
}

/** The message of a refusal, for schemas. */
export const unsafeTextMessage =
  "must not contain control characters (such as NUL) or bidirectional formatting characters";
