// How commands print: aligned "Label  value" blocks and tables for people, JSON for programs.
import type { CliIo } from './cli-io.ts';

/** Writes `value` as indented JSON, one document. */
export function printJson(io: CliIo, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** A value as one line of JSON, for a field of a text block (`undefined` as nothing). */
export function inlineJson(value: unknown): string {
  // JSON.stringify gives undefined (its types say string) for undefined and functions.
  const text: unknown = JSON.stringify(value);
  return typeof text === 'string' ? text : '';
}

/** Writes one `Label  value` line per field, the values aligned; undefined values are left out. */
export function printFields(
  io: CliIo,
  fields: readonly (readonly [label: string, value: string | number | undefined])[],
): void {
  const shown = fields.filter(([, value]) => value !== undefined);
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  for (const [label, value] of shown) io.out(`  ${label.padEnd(width)}  ${String(value)}\n`);
}

/** Writes rows under a header, each column as wide as its widest cell. */
export function printTable(io: CliIo, header: readonly string[], rows: readonly string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  io.out(`${line(header)}\n`);
  for (const row of rows) io.out(`${line(row)}\n`);
}

/** A time as ISO 8601 (UTC), or undefined. */
export function isoTime(time: Date | number | undefined): string | undefined {
  return time === undefined ? undefined : new Date(time).toISOString();
}
