// The page's addresses: what each path shows, and the path of each view. Pure, unit-tested.

export const DEFAULT_NAMESPACE = 'default';

/** Shows the view at `path` (a path and search of this site) as a new history entry. */
export type Navigate = (path: string) => void;

export type Route =
  | { page: 'workflows'; namespace: string; query: string }
  | { page: 'run'; namespace: string; workflowId: string; runId: string }
  | { page: 'notFound'; path: string };

/**
 * The view at `pathname` (as `location.pathname` gives it, segments percent-encoded) with
 * `search` (`location.search`):
 * - `/` and `/namespaces/<ns>/workflows`: the list of runs, `?namespace=` (on `/`) and `?query=`;
 * - `/namespaces/<ns>/workflows/<workflowId>/<runId>`: one run.
 */
export function parseRoute(pathname: string, search: string): Route {
  const params = new URLSearchParams(search);
  const query = params.get('query') ?? '';
  const segments = pathname.split('/').filter((s) => s !== '');
  const decoded = segments.map(decodeSegment);
  if (decoded.includes(undefined)) return { page: 'notFound', path: pathname };
  const [first, namespace, workflows, workflowId, runId, ...rest] = decoded as string[];
  if (first === undefined) {
    return { page: 'workflows', namespace: params.get('namespace') || DEFAULT_NAMESPACE, query };
  }
  if (first === 'namespaces' && namespace !== undefined && workflows === 'workflows') {
    if (workflowId === undefined) return { page: 'workflows', namespace, query };
    if (runId !== undefined && rest.length === 0) {
      return { page: 'run', namespace, workflowId, runId };
    }
  }
  return { page: 'notFound', path: pathname };
}

/** The path of the list of runs of `namespace` filtered by `query` ('' for all). */
export function workflowsPath(namespace: string, query = ''): string {
  const params = new URLSearchParams();
  if (namespace !== DEFAULT_NAMESPACE) params.set('namespace', namespace);
  if (query !== '') params.set('query', query);
  const search = params.toString();
  return search === '' ? '/' : `/?${search}`;
}

/** The path of one run's page. */
export function runPath(namespace: string, workflowId: string, runId: string): string {
  return `/namespaces/${enc(namespace)}/workflows/${enc(workflowId)}/${enc(runId)}`;
}

const enc = encodeURIComponent;

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
