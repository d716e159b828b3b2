// The EngineApi as a client or worker with a data converter sees it: payloads in requests are
// encoded before they reach the engine, payloads in responses decoded after. The one place that
// knows which request and response fields are payloads (history events and commands: in
// payload-fields.ts), so client and worker code is the same with or without a converter.
import { DataConverterError, QueryFailedError } from '../errors.ts';
import { decodeFailure, encodeFailure, isTemporalFailure } from '../failures.ts';
import type {
  ActivityTask,
  EngineApi,
  WorkflowDescription,
  WorkflowOutcome,
  WorkflowTask,
} from '../transport/engine-api.ts';
import type { ScheduleAction } from '../protocol/schedules.ts';
import { CLIENT_WITHOUT_CONVERTER, loadDataConverterSync } from './data-converter.ts';
import type { DataConverter, LoadedDataConverter } from './data-converter.ts';
import {
  decodeHistoryEvents,
  encodeCommands,
  mapUpdateOutcome,
  mapUserMetadata,
} from './payload-fields.ts';

/** `api` itself when no converter is set (the fast path), else `api` behind the converter. */
export function withDataConverter(api: EngineApi, dc: LoadedDataConverter | undefined): EngineApi {
  return dc === undefined ? api : new DataConverterApi(api, dc);
}

/**
 * For `new Client({ dataConverter })`. Without one, the client still decodes what a worker with a
 * converter encoded, or says it cannot (see CLIENT_WITHOUT_CONVERTER).
 */
export function clientApi(api: EngineApi, dataConverter: DataConverter | undefined): EngineApi {
  return new DataConverterApi(
    api,
    loadDataConverterSync(dataConverter) ?? CLIENT_WITHOUT_CONVERTER,
  );
}

type Req<M extends keyof EngineApi> = Parameters<EngineApi[M]>[0];

class DataConverterApi implements EngineApi {
  readonly #api: EngineApi;
  readonly #dc: LoadedDataConverter;

  constructor(api: EngineApi, dc: LoadedDataConverter) {
    this.#api = api;
    this.#dc = dc;
  }

  // ── client requests ──────────────────────────────────────────────────────────────────────
  async startWorkflow(req: Req<'startWorkflow'>) {
    return this.#api.startWorkflow(await this.#startRequest(req));
  }

  async signalWithStartWorkflow(req: Req<'signalWithStartWorkflow'>) {
    return this.#api.signalWithStartWorkflow({
      ...(await this.#startRequest(req)),
      signalArgs: await this.#dc.encodeValues(req.signalArgs),
    });
  }

  async updateWithStartWorkflow(req: Req<'updateWithStartWorkflow'>) {
    const r = await this.#api.updateWithStartWorkflow({
      start: await this.#startRequest(req.start),
      update: { ...req.update, args: await this.#dc.encodeValues(req.update.args) },
    });
    return { ...r, update: await this.#updateResponse(r.update) };
  }

  async #startRequest<R extends Req<'startWorkflow'>>(req: R): Promise<R> {
    return {
      ...req,
      args: await this.#dc.encodeValues(req.args),
      memo: await this.#dc.encodeMemo(req.memo),
      ...(await mapUserMetadata(this.#dc, 'encode', req.userMetadata)),
    };
  }

  async signalWorkflow(req: Req<'signalWorkflow'>) {
    return this.#api.signalWorkflow({ ...req, args: await this.#dc.encodeValues(req.args) });
  }

  async queryWorkflow(req: Req<'queryWorkflow'>) {
    const args = await this.#dc.encodeValues(req.args);
    let result: unknown;
    try {
      result = await this.#api.queryWorkflow({ ...req, args });
    } catch (e) {
      throw await this.#decodedQueryFailure(e);
    }
    return this.#dc.decodeValue(result);
  }

  /** A handler's failure (QueryFailedError's cause) with its details decoded, as everywhere else. */
  async #decodedQueryFailure(e: unknown): Promise<unknown> {
    if (!(e instanceof QueryFailedError) || !isTemporalFailure(e.cause)) return e;
    const failure = e.cause.failure ?? encodeFailure(e.cause);
    return new QueryFailedError(e.message, {
      cause: decodeFailure(await this.#dc.decodeFailure(failure)),
    });
  }

  cancelWorkflow(req: Req<'cancelWorkflow'>) {
    return this.#api.cancelWorkflow(req);
  }

  terminateWorkflow(req: Req<'terminateWorkflow'>) {
    return this.#api.terminateWorkflow(req);
  }

  async describeWorkflow(req: Req<'describeWorkflow'>): Promise<WorkflowDescription> {
    const d = await this.#api.describeWorkflow(req);
    const failure = d.lastWorkflowTaskFailure;
    return {
      ...d,
      memo: await this.#dc.decodeMemo(d.memo),
      pendingActivities: await Promise.all(
        d.pendingActivities.map(async (a) => ({
          ...a,
          heartbeatDetails: await this.#dc.decodeOptionalValues(a.heartbeatDetails),
          lastFailure: await this.#dc.decodeOptionalFailure(a.lastFailure),
        })),
      ),
      lastWorkflowTaskFailure:
        failure === undefined
          ? undefined
          : { ...failure, failure: await this.#dc.decodeFailure(failure.failure) },
      ...(await mapUserMetadata(this.#dc, 'decode', d.userMetadata)),
    };
  }

  async getWorkflowOutcome(req: Req<'getWorkflowOutcome'>): Promise<WorkflowOutcome | undefined> {
    const o = await this.#api.getWorkflowOutcome(req);
    switch (o?.status) {
      case 'Completed':
        return { ...o, result: await this.#dc.decodeValue(o.result) };
      case 'Failed':
        return { ...o, failure: await this.#dc.decodeFailure(o.failure) };
      case 'Canceled':
        return { ...o, details: await this.#dc.decodeValues(o.details) };
      case 'Terminated':
      case 'TimedOut':
      case 'ContinuedAsNew':
      case undefined:
        return o;
      default: {
        const never: never = o;
        return never;
      }
    }
  }

  /**
   * Decoded: a worker replays it, and `fetchHistory()` gives plain values (see docs). A client
   * without a converter gets it as stored.
   */
  async getHistory(req: Req<'getHistory'>) {
    const h = await this.#api.getHistory(req);
    if (!this.#dc.encodes) return h;
    return { ...h, events: await decodeHistoryEvents(this.#dc, h.events) };
  }

  async updateWorkflow(req: Req<'updateWorkflow'>) {
    return this.#updateResponse(
      await this.#api.updateWorkflow({ ...req, args: await this.#dc.encodeValues(req.args) }),
    );
  }

  async pollWorkflowUpdate(req: Req<'pollWorkflowUpdate'>) {
    return this.#updateResponse(await this.#api.pollWorkflowUpdate(req));
  }

  async #updateResponse<R extends Awaited<ReturnType<EngineApi['updateWorkflow']>>>(r: R) {
    return r.outcome === undefined
      ? r
      : { ...r, outcome: await mapUpdateOutcome(this.#dc, 'decode', r.outcome) };
  }

  async listWorkflows(req: Req<'listWorkflows'>) {
    const page = await this.#api.listWorkflows(req);
    return {
      ...page,
      executions: await Promise.all(
        page.executions.map(async (e) => ({ ...e, memo: await this.#dc.decodeMemo(e.memo) })),
      ),
    };
  }

  countWorkflows(req: Req<'countWorkflows'>) {
    return this.#api.countWorkflows(req);
  }

  // ── worker requests ──────────────────────────────────────────────────────────────────────
  registerWorker(req: Req<'registerWorker'>) {
    return this.#api.registerWorker(req);
  }

  async pollWorkflowTask(
    req: Req<'pollWorkflowTask'>,
    signal?: AbortSignal,
  ): Promise<WorkflowTask | undefined> {
    const task = await this.#api.pollWorkflowTask(req, signal);
    return task && this.#decodeWorkflowTask(task, req.identity);
  }

  /**
   * A task's payloads decoded; a payload this worker cannot decode fails the task instead
   * (visible in describe()), as in Temporal, and undefined is returned.
   */
  async #decodeWorkflowTask<T extends WorkflowTask>(
    task: T,
    identity: string,
  ): Promise<T | undefined> {
    try {
      if (task.kind === 'query') return { ...task, args: await this.#dc.decodeValues(task.args) };
      return {
        ...task,
        events: await decodeHistoryEvents(this.#dc, task.events),
        updates:
          task.updates &&
          (await Promise.all(
            task.updates.map(async (u) => ({ ...u, args: await this.#dc.decodeValues(u.args) })),
          )),
      };
    } catch (e) {
      if (task.kind === 'query') {
        await this.#api.respondQueryTask({
          queryId: task.queryId,
          result: { status: 'failed', failure: encodeFailure(e), notRegistered: false },
        });
      } else {
        await this.#api.failWorkflowTask({
          taskToken: task.taskToken,
          identity,
          cause: 'WorkflowError',
          failure: encodeFailure(e),
        });
      }
      return undefined;
    }
  }

  /**
   * A command payload this worker cannot encode fails the task at once (retried; visible in
   * describe()) and the run is dropped from the cache, as in Temporal, instead of leaving the
   * task unanswered until it times out.
   */
  async completeWorkflowTask(req: Req<'completeWorkflowTask'>) {
    let commands: Awaited<ReturnType<typeof encodeCommands>>;
    try {
      commands = await encodeCommands(this.#dc, req.commands);
    } catch (e) {
      await this.#api.failWorkflowTask({
        taskToken: req.taskToken,
        identity: req.identity,
        cause: 'WorkflowError',
        failure: encodeFailure(e),
      });
      return { accepted: false };
    }
    const res = await this.#api.completeWorkflowTask({ ...req, commands });
    if (res.activityTasks === undefined) return res;
    const tasks = await Promise.all(
      res.activityTasks.map((t) => this.#decodeActivityTask(t, req.identity)),
    );
    return { ...res, activityTasks: tasks.filter((t) => t !== undefined) };
  }

  async failWorkflowTask(req: Req<'failWorkflowTask'>) {
    return this.#api.failWorkflowTask({
      ...req,
      failure: await this.#dc.encodeFailure(req.failure),
    });
  }

  /** An answer this worker cannot encode fails the query with the converter's error. */
  async respondQueryTask(req: Req<'respondQueryTask'>) {
    const r = req.result;
    let result: Req<'respondQueryTask'>['result'];
    try {
      result =
        r.status === 'success'
          ? { ...r, result: await this.#dc.encodeValue(r.result) }
          : { ...r, failure: await this.#dc.encodeFailure(r.failure) };
    } catch (e) {
      result = { status: 'failed', failure: encodeFailure(e), notRegistered: false };
    }
    return this.#api.respondQueryTask({ ...req, result });
  }

  async pollActivityTask(
    req: Req<'pollActivityTask'>,
    signal?: AbortSignal,
  ): Promise<ActivityTask | undefined> {
    const task = await this.#api.pollActivityTask(req, signal);
    return task && this.#decodeActivityTask(task, req.identity);
  }

  /** As {@link #decodeWorkflowTask}: an undecodable payload fails the attempt. */
  async #decodeActivityTask(
    task: ActivityTask,
    identity: string,
  ): Promise<ActivityTask | undefined> {
    try {
      return {
        ...task,
        args: await this.#dc.decodeValues(task.args),
        heartbeatDetails: await this.#dc.decodeOptionalValues(task.heartbeatDetails),
      };
    } catch (e) {
      await this.#api.failActivityTask({
        taskToken: task.taskToken,
        identity,
        failure: encodeFailure(e),
      });
      return undefined;
    }
  }

  // Also the client's `client.activity` (async completion) requests.
  /**
   * Throws `DataConverterError` when the result cannot be encoded: the worker then fails the
   * attempt with it (retried by the activity's policy), as in Temporal.
   */
  async completeActivityTask(req: Req<'completeActivityTask'>) {
    let result: unknown;
    try {
      result = await this.#dc.encodeValue(req.result);
    } catch (e) {
      throw new DataConverterError("the activity's result", e);
    }
    const res = await this.#api.completeActivityTask({ ...req, result });
    if (res.workflowTask === undefined) return res;
    return { ...res, workflowTask: await this.#decodeWorkflowTask(res.workflowTask, req.identity) };
  }

  async failActivityTask(req: Req<'failActivityTask'>) {
    return this.#api.failActivityTask({
      ...req,
      failure: await this.#dc.encodeFailure(req.failure),
      lastHeartbeatDetails: await this.#dc.encodeOptionalValues(req.lastHeartbeatDetails),
    });
  }

  async reportActivityTaskCanceled(req: Req<'reportActivityTaskCanceled'>) {
    return this.#api.reportActivityTaskCanceled({
      ...req,
      details: await this.#dc.encodeOptionalValues(req.details),
    });
  }

  releaseActivityTask(req: Req<'releaseActivityTask'>) {
    return this.#api.releaseActivityTask(req);
  }

  /** Throws `DataConverterError` when the details cannot be encoded (see the activity runner). */
  async heartbeatActivityTask(req: Req<'heartbeatActivityTask'>) {
    let details: unknown[];
    try {
      details = await this.#dc.encodeValues(req.details);
    } catch (e) {
      throw new DataConverterError("the activity's heartbeat details", e);
    }
    return this.#api.heartbeatActivityTask({ ...req, details });
  }

  // ── schedules ────────────────────────────────────────────────────────────────────────────
  async createSchedule(req: Req<'createSchedule'>) {
    return this.#api.createSchedule({
      ...req,
      action: await this.#action(req.action, 'encode'),
      memo: await this.#dc.encodeMemo(req.memo),
    });
  }

  async updateSchedule(req: Req<'updateSchedule'>) {
    return this.#api.updateSchedule({ ...req, action: await this.#action(req.action, 'encode') });
  }

  async describeSchedule(req: Req<'describeSchedule'>) {
    const d = await this.#api.describeSchedule(req);
    return {
      ...d,
      action: await this.#action(d.action, 'decode'),
      memo: await this.#dc.decodeMemo(d.memo),
    };
  }

  async listSchedules(req: Req<'listSchedules'>) {
    const page = await this.#api.listSchedules(req);
    return {
      ...page,
      schedules: await Promise.all(
        page.schedules.map(async (s) => ({ ...s, memo: await this.#dc.decodeMemo(s.memo) })),
      ),
    };
  }

  patchSchedule(req: Req<'patchSchedule'>) {
    return this.#api.patchSchedule(req);
  }

  deleteSchedule(req: Req<'deleteSchedule'>) {
    return this.#api.deleteSchedule(req);
  }

  addSearchAttributes(req: Req<'addSearchAttributes'>) {
    return this.#api.addSearchAttributes(req);
  }

  removeSearchAttributes(req: Req<'removeSearchAttributes'>) {
    return this.#api.removeSearchAttributes(req);
  }

  listSearchAttributes(req: Req<'listSearchAttributes'>) {
    return this.#api.listSearchAttributes(req);
  }

  createNamespace(req: Req<'createNamespace'>) {
    return this.#api.createNamespace(req);
  }

  listNamespaces(req: Req<'listNamespaces'>) {
    return this.#api.listNamespaces(req);
  }

  describeNamespace(req: Req<'describeNamespace'>) {
    return this.#api.describeNamespace(req);
  }

  shutdownWorker(req: Req<'shutdownWorker'>) {
    return this.#api.shutdownWorker(req);
  }

  async #action(a: ScheduleAction, d: 'encode' | 'decode'): Promise<ScheduleAction> {
    const userMetadata = await mapUserMetadata(this.#dc, d, a.userMetadata);
    return d === 'encode'
      ? {
          ...a,
          args: await this.#dc.encodeValues(a.args),
          memo: await this.#dc.encodeMemo(a.memo),
          ...userMetadata,
        }
      : {
          ...a,
          args: await this.#dc.decodeValues(a.args),
          memo: await this.#dc.decodeMemo(a.memo),
          ...userMetadata,
        };
  }
}
