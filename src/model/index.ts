export { ARCHITECTURES, ENSEMBLE_COMBINES, isArchitecture } from './architecture.js';
export type { Architecture, EnsembleCombine, ModelOptions } from './architecture.js';
