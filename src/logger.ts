import { pino } from 'pino';

/** The logger every part takes: pino's call shape, so a pino instance fits as is. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/**
 * The default logger: pino to stderr, level from `REPRISE_LOG_LEVEL` (default `warn`, so an
 * embedded engine stays quiet unless something needs attention).
 */
export function defaultLogger(bindings: Record<string, unknown> = {}): Logger {
  const level = process.env['REPRISE_LOG_LEVEL'] ?? 'warn';
  return pino({ level, base: bindings }, pino.destination(2));
}
