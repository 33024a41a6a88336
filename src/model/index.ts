export { ARCHITECTURES, buildModel, isArchitecture } from './architectures.js';
export type { Architecture, ModelOptions } from './architectures.js';
