import { SEQ_BEFORE_INTERCEPTORS_PATCH } from '../../src/workflow/activator.ts';
import { LOCAL_ACTIVITY_SEQ_SHARED_PATCH } from '../../src/workflow/local-activity.ts';

/** The flags every run records where it first meets their case, whatever it does there. */
const EVERY_RUN_FLAGS: ReadonlySet<string> = new Set([
  // At its first durable call: seqs taken before the interceptors run, asserted by
  // test/e2e/workflow-interceptors.test.ts.
  SEQ_BEFORE_INTERCEPTORS_PATCH,
  // At its first local activity call: their seqs counted with activities', asserted by
  // test/e2e/local-activity-seqs.test.ts.
  LOCAL_ACTIVITY_SEQ_SHARED_PATCH,
]);

/**
 * The internal rules' flags of `flags` less those every run records where it first meets their
 * case ({@link EVERY_RUN_FLAGS}), so that a test reads the rules it is about.
 */
export function ruleFlags(flags: readonly string[] | undefined): string[] {
  return (flags ?? []).filter((f) => !EVERY_RUN_FLAGS.has(f));
}
