import { formatWithOptions } from 'node:util';
import { InvalidArgumentError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** Temporal's log levels, lowest first. */
export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

const SEVERITIES: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** One line for a `DefaultLogger`'s log function, as Temporal's. */
export interface LogEntry {
  level: LogLevel;
  message: string;
  /** Wall-clock time of the call, in nanoseconds since the epoch (millisecond precision). */
  timestampNanos: bigint;
  /** The call's attributes, with the bindings of `child()`; absent when there are none. */
  meta?: Record<string, unknown>;
}

const format = formatWithOptions.bind(undefined, { colors: process.stderr.isTTY });

/** Writes `<date> [LEVEL] message {meta}` to stderr, as Temporal's default log function. */
function defaultLogFunction({ level, message, meta, timestampNanos }: LogEntry): void {
  const date = new Date(Number(timestampNanos / 1_000_000n));
  const tail = meta === undefined ? '' : ` ${format(meta)}`;
  process.stderr.write(`${format(date)} [${level}] ${message}${tail}\n`);
}

/**
 * Temporal's `DefaultLogger`: passes each call at or above `level` (default `'INFO'`) to
 * `logFunction` (default: a line to stderr). It takes both call shapes: Temporal's
 * `info(message, meta?)`, and pino's `info(obj, message?)`, which Reprise's workers and engine
 * use, so it fits `Runtime.install({ logger })` and every `logger` option. Throws
 * `InvalidArgumentError` for an unknown level.
 * @example
 * Runtime.install({ logger: new DefaultLogger('WARN') });
 * Runtime.install({ logger: new DefaultLogger('DEBUG', (entry) => lines.push(entry)) });
 */
export class DefaultLogger implements Logger {
  readonly level: LogLevel;
  readonly #severity: number;
  readonly #logFunction: (entry: LogEntry) => void;
  readonly #bindings: Record<string, unknown>;

  constructor(
    level: LogLevel = 'INFO',
    logFunction: (entry: LogEntry) => void = defaultLogFunction,
    bindings: Record<string, unknown> = {},
  ) {
    this.#severity = SEVERITIES.indexOf(level);
    if (this.#severity < 0) {
      throw new InvalidArgumentError(
        `DefaultLogger level must be one of ${SEVERITIES.join(', ')} (got ${level as string}).`,
      );
    }
    this.level = level;
    this.#logFunction = logFunction;
    this.#bindings = bindings;
  }

  /** Logs `message` at `level` with `meta`, if `level` is at or above the logger's. */
  log(level: LogLevel, message: string, meta?: Record<string, unknown>): void {
    if (SEVERITIES.indexOf(level) < this.#severity) return;
    const all = { ...this.#bindings, ...meta };
    this.#logFunction({
      level,
      message,
      timestampNanos: BigInt(Date.now()) * 1_000_000n,
      ...(Object.keys(all).length === 0 ? {} : { meta: all }),
    });
  }

  trace(objOrMessage: object | string, msgOrMeta?: string | object): void {
    this.#call('TRACE', objOrMessage, msgOrMeta);
  }

  debug(objOrMessage: object | string, msgOrMeta?: string | object): void {
    this.#call('DEBUG', objOrMessage, msgOrMeta);
  }

  info(objOrMessage: object | string, msgOrMeta?: string | object): void {
    this.#call('INFO', objOrMessage, msgOrMeta);
  }

  warn(objOrMessage: object | string, msgOrMeta?: string | object): void {
    this.#call('WARN', objOrMessage, msgOrMeta);
  }

  error(objOrMessage: object | string, msgOrMeta?: string | object): void {
    this.#call('ERROR', objOrMessage, msgOrMeta);
  }

  /** A logger with the same level and function whose calls carry `bindings` too. */
  child(bindings: Record<string, unknown>): DefaultLogger {
    return new DefaultLogger(this.level, this.#logFunction, { ...this.#bindings, ...bindings });
  }

  /** Temporal's `(message, meta)` or pino's `(obj, message)`. */
  #call(level: LogLevel, first: object | string, second: string | object | undefined): void {
    if (typeof first === 'string') {
      this.log(level, first, typeof second === 'object' ? (second as Record<string, unknown>) : {});
    } else {
      this.log(level, typeof second === 'string' ? second : '', first as Record<string, unknown>);
    }
  }
}
