// The list of runs: a filter in Temporal's list-filter language, newest first, page by page.
import type { WorkflowExecutionInfo } from '../../transport/engine-api.ts';
import { callApi } from './api.ts';
import { h, navLink, replace } from './dom.ts';
import { formatTime } from './format.ts';
import { runPath, workflowsPath } from './routes.ts';
import type { Navigate } from './routes.ts';
import { errorLine, statusBadge } from './widgets.ts';

const PAGE_SIZE = 50;

/** Renders the list of `namespace`'s runs that match `query` into `root`; returns its disposer. */
export function workflowsPage(
  root: HTMLElement,
  route: { namespace: string; query: string },
  navigate: Navigate,
): () => void {
  const { namespace, query } = route;
  const aborter = new AbortController();
  const input = h('input', {
    type: 'search',
    name: 'query',
    value: query,
    placeholder: "WorkflowType = 'order' AND ExecutionStatus = 'Running'",
    'aria-label': 'List filter',
  });
  const form = h(
    'form',
    {
      class: 'filter',
      onsubmit: (e) => {
        e.preventDefault();
        navigate(workflowsPath(namespace, input.value.trim()));
      },
    },
    input,
    h('button', { type: 'submit' }, 'Filter'),
    query !== '' && navLink(workflowsPath(namespace), 'Clear'),
    h('button', { type: 'button', onclick: () => void load(true) }, 'Refresh'),
  );
  const status = h('p', { class: 'error', role: 'alert', hidden: true });
  const body = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, 'Next page');
  const table = h(
    'table',
    { class: 'runs' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Workflow ID', 'Run ID', 'Type', 'Status', 'Start', 'Close', 'Task queue'].map((t) =>
          h('th', {}, t),
        ),
      ),
    ),
    body,
  );
  const empty = h('p', { class: 'muted', hidden: true }, 'No workflows match.');
  replace(
    root,
    h('h1', {}, 'Workflows'),
    h('p', { class: 'muted' }, 'Namespace ', h('strong', {}, namespace)),
    form,
    status,
    table,
    empty,
    h('p', {}, more),
  );

  let nextPageToken: string | undefined;
  const load = async (first: boolean): Promise<void> => {
    more.disabled = true;
    try {
      const page = await callApi(
        'listWorkflows',
        {
          namespace,
          ...(query === '' ? {} : { query }),
          pageSize: PAGE_SIZE,
          ...(first || nextPageToken === undefined ? {} : { nextPageToken }),
        },
        aborter.signal,
      );
      if (first) body.replaceChildren();
      for (const run of page.executions) body.append(runRow(namespace, run));
      nextPageToken = page.nextPageToken;
      more.hidden = nextPageToken === undefined;
      empty.hidden = body.childElementCount > 0;
      table.hidden = body.childElementCount === 0;
      errorLine(status, undefined);
    } catch (e) {
      if (aborter.signal.aborted) return;
      errorLine(status, e);
      table.hidden = first;
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', () => void load(false));
  void load(true);
  return () => {
    aborter.abort();
  };
}

function runRow(namespace: string, run: WorkflowExecutionInfo): HTMLTableRowElement {
  const href = runPath(namespace, run.workflowId, run.runId);
  return h(
    'tr',
    {},
    h('td', {}, navLink(href, run.workflowId)),
    h('td', { class: 'mono' }, navLink(href, run.runId)),
    h('td', {}, run.workflowType),
    h('td', {}, statusBadge(run.status)),
    h('td', { class: 'time' }, formatTime(run.startTimeMs)),
    h('td', { class: 'time' }, formatTime(run.closeTimeMs)),
    h('td', {}, run.taskQueue),
  );
}
