export { buildProgram, runProgram, USAGE_EXIT_CODE } from './program.js';
export { PROCESS_OUTPUT } from './output.js';
export type { CliOutput } from './output.js';
export { inspectFile } from './inspect-file.js';
export type { InfoError, InfoOk } from './inspect-file.js';
