// One run: its summary, what it waits for, its input and outcome, its history as a timeline,
// and the actions a person may take on it. Refreshed while the run is open.
import type { HistoryEvent } from '../../protocol/history-events.ts';
import type { WorkflowDescription } from '../../transport/engine-api.ts';
import { ApiError, callApi, isRefusal } from './api.ts';
import type { Child } from './dom.ts';
import { h, navLink, replace } from './dom.ts';
import { eventTone, summarizeEvent } from './event-summary.ts';
import { assertNever, formatDuration, formatTime, jsonBlock, jsonLine } from './format.ts';
import { runPath, workflowsPath } from './routes.ts';
import { runActions } from './run-actions.ts';
import { errorLine, failureBlock, jsonPre, statusBadge } from './widgets.ts';

/** How often an open run's page asks for news. */
const POLL_MS = 1500;

export interface RunRoute {
  namespace: string;
  workflowId: string;
  runId: string;
}

/** Renders the run of `route` into `root`, refreshing it while it runs; returns its disposer. */
export function runPage(root: HTMLElement, route: RunRoute): () => void {
  const { namespace, workflowId, runId } = route;
  const ref = { namespace, workflowId, runId };
  const aborter = new AbortController();
  const status = h('span', { class: 'status' });
  const loadError = h('p', { class: 'error', role: 'alert', hidden: true });
  const summary = h('section', { class: 'card' });
  const waiting = h('section', { class: 'card', hidden: true });
  const io = h('section', { class: 'card io' });
  const events = h('tbody');
  const actions = runActions(ref, () => {
    void refresh();
  });
  replace(
    root,
    h('p', {}, navLink(workflowsPath(namespace), `← Workflows of ${namespace}`)),
    h('h1', {}, workflowId, ' ', status),
    h('p', { class: 'muted mono' }, `Run ${runId}`),
    loadError,
    summary,
    waiting,
    io,
    actions.element,
    h('h2', {}, 'History'),
    h(
      'table',
      { class: 'history' },
      h('thead', {}, h('tr', {}, ...['ID', 'Time', 'Event', 'Summary'].map((t) => h('th', {}, t)))),
      events,
    ),
  );

  const history: HistoryEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> | undefined;
  let again = false;

  /** One look at the run: its description, then the events it has appended since the last. */
  const look = async (): Promise<void> => {
    try {
      // The description first: the history read after it has every event it counts.
      const description = await callApi('describeWorkflow', ref, aborter.signal);
      const fresh = await callApi(
        'getHistory',
        { ...ref, fromEventId: history.length + 1 },
        aborter.signal,
      );
      for (const event of fresh.events) {
        if (event.eventId !== history.length + 1) continue;
        history.push(event);
        events.append(...eventRows(event));
      }
      errorLine(loadError, undefined);
      replace(status, description.status);
      status.className = `status status-${description.status}`;
      replace(summary, ...summaryOf(namespace, description, history));
      showWaiting(waiting, description);
      replace(io, ...inputAndOutcome(namespace, workflowId, history));
      actions.setOpen(description.status === 'Running');
      if (description.status !== 'Running') return;
    } catch (e) {
      if (aborter.signal.aborted) return;
      errorLine(loadError, e);
      // A run that is not there will not appear; an engine that did not answer may come back.
      if (e instanceof ApiError && isRefusal(e)) return;
    }
    if (!aborter.signal.aborted) timer = setTimeout(() => void refresh(), POLL_MS);
  };

  /** Looks now (after a look in flight, if any); the next look is then due POLL_MS later. */
  const refresh = async (): Promise<void> => {
    clearTimeout(timer);
    if (inFlight !== undefined) {
      again = true;
      return;
    }
    inFlight = look();
    await inFlight;
    inFlight = undefined;
    if (again) {
      again = false;
      await refresh();
    }
  };
  void refresh();
  return () => {
    aborter.abort();
    clearTimeout(timer);
  };
}

function summaryOf(
  namespace: string,
  d: WorkflowDescription,
  history: readonly HistoryEvent[],
): Child[] {
  const started = history[0]?.type === 'WorkflowExecutionStarted' ? history[0] : undefined;
  const executionTimeMs = d.startTimeMs + (started?.firstWorkflowTaskBackoffMs ?? 0);
  const rows: [string, Child][] = [
    ['Status', statusBadge(d.status)],
    ['Workflow type', d.workflowType],
    ['Task queue', d.taskQueue],
    ['Start time', formatTime(d.startTimeMs)],
    ['Execution time', formatTime(executionTimeMs)],
    ['Close time', d.closeTimeMs === undefined ? '—' : formatTime(d.closeTimeMs)],
    [
      'Duration',
      d.closeTimeMs === undefined
        ? `${formatDuration(Math.max(0, Date.now() - d.startTimeMs))} so far`
        : formatDuration(d.closeTimeMs - d.startTimeMs),
    ],
    ['History', `${d.historyLength} events, ${d.historySizeBytes} bytes`],
  ];
  if (d.mostRecentWorkerBuildId !== undefined) rows.push(['Build id', d.mostRecentWorkerBuildId]);
  if (started?.parent !== undefined) {
    const p = started.parent;
    rows.push(['Parent', navLink(runPath(p.namespace, p.workflowId, p.runId), p.workflowId)]);
  }
  if (started?.continuedExecutionRunId !== undefined) {
    const from = started.continuedExecutionRunId;
    rows.push([
      `Continues (${started.initiator ?? 'Workflow'})`,
      navLink(runPath(namespace, d.workflowId, from), from),
    ]);
  }
  if (d.userMetadata?.summary !== undefined)
    rows.push(['Summary', jsonLine(d.userMetadata.summary, 500)]);
  if (Object.keys(d.memo).length > 0) rows.push(['Memo', jsonPre(d.memo)]);
  if (Object.keys(d.searchAttributes).length > 0) {
    rows.push(['Search attributes', jsonPre(d.searchAttributes)]);
  }
  return [
    h('h2', {}, 'Summary'),
    h('dl', {}, ...rows.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)])),
  ];
}

/** What the open run waits for: its pending activities and timers, a failing workflow task. */
function showWaiting(section: HTMLElement, d: WorkflowDescription): void {
  section.hidden = d.status !== 'Running';
  if (section.hidden) return;
  const parts: Child[] = [h('h2', {}, 'Waiting for')];
  if (d.lastWorkflowTaskFailure !== undefined) {
    const f = d.lastWorkflowTaskFailure;
    parts.push(
      h(
        'div',
        { class: 'pending pending-failure' },
        h('h3', {}, `Workflow task failing: ${f.cause} (attempt ${f.attempt})`),
        h('p', { class: 'muted' }, formatTime(f.timeMs)),
        failureBlock(f.failure),
      ),
    );
  }
  for (const a of d.pendingActivities) {
    parts.push(
      h(
        'div',
        { class: 'pending' },
        h('h3', {}, `Activity ${a.activityType} (id ${a.activityId}): ${a.state}`),
        h(
          'dl',
          {},
          ...term('Attempt', String(a.attempt)),
          ...term('Scheduled', formatTime(a.scheduledTimeMs)),
          ...term('Last started', formatTime(a.lastStartedTimeMs)),
          ...term('Last heartbeat', formatTime(a.lastHeartbeatTimeMs)),
          ...term('Heartbeat details', a.heartbeatDetails && jsonLine(a.heartbeatDetails, 500)),
          ...term('Next attempt', formatTime(a.nextAttemptScheduleTimeMs)),
        ),
        a.lastFailure !== undefined && h('h4', {}, 'Last failure'),
        a.lastFailure !== undefined && failureBlock(a.lastFailure),
      ),
    );
  }
  for (const t of d.pendingTimers) {
    parts.push(
      h(
        'div',
        { class: 'pending' },
        h('h3', {}, `Timer ${t.timerId}: fires at ${formatTime(t.firesAtMs)}`),
      ),
    );
  }
  if (parts.length === 1) {
    parts.push(
      h(
        'p',
        { class: 'muted' },
        'No activity or timer pending: the workflow waits for a signal, an update or a condition.',
      ),
    );
  }
  replace(section, ...parts);
}

/** A definition-list entry, none when the value is empty. */
function term(name: string, value: string | undefined): Child[] {
  return value === undefined || value === '' ? [] : [h('dt', {}, name), h('dd', {}, value)];
}

/** The events that close a run: the last of its history. */
const CLOSE_TYPES = [
  'WorkflowExecutionCompleted',
  'WorkflowExecutionFailed',
  'WorkflowExecutionCanceled',
  'WorkflowExecutionTerminated',
  'WorkflowExecutionTimedOut',
  'WorkflowExecutionContinuedAsNew',
] as const;
type CloseEvent = Extract<HistoryEvent, { type: (typeof CLOSE_TYPES)[number] }>;

function isCloseEvent(event: HistoryEvent | undefined): event is CloseEvent {
  return event !== undefined && (CLOSE_TYPES as readonly string[]).includes(event.type);
}

/** The run's input (its first event) and its outcome (its closing event, once closed). */
function inputAndOutcome(
  namespace: string,
  workflowId: string,
  history: readonly HistoryEvent[],
): Child[] {
  const first = history[0];
  const last = history.at(-1);
  return [
    h('h2', {}, 'Input'),
    first?.type === 'WorkflowExecutionStarted' && jsonPre(first.input),
    ...(isCloseEvent(last)
      ? outcomeOf(last, (runId) => runPath(namespace, workflowId, runId))
      : []),
  ];
}

/** A closed run's result, failure or end, with a link to the run that follows it, if any. */
function outcomeOf(close: CloseEvent, pathOf: (runId: string) => string): Child[] {
  const nextRun = (runId: string | undefined): Child =>
    runId !== undefined && h('p', {}, 'Next run: ', navLink(pathOf(runId), runId));
  const outcome = (title: string, ...body: Child[]): Child[] => [
    h('h2', { class: 'outcome' }, title),
    ...body,
  ];
  switch (close.type) {
    case 'WorkflowExecutionCompleted':
      return outcome('Result', jsonPre(close.result ?? null), nextRun(close.newExecutionRunId));
    case 'WorkflowExecutionFailed':
      return outcome(
        'Failure',
        failureBlock(close.failure),
        h('p', { class: 'muted' }, `Retry state ${close.retryState}`),
        nextRun(close.newExecutionRunId),
      );
    case 'WorkflowExecutionCanceled':
      return outcome('Canceled', close.details !== undefined && jsonPre(close.details));
    case 'WorkflowExecutionTerminated':
      return outcome('Terminated', h('p', {}, `Reason: ${close.reason}`));
    case 'WorkflowExecutionTimedOut':
      return outcome(
        'Timed out',
        h('p', {}, `Retry state ${close.retryState}`),
        nextRun(close.newExecutionRunId),
      );
    case 'WorkflowExecutionContinuedAsNew':
      return outcome('Continued as new', nextRun(close.newExecutionRunId));
    default:
      return assertNever(close);
  }
}

/** An event's row on the timeline and the row under it with its full JSON, shown on a click. */
function eventRows(event: HistoryEvent): [HTMLTableRowElement, HTMLTableRowElement] {
  const detail = h(
    'tr',
    { class: 'event-detail', hidden: true },
    h('td', { colspan: 4 }, h('pre', { class: 'json' }, jsonBlock(event))),
  );
  const row = h(
    'tr',
    {
      class: `event tone-${eventTone(event.type)}`,
      'aria-expanded': 'false',
      tabindex: 0,
      onclick: () => {
        detail.hidden = !detail.hidden;
        row.setAttribute('aria-expanded', String(!detail.hidden));
      },
      onkeydown: (e) => {
        if ((e as KeyboardEvent).key === 'Enter') row.click();
      },
    },
    h('td', { class: 'num' }, event.eventId),
    h('td', { class: 'time' }, formatTime(event.timeMs)),
    h('td', { class: 'type' }, event.type),
    h('td', {}, summarizeEvent(event)),
  );
  return [row, detail];
}
