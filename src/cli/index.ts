export { buildProgram, runProgram, USAGE_EXIT_CODE } from './program.js';
export { inspectFile } from './info.command.js';
export type { InfoError, InfoOk } from './info.command.js';
