import { UnknownOperatingPointType, UnknownTradeOffType } from './trust.type.js';
import { Field, Float, ObjectType, registerEnumType } from 'type-graphql';
import type { Label } from '../labels/index.js';
import { LabelEnum } from './enums.js';
import { LabelProbability } from './prediction.type.js';

/** The splits a version was trained and selected on. */
export enum TrainSplitEnum {
  TRAINING = 'training',
  VALIDATION = 'validation',
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
