import { execSync } from 'node:child_process';

/** Runs a command: not allowed in workflow code. */
export async function runner(): Promise<string> {
  return Promise.resolve(execSync('true').toString());
}
