// Untrusted text made safe to show a human. File names, entry names and families, case ids,
// examiner, notes, paths and messages come from evidence, from libraries other labs made and from
// case files; printed raw, a name holding a newline, a carriage return, an ANSI escape sequence or
// a bidi override can forge output: a fake "Folder: …" or "VERIFIED" line in the terminal, or a
// name that reads backwards. Every human-readable output (CLI, app, PDF report) shows such text
// through these functions; JSON keeps the exact text (it is data), see displayJson.
//
// Escaped characters (Unicode general categories): controls Cc (C0, DEL, C1: \n, \r, \t, ESC …),
// format characters Cf (bidi embeddings, overrides, isolates and marks such as U+202E, zero-width
// characters, the soft hyphen, the BOM), the line and paragraph separators Zl and Zp, and lone
// surrogates Cs. Everything else, accents and other scripts included, is shown as it is.

/** One character that displayText and displayProse write as an escape. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const UNPRINTABLE_ALL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

const hex = (cp: number, digits: number) => cp.toString(16).toUpperCase().padStart(digits, '0');

/** \n, \r, \t; \xHH up to U+00FF; \uHHHH in the BMP; \u{HHHHH} above it (as in JavaScript). */
function escape(ch: string): string {
  if (ch === '\n') return '\\n';
  if (ch === '\r') return '\\r';
  if (ch === '\t') return '\\t';
  const cp = ch.codePointAt(0)!;
  if (cp <= 0xff) return `\\x${hex(cp, 2)}`;
  if (cp <= 0xffff) return `\\u${hex(cp, 4)}`;
  return `\\u{${hex(cp, 5)}}`;
}

/**
 * A name (file, entry, case id, path) as it is shown to a human, unambiguously:
 * - a text with no character to escape that does not start with `"` is shown as it is
 *   (`IMG_0001.png`, `C:\cases\0412`, `portrait_été.png`);
 * - any other text is shown in double quotes, with `\` written `\\`, `"` written `\"` and each
 *   character to escape as in JavaScript: `"a.png\nFolder: x"`, `"\x1B[2K"`, `"photo\u202Egnp.jpg"`.
 * So a shown name starting with `"` is always a quoted, escaped one, and two different names never
 * look alike. Apply it once, to the raw text, where it is printed.
 */
export function displayText(text: string): string {
  return UNPRINTABLE.test(text) || text.startsWith('"') ? quotedText(text) : text;
}

/**
 * A name in double quotes, escaped as displayText escapes a quoted name (`\\`, `\"`, `\n`, …),
 * for wording that always quotes names: `real reference "ffhq-real"`.
 */
export function quotedText(text: string): string {
  let out = '"';
  for (const ch of text) out += ch === '\\' ? '\\\\' : ch === '"' ? '\\"' : UNPRINTABLE.test(ch) ? escape(ch) : ch;
  return `${out}"`;
}

/**
 * Free text that may carry untrusted parts (notes, messages, an explanation that quotes entry
 * names): each character to escape is written in place as in displayText (`\n`, `\x1B`,
 * `\u202E`), without quotes. The result has no such character left, so applying it twice changes
 * nothing.
 */
export function displayProse(text: string): string {
  return text.replace(UNPRINTABLE_ALL, escape);
}

/**
 * JSON for a terminal: JSON.stringify with every character displayText escapes written as a JSON
 * \u escape (JSON.stringify itself leaves DEL, C1 controls, format characters and the separators
 * raw). Parsing it gives back the exact text.
 */
export function displayJson(value: unknown): string {
  // C0 controls in strings are already escaped by JSON.stringify; outside strings they are the
  // indentation's newlines, which stay.
  return JSON.stringify(value, null, 2).replace(/[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu, (ch) =>
    Array.from({ length: ch.length }, (_, i) => `\\u${hex(ch.charCodeAt(i), 4).toLowerCase()}`).join(''),
  );
}
