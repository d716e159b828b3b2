import { condition, defineSignal, setDefaultSignalHandler } from 'reprise/workflow';

export const known = defineSignal('known');

/** Accepts any signal through the default handler. */
export async function anySignal(): Promise<string> {
  let got = '';
  setDefaultSignalHandler((name) => {
    got = name;
  });
  await condition(() => got !== '');
  return got;
}
