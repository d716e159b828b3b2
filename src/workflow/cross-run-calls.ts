// Sandbox-safe: the durable calls of one run that reach other runs — child workflows, and
// signals or cancel requests sent to other workflows. Owned by the run's Activator (the one
// holder of runtime state): seq number → command → parked completion, per kind.
import { headersToWire } from '../protocol/headers.ts';
import type { Headers } from '../protocol/headers.ts';
import { WorkflowExecutionAlreadyStartedError } from '../errors.ts';
import { CancelledFailure, ChildWorkflowFailure, decodeFailure } from '../failures.ts';
import type { ActivationJob } from '../protocol/activation.ts';
import type { Command, CommandOf } from '../protocol/commands.ts';
import { CancellationScope, onCancelRequested, takeParked } from './cancellation-scope.ts';
import type { InScope } from './cancellation-scope.ts';
import { CommandSeqs, argsAtCall, rejectedBy } from './runtime-helpers.ts';
import type { CapturedStack } from './runtime-helpers.ts';
import { LazyMap } from '../util/lazy-collections.ts';

/** How a child reacts to cancellation of its scope. Temporal's `ChildWorkflowCancellationType`. */
export const ChildWorkflowCancellationType = {
  /** Request cancellation and reject at once. */
  TRY_CANCEL: 'TRY_CANCEL',
  /** Request cancellation and wait until the child closes (the default). */
  WAIT_CANCELLATION_COMPLETED: 'WAIT_CANCELLATION_COMPLETED',
  /** Request cancellation and wait until the request reached the child. */
  WAIT_CANCELLATION_REQUESTED: 'WAIT_CANCELLATION_REQUESTED',
  /** Reject at once and do not request cancellation: the child runs on. */
  ABANDON: 'ABANDON',
} as const;
export type ChildWorkflowCancellationType =
  (typeof ChildWorkflowCancellationType)[keyof typeof ChildWorkflowCancellationType];

/** What happens to a running child when its parent closes. Temporal's `ParentClosePolicy`. */
export const ParentClosePolicy = {
  /** The child is terminated (the default). */
  TERMINATE: 'TERMINATE',
  /** The child is asked to cancel. */
  REQUEST_CANCEL: 'REQUEST_CANCEL',
  /** The child runs on. */
  ABANDON: 'ABANDON',
  /** @deprecated Leave the option unset (Temporal's alias). */
  PARENT_CLOSE_POLICY_UNSPECIFIED: undefined,
  /** @deprecated Use `TERMINATE` (Temporal's alias). */
  PARENT_CLOSE_POLICY_TERMINATE: 'TERMINATE',
  /** @deprecated Use `REQUEST_CANCEL` (Temporal's alias). */
  PARENT_CLOSE_POLICY_REQUEST_CANCEL: 'REQUEST_CANCEL',
  /** @deprecated Use `ABANDON` (Temporal's alias). */
  PARENT_CLOSE_POLICY_ABANDON: 'ABANDON',
} as const;
export type ParentClosePolicy = 'TERMINATE' | 'REQUEST_CANCEL' | 'ABANDON';

/**
 * The internal patch that records, in the task that used them first, the rules for a child
 * cancelled before it started ({@link CrossRunCalls}): a history without its marker was recorded
 * before them, and replays under the old rules (the start was sent, and startChild resolved).
 */
export const CHILD_CANCEL_BEFORE_START_PATCH = 'reprise/child-cancel-before-start';

/**
 * The internal patch that records, where a run first applies it, that a child cancelled before
 * its start reached the engine is not started when the start was issued by an earlier activation
 * of the same workflow task (one that ran local activities), as it is when issued in the same
 * activation. A history without its marker was recorded before: there the start was sent, and
 * the child's cancellation took the rules of a start already recorded.
 */
export const CHILD_CANCEL_IN_TASK_PATCH = 'reprise/child-cancel-in-task';

/**
 * The internal patch under which a signal to another workflow (by an external or child handle),
 * or a cancel request by an external handle, made in a scope already cancelled rejects at once
 * with that scope's cancellation and sends nothing, as in Temporal. A history without its marker
 * was recorded before: there such a call was sent. Decided where a run first meets the case.
 */
export const EXTERNAL_CALL_CANCELLED_SCOPE_PATCH = 'reprise/external-call-cancelled-scope';

/**
 * The internal patch under which a signal to another workflow whose scope is cancelled in the
 * activation that made it is dropped, as in Temporal: its command is not sent, and the call
 * rejects with a CancelledFailure. A history without it was recorded before: there the signal was
 * sent. Decided where a run first meets the case.
 */
export const SIGNAL_CANCEL_UNSENT_PATCH = 'reprise/signal-cancel-unsent-drops';

/**
 * The internal patch under which a dropped signal ({@link SIGNAL_CANCEL_UNSENT_PATCH}) rejects in
 * the next activation, as in Temporal, whose worker answers the dropped command with a job: once
 * the activation that cancelled it has run its microtasks and conditions. A history without it was
 * recorded before: there the call rejected at once, within the cancelling activation. Decided
 * where a run first drops a signal under the new rules.
 */
export const DROPPED_SIGNAL_REJECTS_LATER_PATCH = 'reprise/dropped-signal-rejects-next-activation';

export interface ParkedCall {
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  stack: CapturedStack;
  description: string;
}

/** A child until it closes or its parent stops waiting for it: it leaves through `takeParked`. */
interface Child extends InScope {
  command: CommandOf<'StartChildWorkflowExecution'>;
  cancellationType: ChildWorkflowCancellationType;
  namespace: string;
  start: ParkedCall | undefined;
  result: ParkedCall | undefined;
  runId: string | undefined;
  /** The activation that issued the start: until it concludes, the command can be taken back. */
  issuedIn: number;
  /**
   * The workflow task that issued the start: until it is answered, the engine has not seen the
   * command, which a later activation of the task withdraws ({@link CrossRunHost.withdraw}).
   */
  issuedInTask: number;
  /** The scope was cancelled before the child started: cancel it once it has. */
  cancelWhenStarted: boolean;
}

/** A signal until it is answered: it leaves through `takeParked`. */
interface ParkedSignal extends ParkedCall, InScope {}

type Job<T extends ActivationJob['type']> = Extract<ActivationJob, { type: T }>;

/** What the calls need of their Activator. */
export interface CrossRunHost {
  pushCommand(command: Command): void;
  /** Takes back a command of the activation that has not concluded yet. */
  dropCommand(command: Command): void;
  /**
   * Takes back the command of `type` and `seq` if the engine has not seen it yet, under internal
   * rule `patchId` (asked only then) for one the current activation issued: true if it did.
   */
  takeBackUnsent(type: Command['type'], seq: number, patchId: string): boolean;
  /** Drops a command of an earlier activation of the workflow task being answered. */
  withdraw(type: Command['type'], seq: number): void;
  /**
   * Whether a dropped signal rejects in the next activation
   * ({@link DROPPED_SIGNAL_REJECTS_LATER_PATCH}): decided once per run where it first applies.
   */
  rejectsDroppedLater(): boolean;
  /** Runs `settle` in the next activation: once this one's microtasks and conditions ran. */
  inNextActivation(settle: () => void): void;
  /**
   * Runs `reject` for a call its scope's cancellation settled: in the next activation, or at once
   * in a history recorded before that rule (decided once per run).
   */
  rejectCancelled(reject: () => void): void;
  /**
   * Whether the rules for a child cancelled before it started apply: always live, on replay iff
   * history recorded {@link CHILD_CANCEL_BEFORE_START_PATCH} (decided once per run); never once
   * the run has closed (its marker could not be recorded).
   */
  cancelsBeforeStart(): boolean;
  /**
   * Whether a start issued by an earlier activation of the workflow task being answered is
   * withdrawn when its child is cancelled: {@link CHILD_CANCEL_IN_TASK_PATCH}, decided once per
   * run where it first applies; never once the run has closed.
   */
  withdrawsInTask(): boolean;
  /**
   * Whether a signal or external cancel made in a cancelled scope rejects without being sent:
   * always live, on replay iff history recorded {@link EXTERNAL_CALL_CANCELLED_SCOPE_PATCH}.
   */
  rejectsInCancelledScope(): boolean;
  /** Throws in a query handler or update validator; called before a seq is taken. */
  assertMayIssue(what: string): void;
  namespace(): string;
  captureStack(): CapturedStack;
}

export class CrossRunCalls {
  readonly #host: CrossRunHost;
  /** The seqs of StartChildWorkflowExecution commands. */
  readonly childSeqs = new CommandSeqs();
  /** The seqs of SignalExternalWorkflowExecution commands. */
  readonly signalSeqs = new CommandSeqs();
  #seqCancel = 0;
  /** Activations concluded so far: a child issued in the current one has not been sent. */
  #activation = 0;
  /** Workflow tasks begun so far: a child issued in the current one has not reached the engine. */
  #task = 0;
  readonly #children = new LazyMap<number, Child>();
  readonly #signals = new LazyMap<number, ParkedSignal>();
  readonly #cancels = new LazyMap<number, ParkedCall>();

  constructor(host: CrossRunHost) {
    this.#host = host;
  }

  /**
   * Starts a child: resolves `started` with its run id once the engine started it, `result`
   * with its result once it completes.
   */
  startChild(
    command: Omit<CommandOf<'StartChildWorkflowExecution'>, 'seq' | 'type'>,
    cancellationType: ChildWorkflowCancellationType,
    reservedSeq?: number,
  ): { started: Promise<string>; result: Promise<unknown> } {
    this.#host.assertMayIssue(`child workflow '${command.workflowType}'`);
    const scope = CancellationScope.current();
    const seq = reservedSeq ?? this.childSeqs.take();
    const full: CommandOf<'StartChildWorkflowExecution'> = {
      type: 'StartChildWorkflowExecution',
      seq,
      ...command,
      args: argsAtCall(command.args),
    };
    const child: Child = {
      command: full,
      cancellationType,
      namespace: this.#host.namespace(),
      start: undefined,
      result: undefined,
      runId: undefined,
      issuedIn: this.#activation,
      issuedInTask: this.#task,
      cancelWhenStarted: false,
      scope,
      onCancel: () => {
        this.#cancelChild(seq);
      },
    };
    const stack = this.#host.captureStack();
    const what = `child workflow '${command.workflowType}' (workflowId '${command.workflowId}', seq ${seq})`;
    const started = new Promise<string>((resolve, reject) => {
      child.start = { resolve: resolve as (v: unknown) => void, reject, stack, description: what };
    });
    const result = new Promise<unknown>((resolve, reject) => {
      child.result = { resolve, reject, stack, description: what };
    });
    // A caller may only await `started`: never let an unawaited result reject unhandled.
    result.catch(() => undefined);
    if (scope.consideredCancelled) {
      // As in Temporal: nothing is sent, and the call rejects with the scope's own cancellation.
      started.catch(() => undefined);
      const cancelled = rejectedBy(scope);
      cancelled.catch(() => undefined);
      return { started: cancelled, result: cancelled };
    }
    this.#children.set(seq, child);
    this.#host.pushCommand(full);
    onCancelRequested(scope, child.onCancel);
    return { started, result };
  }

  /** Sends a signal to another workflow (or, with childWorkflowOnly, to a child). */
  signalExternal(
    target: { workflowId: string; runId: string | undefined },
    signalName: string,
    args: unknown[],
    childWorkflowOnly: boolean,
    headers?: Headers,
    reservedSeq?: number,
  ): Promise<void> {
    this.#host.assertMayIssue(`signal '${signalName}' to '${target.workflowId}'`);
    const cancelled = this.#rejectedInCancelledScope();
    if (cancelled !== undefined) return cancelled;
    const header = headersToWire(headers, `signal '${signalName}'`);
    const seq = reservedSeq ?? this.signalSeqs.take();
    const command: CommandOf<'SignalExternalWorkflowExecution'> = {
      type: 'SignalExternalWorkflowExecution',
      seq,
      workflowId: target.workflowId,
      signalName,
      args: argsAtCall(args),
      childWorkflowOnly,
    };
    if (header !== undefined) command.header = header;
    if (target.runId !== undefined) command.runId = target.runId;
    const scope = CancellationScope.current();
    const stack = this.#host.captureStack();
    return new Promise<void>((resolve, reject) => {
      const signal: ParkedSignal = {
        resolve: () => {
          resolve();
        },
        reject,
        stack,
        description: `signal '${signalName}' to '${target.workflowId}'`,
        scope,
        onCancel: this.#onSignalScopeCancelled.bind(this, seq),
      };
      this.#signals.set(seq, signal);
      this.#host.pushCommand(command);
      onCancelRequested(scope, signal.onCancel);
    });
  }

  /**
   * A signal's scope was cancelled: one not sent yet is dropped and rejects
   * ({@link SIGNAL_CANCEL_UNSENT_PATCH}), in the next activation
   * ({@link DROPPED_SIGNAL_REJECTS_LATER_PATCH}); one sent waits for its answer, as in Temporal.
   */
  #onSignalScopeCancelled(seq: number): void {
    const kind = 'SignalExternalWorkflowExecution';
    if (!this.#signals.has(seq)) return;
    if (!this.#host.takeBackUnsent(kind, seq, SIGNAL_CANCEL_UNSENT_PATCH)) return;
    const signal = takeParked(this.#signals, seq);
    if (signal === undefined) return;
    const reject = (): void => {
      signal.reject(new CancelledFailure('Signal was cancelled before being sent'));
    };
    if (this.#host.rejectsDroppedLater()) this.#host.inNextActivation(reject);
    else reject();
  }

  /**
   * An external handle's `cancel()`: as {@link cancelExternal}, but in a cancelled scope it
   * rejects with that scope's cancellation and sends nothing (Temporal's rule).
   */
  requestCancelExternal(target: { workflowId: string; runId: string | undefined }): Promise<void> {
    this.#host.assertMayIssue(`cancel of '${target.workflowId}'`);
    return this.#rejectedInCancelledScope() ?? this.cancelExternal(target, false);
  }

  /** The scope's cancellation, if the calling scope is cancelled and the rule applies. */
  #rejectedInCancelledScope(): Promise<never> | undefined {
    const scope = CancellationScope.current();
    if (!scope.consideredCancelled || !this.#host.rejectsInCancelledScope()) return undefined;
    return rejectedBy(scope);
  }

  /** Requests cancellation of another workflow. */
  cancelExternal(
    target: { workflowId: string; runId: string | undefined },
    childWorkflowOnly: boolean,
  ): Promise<void> {
    this.#host.assertMayIssue(`cancel of '${target.workflowId}'`);
    const seq = ++this.#seqCancel;
    const command: CommandOf<'RequestCancelExternalWorkflowExecution'> = {
      type: 'RequestCancelExternalWorkflowExecution',
      seq,
      workflowId: target.workflowId,
      childWorkflowOnly,
    };
    if (target.runId !== undefined) command.runId = target.runId;
    return this.#park(seq, command, `cancel of '${target.workflowId}'`);
  }

  #park(seq: number, command: Command, description: string): Promise<void> {
    const stack = this.#host.captureStack();
    return new Promise<void>((resolve, reject) => {
      this.#cancels.set(seq, {
        resolve: () => {
          resolve();
        },
        reject,
        stack,
        description,
      });
      this.#host.pushCommand(command);
    });
  }

  /** The activation concluded: the start commands it issued are sent. */
  concluded(): void {
    this.#activation++;
  }

  /**
   * A workflow task begins: an activation that does not continue the previous one's task (as one
   * that resolves a local activity does). The starts of the previous task reached the engine.
   */
  taskBegins(): void {
    this.#task++;
  }

  // ── jobs ─────────────────────────────────────────────────────────────────────────────────

  resolveChildStart(job: Job<'resolveChildWorkflowExecutionStart'>): void {
    const child = this.#children.get(job.seq);
    if (child === undefined) return;
    const r = job.resolution;
    if (r.status === 'failed') {
      takeParked(this.#children, job.seq);
      const error = new WorkflowExecutionAlreadyStartedError(
        child.command.workflowId,
        r.workflowType,
        r.runningRunId,
      );
      child.start?.reject(error);
      child.result?.reject(error);
      return;
    }
    child.runId = r.runId;
    child.start?.resolve(r.runId);
    child.start = undefined;
    if (child.cancelWhenStarted) this.#cancelChild(job.seq);
  }

  resolveChild(job: Job<'resolveChildWorkflowExecution'>): void {
    const child = takeParked(this.#children, job.seq);
    if (child === undefined) return;
    const r = job.resolution;
    if (r.status === 'completed') child.result?.resolve(r.result);
    else child.result?.reject(decodeFailure(r.failure));
  }

  resolveSignal(job: Job<'resolveSignalExternalWorkflow'>): void {
    settle(takeParked(this.#signals, job.seq), job.failure);
  }

  resolveCancel(job: Job<'resolveRequestCancelExternalWorkflow'>): void {
    const parked = this.#cancels.get(job.seq);
    this.#cancels.delete(job.seq);
    settle(parked, job.failure);
  }

  /** Pending calls, for the `__stack_trace` query. */
  pending(): ParkedCall[] {
    const out: ParkedCall[] = [...this.#signals.values(), ...this.#cancels.values()];
    for (const child of this.#children.values()) {
      const parked = child.start ?? child.result;
      if (parked) out.push(parked);
    }
    return out;
  }

  // ── cancellation ─────────────────────────────────────────────────────────────────────────

  /** Temporal's rules for a child whose scope is cancelled, by its cancellationType. */
  #cancelChild(seq: number): void {
    const child = this.#children.get(seq);
    if (child === undefined) return;
    if (child.runId === undefined && this.#cancelBeforeStart(seq, child)) return;
    if (child.cancellationType === 'ABANDON') {
      takeParked(this.#children, seq);
      // Not started yet: startChild rejects too, or it would wait for a start no one hears of.
      this.#rejectCancelled(child);
      return;
    }
    if (child.runId === undefined) {
      child.cancelWhenStarted = true; // the request can only reach a started child
      return;
    }
    const request = this.cancelExternal(
      { workflowId: child.command.workflowId, runId: undefined },
      true,
    );
    request.catch(() => undefined);
    switch (child.cancellationType) {
      case 'TRY_CANCEL':
        takeParked(this.#children, seq);
        this.#rejectCancelled(child);
        return;
      case 'WAIT_CANCELLATION_REQUESTED':
        // A request that fails (the child closed first) leaves the result to the child's close;
        // the derived promise must not reject unhandled, which would fail the task (ADR 0021).
        request.then(
          () => {
            if (takeParked(this.#children, seq))
              child.result?.reject(this.#cancelledFailure(child));
          },
          () => undefined,
        );
        return;
      case 'WAIT_CANCELLATION_COMPLETED':
        return; // the child's close (ChildWorkflowExecutionCanceled, or a result) settles it
      default: {
        const never: never = child.cancellationType;
        throw new TypeError(`Unknown cancellation type ${String(never)}`);
      }
    }
  }

  /**
   * A child cancelled before it started. Its start command still in this workflow task is taken
   * back, whatever the cancellationType: nothing is started, and startChild rejects. (Issued by an
   * earlier activation of the task, the command is withdrawn under {@link CHILD_CANCEL_IN_TASK_PATCH}.) A TRY_CANCEL
   * child whose start was sent rejects startChild at once; the request reaches it once it has
   * started. False when other rules apply (the start was sent: WAIT_* wait for the child to
   * start, ABANDON rejects at once) or history was recorded before these.
   */
  #cancelBeforeStart(seq: number, child: Child): boolean {
    const unsent = child.issuedIn === this.#activation;
    if (!unsent && child.issuedInTask === this.#task && this.#host.withdrawsInTask()) {
      // Issued by an earlier activation of this task: the engine has not seen the start either.
      this.#rejectCancelled(child);
      takeParked(this.#children, seq);
      this.#host.withdraw('StartChildWorkflowExecution', seq);
      return true;
    }
    if (!unsent && child.cancellationType !== 'TRY_CANCEL') return false;
    if (!this.#host.cancelsBeforeStart()) return false;
    this.#rejectCancelled(child);
    if (unsent) {
      takeParked(this.#children, seq);
      this.#host.dropCommand(child.command);
      return true;
    }
    // Kept until the child starts (or fails to): then the request is sent, and nothing settles.
    child.start = undefined;
    child.result = undefined;
    child.cancelWhenStarted = true;
    return true;
  }

  /**
   * Rejects the pending calls of a cancelled child (startChild's, if it has not started, and
   * `result()`'s) as its cancellation's outcome ({@link CrossRunHost.rejectCancelled}).
   */
  #rejectCancelled(child: Child): void {
    const { start, result } = child;
    const failure = this.#cancelledFailure(child);
    this.#host.rejectCancelled(() => {
      start?.reject(failure);
      result?.reject(failure);
    });
  }

  /**
   * The failure a cancelled child's promises reject with. Its retryState is Temporal's for a
   * cancelled child, before or after it started: NonRetryableFailure, as for a child that closed
   * with ChildWorkflowExecutionCanceled (cross-run-events.ts).
   */
  #cancelledFailure(child: Child): ChildWorkflowFailure {
    return new ChildWorkflowFailure(
      child.namespace,
      { workflowId: child.command.workflowId, runId: child.runId ?? '' },
      child.command.workflowType,
      'NonRetryableFailure',
      new CancelledFailure('Child workflow cancelled'),
    );
  }
}

function settle(
  parked: ParkedCall | undefined,
  failure: Parameters<typeof decodeFailure>[0] | undefined,
): void {
  if (parked === undefined) return;
  if (failure === undefined) parked.resolve(undefined);
  else parked.reject(decodeFailure(failure));
}
