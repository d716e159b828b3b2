// The one JSON text a statement takes all its rows in (json_to_recordset): what PostgreSQL reads
// from it is what node-postgres would have sent for each value as a parameter of its own.

/**
 * A lone surrogate escape in JSON.stringify's output: `\udXXX` after an even number of
 * backslashes (so not an escaped backslash followed by `ud…`). JSON.stringify writes a surrogate
 * pair as its characters and escapes only a lone surrogate, so every such escape is one.
 */
const LONE_SURROGATE_ESCAPE = /(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `text` as PostgreSQL stores it when sent by node-postgres: each lone surrogate as U+FFFD. */
export function asStored(text: string): string {
  return text.replace(LONE_SURROGATE, '\ufffd');
}

/**
 * `value` as JSON text for a `$n::json` parameter. A lone surrogate in a string becomes U+FFFD,
 * as node-postgres writes it in a parameter of its own (as UTF-8): PostgreSQL refuses its escape
 * in JSON (22P02, "invalid input syntax for type json"), which failed the whole write, and a read
 * by the same string (findRun by workflow id, findTasks by task queue) finds the value so stored.
 * JSON texts nested in `value` (a state, events) keep theirs: escaped once more, they are text.
 */
export function jsonParam(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes('\\ud') ? text.replace(LONE_SURROGATE_ESCAPE, '$1\\ufffd') : text;
}
