// Activities of the versioning example, shared by the three versions of `order`.
export async function charge(id: string): Promise<string> {
  return Promise.resolve(`charged ${id}`);
}

export async function chargeWithTax(id: string): Promise<string> {
  return Promise.resolve(`charged ${id} with tax`);
}

export async function notify(what: string): Promise<string> {
  return Promise.resolve(`notified: ${what}`);
}
