// The page's one way to the engine: the server's own HTTP API (`POST /api/v1/<method>`).
import type { EngineApi } from '../../transport/engine-api.ts';

/** The engine methods the UI calls. */
type UiMethod =
  | 'listWorkflows'
  | 'describeWorkflow'
  | 'getHistory'
  | 'signalWorkflow'
  | 'queryWorkflow'
  | 'cancelWorkflow'
  | 'terminateWorkflow';

export type RequestOf<M extends UiMethod> = Parameters<EngineApi[M]>[0];
export type ResponseOf<M extends UiMethod> = Awaited<ReturnType<EngineApi[M]>>;

/** An error the API answered with (`{ error: { code, message } }`), or a failure to reach it. */
export class ApiError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'ApiError';
  }
}

const API_KEY_ITEM = 'reprise.apiKey';
/** Sent on `window` when the engine refused the API key (or its absence): the page asks for one. */
export const UNAUTHORIZED_EVENT = 'reprise:unauthorized';

/** The API key this tab sends (an engine started with `apiKey`); '' for none. */
export function apiKey(): string {
  return sessionStorage.getItem(API_KEY_ITEM) ?? '';
}

export function setApiKey(key: string): void {
  if (key === '') sessionStorage.removeItem(API_KEY_ITEM);
  else sessionStorage.setItem(API_KEY_ITEM, key);
}

/**
 * Calls `method` with `req`; resolves with its `result`, rejects with an {@link ApiError} that
 * carries the API's code and message.
 */
export async function callApi<M extends UiMethod>(
  method: M,
  req: RequestOf<M>,
  signal?: AbortSignal,
): Promise<ResponseOf<M>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const key = apiKey();
  if (key !== '') headers['authorization'] = `Bearer ${key}`;
  let response: Response;
  try {
    response = await fetch(`/api/v1/${method}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(req),
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (e) {
    if (signal?.aborted === true) throw e;
    throw new ApiError('Unavailable', `The engine did not answer (${String(e)}). Is it running?`);
  }
  if (response.status === 401) window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  const body = (await response.json().catch(() => undefined)) as
    { result?: ResponseOf<M>; error?: { code?: string; message?: string } } | undefined;
  if (body?.error !== undefined) {
    throw new ApiError(body.error.code ?? 'Internal', body.error.message ?? response.statusText);
  }
  if (!response.ok || body === undefined) {
    throw new ApiError(
      'Internal',
      `The engine answered ${response.status} ${response.statusText}.`,
    );
  }
  return body.result as ResponseOf<M>;
}

/** Whether the engine refused the request itself (asking again would get the same answer). */
export function isRefusal(error: ApiError): boolean {
  return error.code.endsWith('NotFound') || error.code === 'InvalidArgument';
}
