import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The process's one AsyncLocalStorage: the running activity's `Context` and every sandbox's
 * current CancellationScope follow async code through it. One instance for all, because node 20
 * gives every promise made anywhere in the process a property for each AsyncLocalStorage that is
 * in use (its promise hook copies the store along), and a second one makes that property's
 * storage grow past its first allocation: with two in use, a promise cost ~20 % more time and
 * allocation (bench/RESULTS.md, twenty-second pass). Nothing enables or disables it per worker
 * or sandbox, so their number never adds to that cost either.
 *
 * Readers check the store's type (`instanceof`): an activity finds no Context while workflow code
 * runs, and a sandbox's code finds its root scope inside a host continuation that an activity's
 * context reached (a workflow task that an activity's completion handed back).
 */
export const asyncStore = new AsyncLocalStorage<unknown>();
