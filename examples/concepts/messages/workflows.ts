// The cart of docs/messages.md: a signal, a query and an update with a validator, and
// `allHandlersFinished` before returning. It runs in the sandbox: only `reprise/workflow` here.
import {
  allHandlersFinished,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  setHandler,
} from 'reprise/workflow';

export const addItem = defineUpdate<number, [string]>('addItem'); // returns the item count
export const addNote = defineSignal<[string]>('addNote');
export const checkout = defineSignal('checkout');
export const items = defineQuery<string[]>('items');

export async function cart(
  owner: string,
): Promise<{ owner: string; items: string[]; notes: string[] }> {
  const state = { items: [] as string[], notes: [] as string[], done: false };
  setHandler(items, () => state.items);
  setHandler(addNote, (note) => {
    state.notes.push(note);
  });
  setHandler(checkout, () => {
    state.done = true;
  });
  setHandler(
    addItem,
    (item) => {
      state.items.push(item);
      return state.items.length;
    },
    {
      validator: (item) => {
        if (state.items.includes(item)) throw new Error(`${item} is already in the cart`);
      },
    },
  );
  await condition(() => state.done);
  await condition(allHandlersFinished); // every accepted update gets its answer
  return { owner, ...state };
}
