// The deadlock watchdog for calls into workflow code. node:vm's `timeout` option starts and joins
// a thread for every call (~0.1 ms, and a context switch to the other core); the native addon in
// native/watchdog keeps one thread per isolate for the life of the process, and a call only takes
// a mutex twice (~0.5 µs). Both interrupt a call that overruns with node's own error
// (ERR_SCRIPT_EXECUTION_TIMEOUT). `npm install` builds the addon; where it could not be built
// (no C++ toolchain), the sandbox falls back to node:vm's watchdog, which is slower, not less safe.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import type { MutePromiseHooks } from './async-id-stack.ts';

/** How calls into workflow code are timed: the native addon's thread, or node:vm's per call. */
export type WatchdogKind = 'native' | 'node-vm';

/** The addon's one function: calls `fn`, interrupting it after `timeoutMs` (see watchdog.cc). */
export type WatchedCall = <T>(fn: () => T, timeoutMs: number) => T;

/**
 * What the addon exports: `run`, or `error` where its thread could not start; and
 * `mutePromiseHooks` (async-id-stack.ts), which needs no thread (absent from builds before it).
 */
export interface WatchdogAddon {
  readonly run?: WatchedCall;
  readonly error?: string;
  readonly mutePromiseHooks?: MutePromiseHooks;
}

const ADDON_PATH = path.join('native', 'watchdog', 'build', 'Release', 'reprise_watchdog.node');
/** How many directories up from this module the package root may be (src/worker/sandbox: 3). */
const MAX_LEVELS_UP = 6;
const PACKAGE_NAME = 'reprise';

export type Loaded = ({ readonly call: WatchedCall } | { readonly unavailable: string }) & {
  readonly mute?: MutePromiseHooks;
};

let loaded: Loaded | undefined;

/** The addon, loaded at the first call (or why it could not be). */
function nativeWatchdog(): Loaded {
  loaded ??= load();
  return loaded;
}

/** The addon's watched call, or undefined where it could not be built or loaded. */
export function nativeWatchedCall(): WatchedCall | undefined {
  const addon = nativeWatchdog();
  return 'call' in addon ? addon.call : undefined;
}

/** The addon's mutePromiseHooks, or undefined where it could not be built or loaded. */
export function nativeMutePromiseHooks(): MutePromiseHooks | undefined {
  return nativeWatchdog().mute;
}

/** Why the addon is not loaded (and what to do), or undefined when it is. */
export function nativeWatchdogUnavailable(): string | undefined {
  const addon = nativeWatchdog();
  return 'unavailable' in addon ? addon.unavailable : undefined;
}

/**
 * The watchdog a sandbox uses unless told otherwise: the native one where it loaded, on the main
 * thread. On a worker thread node:vm's: a `worker.terminate()` that lands while the native
 * watchdog is firing would be cancelled with its own termination (node:vm can tell the two
 * apart; the addon cannot, node does not expose whether the thread is stopping). A worker thread
 * loads the addon (and starts its thread) only if a sandbox there asks for it.
 */
export const defaultWatchdog: WatchdogKind =
  isMainThread && nativeWatchedCall() !== undefined ? 'native' : 'node-vm';

/**
 * Finds the built addon from this module's directory up to the package's root (the directory
 * whose package.json names Reprise): the same walk serves the sources (src/worker/sandbox) and
 * the compiled package (dist/...); never an unrelated directory above the package.
 */
function load(): Loaded {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level <= MAX_LEVELS_UP; level++) {
    const candidate = path.join(dir, ADDON_PATH);
    if (existsSync(candidate)) {
      try {
        return fromAddon(candidate, createRequire(import.meta.url)(candidate) as WatchdogAddon);
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        return {
          unavailable: `${candidate} did not load (${reason}); rebuild it with 'npm run build:native'.`,
        };
      }
    }
    if (isPackageRoot(dir)) break;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return {
    unavailable:
      `${ADDON_PATH} was not built (it needs python3, make and a C++ compiler); ` +
      "build it with 'npm run build:native'.",
  };
}

/** The watched call an addon loaded from `file` exports, or why it does not. */
export function fromAddon(file: string, addon: WatchdogAddon): Loaded {
  const mute = typeof addon.mutePromiseHooks === 'function' ? addon.mutePromiseHooks : undefined;
  const extra = mute === undefined ? {} : { mute };
  if (typeof addon.run === 'function') return { call: addon.run, ...extra };
  const reason = addon.error ?? 'it exports no run()';
  return {
    unavailable: `${file} loaded but cannot be used (${reason}); node:vm's watchdog serves instead.`,
    ...extra,
  };
}

function isPackageRoot(dir: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      name?: unknown;
    };
    return manifest.name === PACKAGE_NAME;
  } catch {
    return false;
  }
}
