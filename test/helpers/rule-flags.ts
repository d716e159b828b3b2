import { SEQ_BEFORE_INTERCEPTORS_PATCH } from '../../src/workflow/activator.ts';

/**
 * The internal rules' flags of `flags` less the one every run records at its first durable call
 * (`reprise/seq-before-interceptors`: seqs taken before the interceptors run, asserted by
 * test/e2e/workflow-interceptors.test.ts), so that a test reads the rules it is about.
 */
export function ruleFlags(flags: readonly string[] | undefined): string[] {
  return (flags ?? []).filter((f) => f !== SEQ_BEFORE_INTERCEPTORS_PATCH);
}
