/**
 * Temporal's default limits on one run, shared by the engine (`EngineLimits`, which may change
 * them) and the worker (which falls back on them for histories recorded before the engine put
 * `suggestContinueAsNew` on `WorkflowTaskStarted`).
 */
export const HISTORY_LIMIT_DEFAULTS = {
  /** `workflowInfo().continueAsNewSuggested` turns true at this many events… */
  suggestContinueAsNewEvents: 4 * 1024,
  /** …or at this many bytes of history. */
  suggestContinueAsNewBytes: 4 * 1024 * 1024,
  /** A warning is logged once per run past this many events… */
  historyCountWarn: 10 * 1024,
  /** …and the run is terminated past this many. */
  historyCountLimit: 50 * 1024,
  /** A warning is logged once per run past this many bytes of history… */
  historySizeWarnBytes: 10 * 1024 * 1024,
  /** …and the run is terminated past this many. */
  historySizeLimitBytes: 50 * 1024 * 1024,
} as const;

export interface ContinueAsNewThresholds {
  readonly suggestContinueAsNewEvents: number;
  readonly suggestContinueAsNewBytes: number;
  readonly historyCountWarn: number;
  readonly historySizeWarnBytes: number;
}

/**
 * Whether a run whose history has `historyLength` events and `historySizeBytes` bytes should
 * continue as new: past the suggestion thresholds, and always past the warning thresholds.
 */
export function isContinueAsNewSuggested(
  historyLength: number,
  historySizeBytes: number,
  t: ContinueAsNewThresholds = HISTORY_LIMIT_DEFAULTS,
): boolean {
  return (
    historyLength >= Math.min(t.suggestContinueAsNewEvents, t.historyCountWarn) ||
    historySizeBytes >= Math.min(t.suggestContinueAsNewBytes, t.historySizeWarnBytes)
  );
}
