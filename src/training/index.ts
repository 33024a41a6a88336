// The training layer's light face: options and their validation, hyperparameter search, metrics,
// calibration, clip sets and the training worker's messages. Nothing here loads TF.js (the server's
// main thread imports it); what trains and evaluates models is in ./tfjs/index.ts.
export { computeMetrics } from './metrics.js';
export { calibrateThresholds } from './calibration.js';
export { checkTrainInputs, cliAttributeName, TRAIN_OPTION_DEFAULTS, TRAIN_OPTIONS, trainOptionEntries, trainOptionsFromCliValues, trainOptionsFromRetrainInput, validateTrainOptions } from './train-options.js';
export type { CheckedTrainOptions, RetrainInputOptions, TrainOptionName, TrainOptions, TrainProgress, TrainRequest, TrainVersionOptions } from './train-options.js';
export type { CliAlias, GraphqlAlias, JsonShape, OptionDeclaration, OptionKind, OptionRange, OptionSpec } from './option-declaration.js';
export type { TrainingProgress, TrainWorkerData, TrainWorkerMessage } from './train-messages.js';
export { clipAt, loadClipSet } from './clip-cache.js';
export type { ClipSet } from './clip-cache.js';
export { sampleRandom, suggestTpe, validateSearchSpace } from './search.js';
export type { Observation, Parameters, ParameterSpec, SearchSpace, TpeOptions } from './search.js';
