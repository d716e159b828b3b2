// Sandbox-safe types: message definitions shared by workflow code and clients.

/** Any workflow function. */
export type Workflow = (...args: never[]) => Promise<unknown>;

/** Made by `defineSignal(name)`; typed by the signal's arguments. */
export interface SignalDefinition<Args extends unknown[] = [], Name extends string = string> {
  type: 'signal';
  name: Name;
  /** Type-only: carries Args. */
  readonly __args?: Args;
}

/** Made by `defineQuery(name)`; typed by the result and the arguments. */
export interface QueryDefinition<Ret, Args extends unknown[] = [], Name extends string = string> {
  type: 'query';
  name: Name;
  readonly __args?: Args;
  readonly __ret?: Ret;
}

/** Made by `defineUpdate(name)`; typed by the result and the arguments. */
export interface UpdateDefinition<Ret, Args extends unknown[] = [], Name extends string = string> {
  type: 'update';
  name: Name;
  readonly __args?: Args;
  readonly __ret?: Ret;
}
