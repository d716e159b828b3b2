import { InvalidArgumentError } from '../errors.ts';

/**
 * Whether a worker (or a replay) runs in debug mode: the option when given, else the
 * `REPRISE_DEBUG` environment variable (`1`/`true` on, `0`/`false`/empty off), as Temporal's
 * `debugMode` falls back to `TEMPORAL_DEBUG`. Debug mode turns off deadlock detection, so a
 * debugger can stop in workflow code without the call being interrupted after 2 s.
 */
export function resolveDebugMode(
  option: boolean | undefined,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (option !== undefined) {
    if (typeof option !== 'boolean') {
      throw new InvalidArgumentError(
        `Worker option debugMode must be true or false (got ${JSON.stringify(option)}).`,
      );
    }
    return option;
  }
  const raw = env['REPRISE_DEBUG'];
  if (raw === undefined) return false;
  const value = raw.trim().toLowerCase();
  if (value === '1' || value === 'true') return true;
  if (value === '' || value === '0' || value === 'false') return false;
  throw new InvalidArgumentError(
    `REPRISE_DEBUG must be 1, true, 0 or false (got ${JSON.stringify(raw)}); ` +
      'set it to 1 to turn off deadlock detection while debugging workflow code.',
  );
}
