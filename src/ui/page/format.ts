// How values read on the page. Pure, unit-tested.
import type { Failure } from '../../protocol/failure.ts';

/** A time as UTC, to the millisecond: `2026-01-02 03:04:05.678`; '' for none. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined) return '';
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** A duration as its largest units: `1d 2h`, `3m 4s`, `1.5s`, `250ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(3))}s`;
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const parts: string[] = [];
  let rest = Math.round(ms / 1000) * 1000;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.slice(0, 2).join(' ');
}

/** A value as JSON on one line, cut to `max` characters; '' for undefined. */
export function jsonLine(value: unknown, max = 120): string {
  if (value === undefined) return '';
  const text = toJson(value);
  if (text === undefined) return '';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A value as indented JSON. */
export function jsonBlock(value: unknown): string {
  return toJson(value, 2) ?? 'undefined';
}

/** JSON.stringify, typed as it behaves: undefined for undefined, a function or a symbol. */
function toJson(value: unknown, indent?: number): string | undefined {
  return JSON.stringify(value, null, indent);
}

/**
 * A failure and its causes, one per line: `ApplicationFailure(Rejected): claim rejected`,
 * then `caused by …` for each cause.
 */
export function failureLines(failure: Failure): string[] {
  const lines: string[] = [];
  for (let f: Failure | undefined = failure; f !== undefined; f = f.cause) {
    lines.push(`${lines.length === 0 ? '' : 'caused by '}${failureName(f)}: ${f.message}`);
  }
  return lines;
}

function failureName(f: Failure): string {
  const info = f.info;
  switch (info.type) {
    case 'application':
      return `ApplicationFailure(${info.errorType}${info.nonRetryable ? ', non-retryable' : ''})`;
    case 'activity':
      return `ActivityFailure(${info.activityType}, ${info.retryState})`;
    case 'childWorkflow':
      return `ChildWorkflowFailure(${info.workflowType}, ${info.retryState})`;
    case 'timeout':
      return `TimeoutFailure(${info.timeoutType})`;
    case 'cancelled':
      return 'CancelledFailure';
    case 'terminated':
      return 'TerminatedFailure';
    case 'server':
      return 'ServerFailure';
    default:
      return assertNever(info);
  }
}

export function assertNever(value: never): never {
  throw new Error(`Unexpected value ${JSON.stringify(value)}`);
}

/**
 * The arguments typed in a signal's or a query's box: '' for none, a JSON array for several, any
 * other JSON value for one. Throws a message saying what to type when it is not JSON.
 */
export function parseJsonArgs(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (e) {
    throw new Error(
      `The arguments are not JSON (${e instanceof Error ? e.message : String(e)}): type one ` +
        'value ("yes", 42, {"by": "ana"}) or an array of arguments ([1, "two"]).',
      { cause: e },
    );
  }
  return Array.isArray(value) ? value : [value];
}
