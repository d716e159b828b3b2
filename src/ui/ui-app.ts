// The web UI: one HTML page and its script for every GET outside /api/. The page is a client of
// the engine's HTTP API like any other (src/ui/page/).
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { withEsbuild } from '../util/with-esbuild.ts';

/** Where the page's script is served: outside /api/ and outside the page's own paths. */
export const SCRIPT_PATH = '/assets/reprise-ui.js';

/**
 * A Hono app that serves the web UI: the page's script at {@link SCRIPT_PATH} and the page itself
 * at every other GET path, except those under `/api/`, which it leaves to the app it is mounted
 * in (`app.route('/', uiApp())`, after the API's routes). The script is bundled once per process,
 * when first asked for, and kept in memory.
 */
export function uiApp(): Hono {
  const app = new Hono();
  app.get(SCRIPT_PATH, async (c) => {
    const script = await pageScript();
    return c.body(script, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'no-cache',
    });
  });
  app.get('*', async (c, next) => {
    if (c.req.path === '/api' || c.req.path.startsWith('/api/')) {
      await next();
      return;
    }
    return c.html(PAGE_HTML, 200, {
      'cache-control': 'no-cache',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
  });
  return app;
}

let script: Promise<string> | undefined;

/** The page's script, bundled at the first call; a failed bundle is tried again at the next. */
function pageScript(): Promise<string> {
  script ??= withEsbuild((esbuild) =>
    esbuild.build({
      entryPoints: [fileURLToPath(new URL('./page/main.ts', import.meta.url))],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      // The page's own settings: the project's tsconfig may not be beside it once installed.
      tsconfigRaw: {},
      legalComments: 'none',
      logLevel: 'silent',
    }),
  ).then((result) => {
    const [file] = result.outputFiles;
    if (file === undefined) throw new Error('esbuild gave no output for the web UI page');
    return file.text;
  });
  script.catch(() => {
    script = undefined;
  });
  return script;
}

/** The page loads only its own script and style, and talks only to its own server. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'unsafe-inline'",
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const STYLE = `
:root { --fg: #1d2330; --muted: #667085; --line: #e3e6ec; --bg: #fff; --soft: #f6f7f9;
  --accent: #3a5bd9; --bad: #b42318; --good: #067647; --warn: #b54708; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 1rem; padding: .6rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--soft); }
header .brand { font-weight: 600; color: var(--fg); text-decoration: none; }
main { padding: 1rem 1.5rem 3rem; max-width: 1400px; }
h1 { font-size: 1.4rem; margin: .4rem 0; word-break: break-all; }
h2 { font-size: 1.05rem; margin: 1.2rem 0 .5rem; }
h3 { font-size: .95rem; margin: .2rem 0 .4rem; }
h4 { font-size: .85rem; margin: .6rem 0 .2rem; }
a { color: var(--accent); }
.muted { color: var(--muted); }
.mono, pre, .num, .time { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.error { color: var(--bad); white-space: pre-wrap; }
[hidden] { display: none !important; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
td { word-break: break-word; }
td.num, td.time, tr.event td.type { width: 1%; white-space: nowrap; }
tr.event { cursor: pointer; }
tr.event:hover, tr.event:focus { background: var(--soft); outline: none; }
tr.event td.type { font-weight: 500; white-space: nowrap; }
tr.event-detail td { background: var(--soft); }
.tone-failure td.type { color: var(--bad); }
.tone-activity td.type { color: #6941c6; }
.tone-timer td.type { color: var(--warn); }
.tone-signal td.type { color: var(--good); }
.tone-child td.type { color: #0e7090; }
.tone-task td.type { color: var(--muted); }
pre { margin: .2rem 0; padding: .5rem .7rem; background: var(--soft); border-radius: 4px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
.status { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: 12px; font-weight: 600; background: var(--soft); color: var(--muted); vertical-align: middle; }
.status-Running { background: #e0eaff; color: #3538cd; }
.status-Completed { background: #dcfae6; color: var(--good); }
.status-Failed, .status-TimedOut, .status-Terminated { background: #fee4e2; color: var(--bad); }
.status-Canceled { background: #fef0c7; color: var(--warn); }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .2rem 1rem .8rem; margin: .8rem 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1.2rem; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; min-width: 0; }
.pending { border-top: 1px solid var(--line); padding-top: .5rem; margin-top: .5rem; }
.failure { color: var(--bad); font-family: ui-monospace, monospace; font-size: 12.5px; }
.failure details { color: var(--fg); }
form.filter { display: flex; gap: .5rem; align-items: center; margin: .8rem 0; }
form.filter input { flex: 1; }
#api-key { margin: .8rem 1.5rem 0; max-width: 60rem; }
input, textarea, button { font: inherit; padding: .35rem .6rem; border: 1px solid #cfd4dc; border-radius: 4px; }
textarea { font-family: ui-monospace, monospace; font-size: 12.5px; resize: vertical; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button:disabled { opacity: .6; cursor: default; }
.actions { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: .8rem; }
.actions h2 { grid-column: 1 / -1; margin-bottom: 0; }
form.action { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .8rem; }
form.action .fields { display: grid; gap: .4rem; }
form.action .fields button { justify-self: start; }
form.action.danger button { background: var(--bad); border-color: var(--bad); }
`;

const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reprise</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><a class="brand" href="/" data-nav>Reprise</a></header>
<main id="app"><p class="muted">Loading…</p></main>
<script type="module" src="${SCRIPT_PATH}"></script>
</body>
</html>
`;
