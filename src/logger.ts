import { createRequire } from 'node:module';
import type { pino as Pino } from 'pino';

/** The logger every part takes: pino's call shape, so a pino instance fits as is. */
export interface Logger {
  /** pino's `trace`, below `debug`: a logger without it gets its trace lines at `debug`. */
  trace?(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** Writes a line at `logger`'s trace level, or at `debug` if it has none. */
export function writeTrace(logger: Logger, obj: object, msg?: string): void {
  if (logger.trace === undefined) logger.debug(obj, msg);
  else logger.trace(obj, msg);
}

/** pino's default levels: a call below the logger's level writes nothing. */
const LEVELS = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
} as const;

function levelValue(level: string): number | undefined {
  return Object.hasOwn(LEVELS, level) ? LEVELS[level as keyof typeof LEVELS] : undefined;
}

/**
 * The default logger: pino to stderr, level from `REPRISE_LOG_LEVEL` (default `warn`, so an
 * embedded engine stays quiet unless something needs attention). pino is loaded and the logger
 * made on the first call at or above the level: a process that logs nothing never loads it.
 */
export function defaultLogger(bindings: Record<string, unknown> = {}): Logger {
  const level = process.env['REPRISE_LOG_LEVEL'] ?? 'warn';
  const threshold = levelValue(level);
  const make = (): Logger => {
    const { pino } = createRequire(import.meta.url)('pino') as { pino: typeof Pino };
    return pino({ level, base: bindings }, pino.destination(2));
  };
  // A level pino does not know: let pino say so now, as it always did.
  if (threshold === undefined) return make();
  return new DeferredLogger(make, threshold);
}

/**
 * `parent.child(bindings)`, made on its first call: for loggers made per task or attempt that
 * usually log nothing (a pino child formats its bindings when made).
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  return new DeferredLogger(() => parent.child(bindings), Number.NEGATIVE_INFINITY);
}

/** A logger made by `make` on the first call at or above `threshold` (pino's level numbers). */
class DeferredLogger implements Logger {
  readonly #make: () => Logger;
  readonly #threshold: number;
  #logger: Logger | undefined;

  constructor(make: () => Logger, threshold: number) {
    this.#make = make;
    this.#threshold = threshold;
  }

  trace(obj: object, msg?: string): void {
    if (this.#threshold <= LEVELS.trace) writeTrace(this.#get(), obj, msg);
  }

  debug(...args: Parameters<Logger['debug']>): void {
    if (this.#threshold <= LEVELS.debug) this.#get().debug(...args);
  }

  info(...args: Parameters<Logger['info']>): void {
    if (this.#threshold <= LEVELS.info) this.#get().info(...args);
  }

  warn(...args: Parameters<Logger['warn']>): void {
    if (this.#threshold <= LEVELS.warn) this.#get().warn(...args);
  }

  error(...args: Parameters<Logger['error']>): void {
    if (this.#threshold <= LEVELS.error) this.#get().error(...args);
  }

  child(bindings: Record<string, unknown>): Logger {
    return new DeferredLogger(() => this.#get().child(bindings), this.#threshold);
  }

  #get(): Logger {
    this.#logger ??= this.#make();
    return this.#logger;
  }
}
