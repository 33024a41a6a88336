// The training layer's light face: options and their validation, hyperparameter search, metrics,
// calibration, clip sets and the training worker's messages. Nothing here loads TF.js (the server's
// main thread imports it); what trains and evaluates models is in ./tfjs/index.ts.
export { computeMetrics } from './metrics.js';
export { calibrateThresholds } from './calibration.js';
export { checkDistillation } from './distillation.js';
export { refuseEnsemble, refuseImported } from './version-kinds.js';
export type { CheckedTeacher, DistillationRequest } from './distillation.js';
export {
  checkTrainInputs,
  cliAttributeName,
  DEFAULT_DISTILL_WEIGHT,
  TRAIN_OPTION_DEFAULTS,
  TRAIN_OPTIONS,
  trainOptionEntries,
  trainOptionsFromCliValues,
  trainOptionsFromRetrainInput,
  validateTrainOptions,
} from './train-options.js';
export type {
  CheckedTrainOptions,
  RetrainInputOptions,
  TrainOptionName,
  TrainOptions,
  TrainProgress,
  TrainRequest,
  TrainVersionOptions,
} from './train-options.js';
export type {
  CliAlias,
  GraphqlAlias,
  JsonShape,
  OptionDeclaration,
  OptionKind,
  OptionRange,
  OptionSpec,
} from './option-declaration.js';
export type { TrainingProgress, TrainWorkerData, TrainWorkerMessage } from './train-messages.js';
export type { VersionTask, VersionWorkerData, VersionWorkerMessage } from './version-messages.js';
export { clipAt, clipShapeAt, loadClipFile, loadClipSet } from './clip-cache.js';
export { BatchMaker } from './batch-maker.js';
export type { BatchMakerInit } from './batch-maker.js';
export { InThreadBatches, MIN_WORKER_CLIPS, openBatchSource, runBatchWorker, WorkerBatches } from './batch-source.js';
export type { BatchReply, BatchRequest, BatchSource } from './batch-source.js';
export type { ClipSet } from './clip-cache.js';
export { sampleRandom, suggestTpe, validateSearchSpace } from './search.js';
export type { Observation, Parameters, ParameterSpec, SearchSpace, TpeOptions } from './search.js';
export {
  brierScore,
  correctness,
  DEFAULT_CALIBRATION_BINS,
  eceSamplingFloor,
  EXACT_FLOOR_MAX_CLIPS,
  expectedCalibrationError,
  negativeLogLikelihood,
  PROBABILITY_FLOOR,
  reliabilityTable,
  topPredictions,
} from './calibration-metrics.js';
export type { EceFloor, ReliabilityTable } from './calibration-metrics.js';
export {
  auroc,
  DEFAULT_ROC_POINTS,
  DEFAULT_TPR,
  fprAtTpr,
  rocCurve,
  thinCurve,
  thresholdAtTpr,
} from './ood-metrics.js';
export type { RocPoint } from './ood-metrics.js';
export {
  DEFAULT_TEMPERATURE_TOLERANCE,
  fitTemperature,
  meanNllWithTemperature,
  TEMPERATURE_BOUNDS,
} from './temperature.js';
export type { FitTemperatureOptions, TemperatureFit } from './temperature.js';
export { chooseOperatingPoints, clipOutcomes, commandMask, tradeOffCurve } from './operating-point.js';
export type {
  ClipOutcomes,
  LabelSource,
  OperatingPointOptions,
  OperatingPoints,
  TradeOffPoint,
} from './operating-point.js';
export { rejectionMetrics, servedCommandScores, trustMetrics } from './trust.js';
export type { ScoredClips } from './trust.js';
export { thresholdsAtRecall, TRADE_OFF_POINTS, unknownTradeOff } from './operating-threshold.js';
