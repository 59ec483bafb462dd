#!/usr/bin/env node
// The `flotilla` command. Node ≥ 22.18 runs the TypeScript sources directly (type stripping).
import { main } from './main.ts';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`flotilla: internal error: ${error?.stack ?? error}\n`);
    process.exitCode = 70;
  },
);
