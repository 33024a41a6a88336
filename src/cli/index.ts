export { buildProgram } from './program.js';
export { inspectFile } from './info.command.js';
export type { InfoError, InfoOk } from './info.command.js';
