// The zod schema each engine method parses its request with, by method: what the HTTP API's
// OpenAPI document describes each request body by.
import type * as z from 'zod';
import type { EngineApiMethod } from '../transport/engine-api.ts';
import {
  CanceledSchema as ReportActivityCanceledSchema,
  CompleteSchema as CompleteActivityTaskSchema,
  FailSchema as FailActivityTaskSchema,
  HeartbeatSchema,
  ReleaseSchema,
} from './ops/activity-tasks.ts';
import { CancelSchema } from './ops/cancel-workflow.ts';
import { CountSchema, ListSchema as ListWorkflowsSchema } from './ops/list-workflows.ts';
import {
  CreateSchema as CreateNamespaceSchema,
  DescribeSchema as DescribeNamespaceSchema,
  ListSchema as ListNamespacesSchema,
} from './ops/namespaces.ts';
import { PollUpdateSchema } from './ops/poll-workflow-update.ts';
import { QuerySchema } from './ops/query-workflow.ts';
import { HistorySchema, OutcomeSchema, RefSchema } from './ops/read-workflow.ts';
import { RegisterWorkerSchema } from './ops/register-worker-schema.ts';
import {
  CreateScheduleSchema,
  ListSchedulesSchema,
  PatchScheduleSchema,
  ScheduleRefSchema,
  UpdateScheduleSchema,
} from './ops/schedules/schedule-requests.ts';
import {
  AddSchema as AddSearchAttributesSchema,
  ListSchema as ListSearchAttributesSchema,
  RemoveSchema as RemoveSearchAttributesSchema,
} from './ops/search-attributes.ts';
import { SignalWithStartSchema } from './ops/signal-with-start.ts';
import { SignalSchema } from './ops/signal-workflow.ts';
import { StartWorkflowSchema } from './ops/start-workflow.ts';
import { UpdateWithStartSchema } from './ops/update-with-start.ts';
import { UpdateSchema } from './ops/update-workflow.ts';
import {
  CompleteSchema as CompleteWorkflowTaskSchema,
  FailSchema as FailWorkflowTaskSchema,
} from './ops/workflow-tasks.ts';
import { PollSchema, WorkflowPollSchema } from './task-queues/matcher.ts';
import { ShutdownWorkerSchema } from './sticky.ts';

/**
 * The schema each `EngineApi` method parses its request with at the engine's edge
 * (`parseRequest`), or `undefined` for a method that parses none (`respondQueryTask`: the
 * query's waiter reads the answer as it is). A record of every method, so that one added to
 * `EngineApi` and not here fails to compile.
 */
export const REQUEST_SCHEMAS: Readonly<Record<EngineApiMethod, z.ZodType | undefined>> = {
  startWorkflow: StartWorkflowSchema,
  signalWorkflow: SignalSchema,
  queryWorkflow: QuerySchema,
  cancelWorkflow: CancelSchema,
  terminateWorkflow: CancelSchema,
  describeWorkflow: RefSchema,
  getWorkflowOutcome: OutcomeSchema,
  getHistory: HistorySchema,
  updateWorkflow: UpdateSchema,
  pollWorkflowUpdate: PollUpdateSchema,
  signalWithStartWorkflow: SignalWithStartSchema,
  updateWithStartWorkflow: UpdateWithStartSchema,
  listWorkflows: ListWorkflowsSchema,
  countWorkflows: CountSchema,
  registerWorker: RegisterWorkerSchema,
  pollWorkflowTask: WorkflowPollSchema,
  completeWorkflowTask: CompleteWorkflowTaskSchema,
  failWorkflowTask: FailWorkflowTaskSchema,
  respondQueryTask: undefined,
  pollActivityTask: PollSchema,
  shutdownWorker: ShutdownWorkerSchema,
  completeActivityTask: CompleteActivityTaskSchema,
  failActivityTask: FailActivityTaskSchema,
  reportActivityTaskCanceled: ReportActivityCanceledSchema,
  heartbeatActivityTask: HeartbeatSchema,
  releaseActivityTask: ReleaseSchema,
  createSchedule: CreateScheduleSchema,
  describeSchedule: ScheduleRefSchema,
  updateSchedule: UpdateScheduleSchema,
  patchSchedule: PatchScheduleSchema,
  deleteSchedule: ScheduleRefSchema,
  listSchedules: ListSchedulesSchema,
  addSearchAttributes: AddSearchAttributesSchema,
  removeSearchAttributes: RemoveSearchAttributesSchema,
  listSearchAttributes: ListSearchAttributesSchema,
  createNamespace: CreateNamespaceSchema,
  listNamespaces: ListNamespacesSchema,
  describeNamespace: DescribeNamespaceSchema,
};
