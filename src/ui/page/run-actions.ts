// The actions on a run: signal, query, cancel and terminate, each answering with the API's
// message when refused.
import type { ExecutionRef } from '../../transport/engine-api.ts';
import { callApi } from './api.ts';
import { h } from './dom.ts';
import { jsonBlock, parseJsonArgs } from './format.ts';
import { errorLine } from './widgets.ts';

export interface RunActions {
  readonly element: HTMLElement;
  /** Shows the actions that need an open run (signal, cancel, terminate) or hides them. */
  setOpen(open: boolean): void;
}

/** The actions on run `ref`; `changed` is called after one that changes the run succeeded. */
export function runActions(ref: ExecutionRef, changed: () => void): RunActions {
  const [signalName, signalArgs] = nameAndArgs('Signal');
  const signal = actionForm('Signal', [signalName, signalArgs], 'Send signal', async () => {
    await callApi('signalWorkflow', {
      ...ref,
      signalName: signalName.value.trim(),
      args: parseJsonArgs(signalArgs.value),
    });
    changed();
    return `Signal ${signalName.value.trim()} sent.`;
  });

  const [queryName, queryArgs] = nameAndArgs('Query');
  const query = actionForm('Query', [queryName, queryArgs], 'Run query', async () => {
    const answer = await callApi('queryWorkflow', {
      ...ref,
      queryType: queryName.value.trim(),
      args: parseJsonArgs(queryArgs.value),
    });
    return jsonBlock(answer);
  });

  const cancel = actionForm('Cancel', [], 'Request cancellation', async () => {
    await callApi('cancelWorkflow', { ...ref, identity: 'web UI' });
    changed();
    return 'Cancellation requested.';
  });

  const reason = h('input', {
    name: 'reason',
    'aria-label': 'Termination reason',
    placeholder: 'reason',
  });
  const terminate = actionForm('Terminate', [reason], 'Terminate', async () => {
    await callApi('terminateWorkflow', {
      ...ref,
      reason: reason.value.trim() || 'terminated from the web UI',
      identity: 'web UI',
    });
    changed();
    return 'Terminated.';
  });
  terminate.classList.add('danger');

  const openOnly = [signal, cancel, terminate];
  return {
    element: h(
      'section',
      { class: 'actions' },
      h('h2', {}, 'Actions'),
      signal,
      query,
      cancel,
      terminate,
    ),
    setOpen: (open) => {
      for (const form of openOnly) form.hidden = !open;
    },
  };
}

/** The name box and the arguments box of a signal or a query. */
function nameAndArgs(kind: 'Signal' | 'Query'): [HTMLInputElement, HTMLTextAreaElement] {
  return [
    h('input', {
      required: true,
      'aria-label': `${kind} name`,
      placeholder: `${kind.toLowerCase()} name`,
    }),
    h('textarea', {
      rows: 2,
      'aria-label': `${kind} arguments`,
      placeholder: 'arguments as JSON: one value, or [an, array]',
    }),
  ];
}

/**
 * A form with `fields` and a button that runs `act`: its answer (or the error that refused it)
 * shows under the form.
 */
function actionForm(
  title: string,
  fields: HTMLElement[],
  button: string,
  act: () => Promise<string>,
): HTMLFormElement {
  const answer = h('pre', { class: 'answer', role: 'status', hidden: true });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit' }, button);
  const form = h(
    'form',
    {
      class: 'action',
      'aria-label': title,
      onsubmit: (e) => {
        e.preventDefault();
        submit.disabled = true;
        answer.hidden = true;
        errorLine(error, undefined);
        act()
          .then((text) => {
            answer.textContent = text;
            answer.hidden = false;
          })
          .catch((err: unknown) => {
            errorLine(error, err);
          })
          .finally(() => {
            submit.disabled = false;
          });
      },
    },
    h('h3', {}, title),
    h('div', { class: 'fields' }, ...fields, submit),
    answer,
    error,
  );
  return form;
}
