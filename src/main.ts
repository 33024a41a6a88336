#!/usr/bin/env node
// The one place where things are wired together: the `kws` command line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './config/index.js';
import { runProgram } from './cli/index.js';

const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };

// A reader that stops early (`kws models | head -2`) closes the pipe: stop quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

runProgram(version, process.argv).catch((error: unknown) => {
  process.stderr.write(`kws: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 70; // EX_SOFTWARE
});
