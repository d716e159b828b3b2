import type {
  EngineApi,
  UpdateWithStartResponse,
  UpdateWorkflowResponse,
} from '../../src/transport/engine-api.ts';

/** The client calls that send an update and long-poll its stage. */
type UpdateCall = 'updateWorkflow' | 'updateWithStartWorkflow';

/**
 * A connection for a `Client` whose update calls of one kind the test steps through, to see what
 * the client does when a long poll ends with the update only admitted. The first call goes to the
 * engine with its long poll cut to nothing, so that it answers at once what a 30 s poll that
 * timed out answers ('Admitted', for an update no workflow task has taken); every later call
 * waits for `release()`, then goes as the client sent it. Everything else goes straight through.
 */
export function steppedUpdateCalls(
  engine: EngineApi,
  call: UpdateCall,
): {
  api: EngineApi;
  /** The stage each call of `call` answered, in order. */
  stages: string[];
  /** Resolves with the first call's answer. */
  firstAnswer: Promise<string>;
  /** Lets the held calls (and any later ones) go to the engine. */
  release: () => void;
} {
  const stages: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let answered!: (stage: string) => void;
  const firstAnswer = new Promise<string>((resolve) => {
    answered = resolve;
  });
  let calls = 0;
  const stepped = async (send: (waitCut: boolean) => Promise<UpdateWorkflowResponse>) => {
    const first = ++calls === 1;
    if (!first) await released;
    const r = await send(first);
    stages.push(r.stage);
    if (first) answered(r.stage);
    return r;
  };
  const api = new Proxy(engine, {
    get(target, key, receiver) {
      if (key === call && call === 'updateWorkflow') {
        return (req: Parameters<EngineApi['updateWorkflow']>[0]) =>
          stepped((cut) => target.updateWorkflow(cut ? { ...req, waitMs: 0 } : req));
      }
      if (key === call && call === 'updateWithStartWorkflow') {
        return async (req: Parameters<EngineApi['updateWithStartWorkflow']>[0]) => {
          let whole: UpdateWithStartResponse | undefined;
          await stepped(async (cut) => {
            whole = await target.updateWithStartWorkflow(
              cut ? { ...req, update: { ...req.update, waitMs: 0 } } : req,
            );
            return whole.update;
          });
          return whole;
        };
      }
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  return { api, stages, firstAnswer, release };
}
