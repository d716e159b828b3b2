// Small pieces shared by the pages.
import type { Failure } from '../../protocol/failure.ts';
import type { RunStatus } from '../../protocol/run-status.ts';
import { ApiError } from './api.ts';
import { h } from './dom.ts';
import { failureLines, jsonBlock, jsonLine } from './format.ts';

/** A run's status as a coloured label. */
export function statusBadge(status: RunStatus): HTMLSpanElement {
  return h('span', { class: `status status-${status}` }, status);
}

/** Shows `error`'s message in `line` (the API's code and message), or hides it for undefined. */
export function errorLine(line: HTMLElement, error: unknown): void {
  line.hidden = error === undefined;
  line.textContent =
    error === undefined
      ? ''
      : error instanceof ApiError
        ? `${error.code}: ${error.message}`
        : error instanceof Error
          ? error.message
          : jsonLine(error, 500);
}

/** A value as indented JSON in a block. */
export function jsonPre(value: unknown): HTMLPreElement {
  return h('pre', { class: 'json' }, jsonBlock(value));
}

/** A failure: its message and causes, then its stack, folded. */
export function failureBlock(failure: Failure): HTMLDivElement {
  return h(
    'div',
    { class: 'failure' },
    ...failureLines(failure).map((line) => h('div', {}, line)),
    failure.stack !== undefined &&
      h('details', {}, h('summary', {}, 'Stack trace'), h('pre', {}, failure.stack)),
  );
}
