// Builds the native deadlock watchdog (native/watchdog) with node-gyp: run by `npm install` and
// by `npm run build:native`. On `npm install` a failed build is a warning, not a failed install:
// the sandbox then falls back to node:vm's watchdog (slower per call into workflow code, as
// safe). With --strict (`npm run build:native`) it fails, showing node-gyp's output.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const strict = process.argv.includes('--strict');
const addonDir = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'native',
  'watchdog',
);
// npm gives its scripts the node-gyp it ships with; outside npm, the one on PATH.
const nodeGyp = process.env['npm_config_node_gyp'];
// Node's own headers where they are installed beside it (no download; an offline machine builds
// too), unless npm was told where they are.
const installedHeaders = path.join(path.dirname(process.execPath), '..');
const nodedir =
  process.env['npm_config_nodedir'] === undefined &&
  existsSync(path.join(installedHeaders, 'include', 'node', 'node.h'))
    ? [`--nodedir=${installedHeaders}`]
    : [];
const [command, args] =
  nodeGyp === undefined
    ? ['node-gyp', ['rebuild', ...nodedir]]
    : [process.execPath, [nodeGyp, 'rebuild', ...nodedir]];
const result = spawnSync(command, args, { cwd: addonDir, encoding: 'utf8', timeout: 300_000 });
const output = `${result.stdout}${result.stderr}`;

if (result.status === 0) {
  process.stdout.write('reprise: built the native deadlock watchdog (native/watchdog).\n');
} else {
  const reason = result.error?.message ?? lastLines(output, 15);
  process.stderr.write(
    `reprise: the native deadlock watchdog did not build; workflow code runs under node:vm's ` +
      `watchdog instead, which costs ~0.1 ms more per call. It needs python3, make, a C++ ` +
      `compiler and Node's headers; retry with 'npm run build:native'.\n${reason}\n`,
  );
  if (strict) process.exitCode = 1;
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}
