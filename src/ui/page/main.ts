// The web UI's script: picks the view for the address and follows the page's own links without
// reloading (history.pushState). Served bundled by ui-app.ts.
import { h, replace } from './dom.ts';
import { parseRoute } from './routes.ts';
import { runPage } from './run-page.ts';
import { workflowsPage } from './workflows-page.ts';
import { assertNever } from './format.ts';

const root = document.getElementById('app') ?? document.body;
/** Stops the shown view's requests and refreshes. */
let dispose: () => void = () => undefined;

function show(): void {
  dispose();
  const route = parseRoute(location.pathname, location.search);
  switch (route.page) {
    case 'workflows':
      document.title = `Workflows · ${route.namespace} · Reprise`;
      dispose = workflowsPage(root, route, navigate);
      break;
    case 'run':
      document.title = `${route.workflowId} · Reprise`;
      dispose = runPage(root, route);
      break;
    case 'notFound':
      document.title = 'Not found · Reprise';
      replace(
        root,
        h('h1', {}, 'Not found'),
        h(
          'p',
          {},
          `Nothing is shown at ${route.path}. `,
          h('a', { href: '/', 'data-nav': true }, 'See the workflows.'),
        ),
      );
      dispose = () => undefined;
      break;
    default:
      assertNever(route);
  }
}

function navigate(path: string): void {
  history.pushState(null, '', path);
  show();
  window.scrollTo(0, 0);
}

document.addEventListener('click', (e) => {
  const link = e.target instanceof Element ? e.target.closest('a[data-nav]') : null;
  if (!(link instanceof HTMLAnchorElement)) return;
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(link.pathname + link.search);
});
window.addEventListener('popstate', show);
show();
