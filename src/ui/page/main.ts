// The web UI's script: picks the view for the address and follows the page's own links without
// reloading (history.pushState). Served bundled by ui-app.ts.
import { UNAUTHORIZED_EVENT, apiKey, setApiKey } from './api.ts';
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

/** A bar under the header that takes the engine's API key for this tab, then shows the view again. */
function askForApiKey(): void {
  if (document.getElementById('api-key') !== null) return;
  const input = h('input', {
    type: 'password',
    'aria-label': 'API key',
    placeholder: 'API key',
    autocomplete: 'off',
  });
  const bar = h(
    'form',
    {
      id: 'api-key',
      class: 'filter',
      onsubmit: (e) => {
        e.preventDefault();
        setApiKey(input.value.trim());
        bar.remove();
        show();
      },
    },
    h(
      'span',
      {},
      apiKey() === '' ? 'This engine wants an API key.' : 'The engine refused the API key.',
    ),
    input,
    h('button', { type: 'submit' }, 'Use key'),
  );
  root.before(bar);
  input.focus();
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
window.addEventListener(UNAUTHORIZED_EVENT, askForApiKey);
show();
