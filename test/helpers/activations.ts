// What a sandbox or an Activator is given, for tests that drive them without a worker.
import type {
  Activation,
  ActivationJob,
  WorkflowStartInfo,
} from '../../src/protocol/activation.ts';

/** The start of run `runId` of `workflowType`, on queue 'q' of namespace 'default'. */
export function startInfo(runId: string, workflowType: string): WorkflowStartInfo {
  return {
    workflowId: `wf-${runId}`,
    runId,
    workflowType,
    taskQueue: 'q',
    namespace: 'default',
    attempt: 1,
    firstExecutionRunId: runId,
    startTimeMs: 0,
    memo: {},
    searchAttributes: {},
    workflowExecutionTimeoutMs: undefined,
    workflowRunTimeoutMs: undefined,
    workflowTaskTimeoutMs: 10_000,
  };
}

/** A live activation of `jobs` at time 1000. */
export function activation(jobs: ActivationJob[]): Activation {
  return {
    timeMs: 1000,
    isReplaying: false,
    historyLength: 3,
    historySizeBytes: 100,
    continueAsNewSuggested: false,
    jobs,
  };
}
