/**
 * `reprise/testing`: test environments with an embedded engine and a virtual clock.
 * @example
 * const env = await TestWorkflowEnvironment.createTimeSkipping();
 */
export { TestWorkflowEnvironment } from './test-workflow-environment.ts';
export type {
  ExistingServerTestWorkflowEnvironmentOptions,
  TestWorkflowEnvironmentOptions,
} from './test-workflow-environment.ts';
export { MockActivityEnvironment, defaultActivityInfo } from './mock-activity-environment.ts';
export type { MockActivityEnvironmentOptions } from './mock-activity-environment.ts';
