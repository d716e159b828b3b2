// What the service-mode hosts (engine-host.ts, worker-host.ts) share: their messages with the
// repetition that started them, and the rule that a host never outlives it.
//
// Parent → host: {type:'usage'} and {type:'stop'}. Host → parent: {type:'ready', …},
// {type:'usage', …} and, once stopped, {type:'stopped', …}, each with `usage` (this process's CPU
// time and peak RSS) and whatever the host adds (the engine host: its store's call counts).

/** This process's CPU time so far (µs) and its peak RSS (bytes). */
export interface ProcessUsage {
  readonly userUs: number;
  readonly systemUs: number;
  readonly peakBytes: number;
}

export function processUsage(): ProcessUsage {
  const r = process.resourceUsage();
  return { userUs: r.userCPUTime, systemUs: r.systemCPUTime, peakBytes: r.maxRSS * 1024 };
}

export function env(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`${name} must be set`);
  return v;
}

function send(message: object): void {
  process.send?.(message);
}

/**
 * Tells the parent the host is ready (with `ready`'s fields), answers its `usage` requests with
 * `usage()`'s fields, and on `stop` runs `stop`, answers `stopped` and exits. A host whose parent
 * is gone (killed, or ended without stopping it) exits at once: no engine or worker is left
 * running after a repetition.
 */
export function serveParent(opts: {
  ready: object;
  usage?: () => object;
  stop: () => Promise<void>;
}): void {
  const extra = opts.usage ?? (() => ({}));
  let stopping = false;
  process.on('disconnect', () => {
    if (!stopping) process.exit(1);
  });
  process.on('message', (m: unknown) => {
    const type = typeof m === 'object' && m !== null ? (m as { type?: unknown }).type : undefined;
    if (type === 'usage') {
      send({ type: 'usage', usage: processUsage(), ...extra() });
    } else if (type === 'stop' && !stopping) {
      stopping = true;
      void opts.stop().then(
        () => {
          process.send?.({ type: 'stopped', usage: processUsage(), ...extra() }, () => {
            process.exit(0);
          });
        },
        (e: unknown) => {
          process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
          process.exit(1);
        },
      );
    }
  });
  send({ type: 'ready', ...opts.ready });
}
