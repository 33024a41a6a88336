import { UnknownOperatingPointType, UnknownTradeOffType } from './trust.type.js';
import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { Label } from '../labels/index.js';
import { LabelEnum } from './enums.js';
import { LabelProbability } from './prediction.type.js';

/** The splits a version was trained and selected on. */
export enum TrainSplitEnum {
  TRAINING = 'training',
  VALIDATION = 'validation',
  TESTING = 'testing',
}
registerEnumType(TrainSplitEnum, {
  name: 'TrainSplit',
  description: 'A split of the dataset a version was trained on.',
});

@ObjectType('ScoredClip', { description: 'One clip scored by one version with its calibrated thresholds.' })
export class ScoredClipType {
  @Field(() => String, { description: '<word>/<file> in a dataset, the file name in a test folder.' })
  clip!: string;

  @Field(() => LabelEnum, { nullable: true, description: "The dataset's label, when known." })
  trueLabel!: Label | null;

  @Field(() => LabelEnum)
  label!: Label;

  @Field(() => Float, { description: 'Max-softmax probability.' })
  confidence!: number;

  @Field(() => [LabelProbability], { description: 'All 12 probabilities (empty when the clip did not decode).' })
  probabilities!: LabelProbability[];

  @Field(() => String, { nullable: true, description: 'Error code when the clip did not decode.' })
  error!: string | null;

  @Field(() => String, {
    description:
      'Where its audio plays from: GET it with a read key (`/v1/audio?path=...`; refused outside the folders the server may read).',
  })
  audioUrl!: string;
}

@ObjectType('PredictionDiff', { description: 'A clip two versions label differently.' })
export class PredictionDiffType {
  @Field(() => String)
  clip!: string;

  @Field(() => ScoredClipType)
  a!: ScoredClipType;

  @Field(() => ScoredClipType)
  b!: ScoredClipType;
}

@ObjectType('CalibrationPoint', { description: 'Validation accuracy at one unknown threshold.' })
export class CalibrationPointType {
  @Field(() => Float)
  threshold!: number;

  @Field(() => Float)
  accuracy!: number;
}

@ObjectType('EnergyCalibrationPoint', { description: 'Validation accuracy at one energy threshold.' })
export class EnergyCalibrationPointType {
  @Field(() => Float, { nullable: true, description: 'Energy score above which clips are unknown; null is off.' })
  threshold!: number | null;

  @Field(() => Float)
  accuracy!: number;
}

@ObjectType('Calibration', { description: 'How the thresholds were chosen on the validation split.' })
export class CalibrationType {
  @Field(() => Float, { description: 'Validation accuracy with the chosen thresholds.' })
  accuracy!: number;

  @Field(() => Float, { description: "Validation accuracy of the model's argmax, no thresholds." })
  baselineAccuracy!: number;

  @Field(() => [CalibrationPointType], {
    description: 'Accuracy against the unknown threshold (max-softmax probability).',
  })
  unknownCurve!: CalibrationPointType[];

  @Field(() => [EnergyCalibrationPointType], {
    description:
      'Accuracy against the energy threshold (tried at percentiles of the validation energies; null is off). Empty for versions without energy scores.',
  })
  energyCurve!: EnergyCalibrationPointType[];

  @Field(() => Float, {
    description:
      'Temperature T of the served probabilities, softmax(logits / T), fitted on validation (temperature scaling, Guo et al. 2017); 1 for versions calibrated before it.',
  })
  temperature!: number;

  @Field(() => UnknownOperatingPointType, {
    nullable: true,
    description:
      'The operating point asked for at training, if any (else the thresholds maximise validation accuracy).',
  })
  operatingPoint!: UnknownOperatingPointType | null;

  @Field(() => [UnknownTradeOffType], {
    description: "Each unknown rule's trade-off on validation; empty for versions calibrated before it was recorded.",
  })
  tradeOff!: UnknownTradeOffType[];
}

/** Where a clip of a cluster map comes from. */
export enum ClusterSourceEnum {
  TRAINING = 'training',
  VALIDATION = 'validation',
  TESTING = 'testing',
  TEST = 'test',
}
registerEnumType(ClusterSourceEnum, {
  name: 'ClusterSource',
  description: 'A split of a labelled dataset (TRAINING, VALIDATION, TESTING) or an unlabelled test folder (TEST).',
});

@ObjectType('ClusterPoint', { description: "One clip of a cluster map: its place in 2-D and the version's answer." })
export class ClusterPointType {
  @Field(() => String, { description: '<word>/<file> in a dataset, the file name in a test folder.' })
  clip!: string;

  @Field(() => ClusterSourceEnum)
  source!: ClusterSourceEnum;

  @Field(() => LabelEnum, { nullable: true, description: "The dataset's label; null in a test folder." })
  trueLabel!: Label | null;

  @Field(() => LabelEnum)
  label!: Label;

  @Field(() => Float, { description: 'Max-softmax probability.' })
  confidence!: number;

  @Field(() => Float, { description: 'First principal component of the embedding.' })
  x!: number;

  @Field(() => Float, { description: 'Second principal component of the embedding.' })
  y!: number;

  @Field(() => String, { description: 'Where its audio plays from (see ScoredClip.audioUrl).' })
  audioUrl!: string;
}

@ObjectType('ClusterMap', {
  description:
    "A 2-D map (PCA) of a version's embeddings for an even sample of a labelled dataset's splits and a test folder.",
})
export class ClusterMapType {
  @Field(() => Int)
  version!: number;

  @Field(() => String, {
    description:
      'penultimate: the layer the classifier reads (after global average pooling); logits: the pre-softmax outputs, for models without one such layer (ensembles, models of words, some imported graphs).',
  })
  layer!: string;

  @Field(() => Int, { description: 'Dimensions of the embedding before projection.' })
  dimensions!: number;

  @Field(() => [Float], { description: 'Share of the variance each axis explains, fractions.' })
  explainedVariance!: number[];

  @Field(() => [ClusterPointType])
  points!: ClusterPointType[];

  @Field(() => Int, { description: 'Sampled clips that did not decode (left off the map).' })
  failed!: number;
}
