// Sandbox-safe: which run's Activator the workflow API talks to. The host swaps it in for each
// call into the shared sandbox context (one context serves many runs).
import { IllegalStateError } from '../errors.ts';
import type { Activator } from './activator.ts';

let current: Activator | undefined;

/** Makes `activator` the run that workflow API calls and global overrides act on. */
export function setActivator(activator: Activator | undefined): void {
  current = activator;
}

/** The current run's Activator; throws when called outside workflow code. */
export function getActivator(): Activator {
  if (current === undefined) {
    throw new IllegalStateError(
      'Workflow APIs can only be called from workflow code running in a Reprise worker sandbox.',
    );
  }
  return current;
}

/** The current run's Activator, or undefined outside a run (module evaluation at bundle time). */
export function maybeGetActivator(): Activator | undefined {
  return current;
}
