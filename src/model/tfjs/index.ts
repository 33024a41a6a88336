// The TF.js builders of the model architectures (see ../index.ts for their names, which load no TF.js).
export { buildModel } from './builders.js';
export { buildEnsemble } from './ensemble.js';
export { repairTopology } from './topology.js';
export type { EnsembleMember } from './ensemble.js';
