// Activities of the runtime fixtures: workflows import them with `import type` only.

/** Charges `amount`; returns a receipt id. */
export async function charge(amount: number): Promise<string> {
  return Promise.resolve(`receipt-${amount}`);
}

/** Sends a greeting. */
export async function greet(name: string): Promise<string> {
  return Promise.resolve(`hello ${name}`);
}
