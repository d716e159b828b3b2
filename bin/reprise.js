#!/usr/bin/env node
// The `reprise` command: Reprise ships TypeScript sources, run through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
