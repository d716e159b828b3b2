// Updates inside the workflow (Temporal's update protocol), for the Activator: handlers by name,
// updates buffered until their handler is set, and those whose handler is still running.
import { encodeFailure, isTemporalFailure } from '../failures.ts';
import type { ActivationJob } from '../protocol/activation.ts';
import type { Command } from '../protocol/commands.ts';
import { HandlerUnfinishedPolicy } from './activator-types.ts';
import type { DefaultUpdateHandler, UpdateHandler, UpdateValidator } from './activator-types.ts';
import type { RunInterceptors } from './workflow-interceptors.ts';
import { runForUpdate } from './cancellation-scope.ts';
import { cloneData } from '../util/clone-data.ts';
import { LazyMap } from '../util/lazy-collections.ts';

type UpdateJob = Extract<ActivationJob, { type: 'doUpdate' }>;

export class UpdateHandlers {
  readonly #handlers = new LazyMap<
    string,
    { handler: UpdateHandler; validator: UpdateValidator | undefined; warn: boolean }
  >();
  /**
   * `setDefaultUpdateHandler`'s: handles updates whose name has no handler of its own, with the
   * name first, no validator, and the default unfinished policy (Temporal's).
   */
  #default: DefaultUpdateHandler | undefined;
  /** Updates delivered before their handler was set; rejected if still here at conclude. */
  #buffered: UpdateJob[] = [];
  /**
   * Accepted updates whose handler has not finished: updateId → update name, and whether the
   * workflow warns if it closes under it (the handler's `unfinishedPolicy`).
   */
  readonly #inProgress = new LazyMap<string, { name: string; warn: boolean }>();
  #inValidator = false;
  readonly #pushCommand: (command: Command) => void;
  readonly #handlerError: (error: unknown) => void;
  readonly #interceptors: RunInterceptors;

  constructor(opts: {
    pushCommand: (command: Command) => void;
    /**
     * An error that is not a Temporal failure, thrown by a handler, as if the workflow function threw it: a
     * `ContinueAsNew` continues the run as new (Temporal's rule); the rest fail the workflow task.
     */
    handlerError: (error: unknown) => void;
    interceptors: RunInterceptors;
  }) {
    this.#pushCommand = opts.pushCommand;
    this.#handlerError = opts.handlerError;
    this.#interceptors = opts.interceptors;
  }

  /** True while a validator runs: it must only read workflow state. */
  get inValidator(): boolean {
    return this.#inValidator;
  }

  /** True while an accepted update's handler is still running. */
  /** The names with a handler of their own (not the default one's). */
  names(): IterableIterator<string> {
    return this.#handlers.keys();
  }

  get anyInProgress(): boolean {
    return this.#inProgress.size > 0;
  }

  /** The updates still running whose handler's policy is to warn, as Temporal lists them. */
  unfinishedToWarnOf(): { name: string; id: string }[] {
    const out: { name: string; id: string }[] = [];
    for (const [id, u] of this.#inProgress) if (u.warn) out.push({ name: u.name, id });
    return out;
  }

  /** An update arrived: handled now, or buffered until its handler is set. */
  deliver(job: UpdateJob): void {
    const entry = this.#handlers.get(job.name);
    if (entry !== undefined) this.#run(entry.handler, entry.validator, entry.warn, job);
    else if (this.#default !== undefined) this.#runDefault(this.#default, job);
    else this.#buffered.push(job);
  }

  /** Temporal's `setDefaultUpdateHandler`: the buffered updates go to it, in order, at once. */
  setDefault(handler: DefaultUpdateHandler | undefined): void {
    this.#default = handler;
    if (handler === undefined) return;
    const waiting = this.#buffered;
    this.#buffered = [];
    for (const job of waiting) this.#runDefault(handler, job);
  }

  #runDefault(handler: DefaultUpdateHandler, job: UpdateJob): void {
    this.#run(
      (...args: unknown[]) => handler(job.name, ...args),
      undefined,
      true, // WARN_AND_ABANDON, as in Temporal
      job,
    );
  }

  set(
    name: string,
    handler: UpdateHandler | undefined,
    validator: UpdateValidator | undefined,
    unfinishedPolicy?: HandlerUnfinishedPolicy,
  ): void {
    if (handler === undefined) {
      this.#handlers.delete(name);
      return;
    }
    const warn = unfinishedPolicy !== HandlerUnfinishedPolicy.ABANDON;
    this.#handlers.set(name, { handler, validator, warn });
    const waiting = this.#buffered;
    this.#buffered = [];
    for (const job of waiting) {
      if (job.name === name) this.#run(handler, validator, warn, job);
      else this.#buffered.push(job);
    }
  }

  /** Temporal: an update whose handler is still not set when the activation ends is rejected. */
  rejectBuffered(): void {
    const waiting = this.#buffered;
    this.#buffered = [];
    for (const job of waiting) {
      const known = [...this.#handlers.keys()].sort();
      this.#pushCommand({
        type: 'RejectWorkflowUpdate',
        updateId: job.updateId,
        failure: encodeFailure(
          new ReferenceError(
            `No registered handler for update: ${job.name} (registered: [${known.join(', ')}]). ` +
              'Set one with setHandler(updateDefinition, handler) before the update arrives.',
          ),
        ),
      });
    }
  }

  /**
   * Temporal's update protocol, inside the workflow: the validator (not on replay) rejects by
   * throwing, which leaves nothing in history; otherwise the update is accepted and its handler
   * runs; its result or `TemporalFailure` completes the update. Any other error thrown by the
   * handler is handled as for the workflow function: `ContinueAsNew` continues the run as new,
   * the rest fail the workflow task. Both run with the update as `currentUpdateInfo()`.
   */
  #run(
    handler: UpdateHandler,
    validator: UpdateValidator | undefined,
    warn: boolean,
    job: UpdateJob,
  ): void {
    runForUpdate({ id: job.updateId, name: job.name }, () => {
      this.#validateAndHandle(handler, validator, warn, job);
    });
  }

  #validateAndHandle(
    handler: UpdateHandler,
    validator: UpdateValidator | undefined,
    warn: boolean,
    job: UpdateJob,
  ): void {
    if (job.runValidator && validator !== undefined) {
      this.#inValidator = true;
      try {
        // Its own copy of the arguments, as Temporal decodes them anew for each: the handler
        // never sees what the validator did to them, as on a replay, which runs no validator.
        this.#interceptors.validateUpdate({ ...job, args: cloneData(job.args) }, validator);
      } catch (e) {
        this.#inValidator = false;
        this.#pushCommand({
          type: 'RejectWorkflowUpdate',
          updateId: job.updateId,
          failure: encodeFailure(e),
        });
        return;
      } finally {
        this.#inValidator = false;
      }
    }
    this.#pushCommand({ type: 'AcceptWorkflowUpdate', updateId: job.updateId });
    this.#inProgress.set(job.updateId, { name: job.name, warn });
    const completed = (result: unknown): void => {
      this.#inProgress.delete(job.updateId);
      this.#pushCommand({
        type: 'CompleteWorkflowUpdate',
        updateId: job.updateId,
        outcome: { status: 'success', result },
      });
    };
    const failed = (e: unknown): void => {
      this.#inProgress.delete(job.updateId);
      if (isTemporalFailure(e)) {
        this.#pushCommand({
          type: 'CompleteWorkflowUpdate',
          updateId: job.updateId,
          outcome: { status: 'failure', failure: encodeFailure(e) },
        });
      } else {
        this.#handlerError(e);
      }
    };
    let result: unknown;
    try {
      result = this.#interceptors.handleUpdate(job, handler);
    } catch (e) {
      failed(e);
      return;
    }
    Promise.resolve(result).then(completed, failed);
  }
}
