#!/usr/bin/env node
// The one place where things are wired together: the `kws` command line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './config/index.js';
import { runProgram } from './cli/index.js';

const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };

runProgram(version, process.argv).catch((error: unknown) => {
  process.stderr.write(`kws: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 70; // EX_SOFTWARE
});
