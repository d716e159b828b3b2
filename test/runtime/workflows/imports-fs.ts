import { readFileSync } from 'fs';

/** Reads a file: not allowed in workflow code. */
export async function reader(): Promise<string> {
  return Promise.resolve(readFileSync('/etc/hostname', 'utf8'));
}
