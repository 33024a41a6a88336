export { ARCHITECTURES, isArchitecture } from './architecture.js';
export type { Architecture, ModelOptions } from './architecture.js';
