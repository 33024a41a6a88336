import { Field, Float, Int, ObjectType } from 'type-graphql';
import type { Label } from '../labels/index.js';
import type { VersionState } from '../registry/index.js';
import { LabelEnum, VersionStateEnum } from './enums.js';
import { CalibrationType } from './dashboard.type.js';
import { ThresholdsType } from './prediction.type.js';
import { TrustType } from './trust.type.js';

@ObjectType('ClassScores', { description: 'Precision, recall and F1 of one class.' })
export class ClassScoresType {
  @Field(() => LabelEnum)
  label!: Label;

  @Field(() => Float)
  precision!: number;

  @Field(() => Float)
  recall!: number;

  @Field(() => Float)
  f1!: number;

  @Field(() => Int, { description: 'True examples of this class.' })
  support!: number;
}

@ObjectType('Evaluation', { description: 'Scores of a model version on one split.' })
export class EvaluationType {
  @Field(() => Float, { description: '12-class accuracy (the challenge metric).' })
  accuracy!: number;

  @Field(() => Int)
  examples!: number;

  @Field(() => [ClassScoresType])
  perClass!: ClassScoresType[];

  @Field(() => [[Int]], { description: 'confusion[true][predicted] counts, indices in `labels` order.' })
  confusion!: number[][];

  @Field(() => [LabelEnum])
  labels!: Label[];

  @Field(() => TrustType, {
    nullable: true,
    description:
      'Calibration (ECE, reliability) and OOD separation on this split; null for versions trained before they were measured.',
  })
  trust!: TrustType | null;
}

@ObjectType('Ensemble', {
  description: 'What an ensemble version runs: its members, their weights and how it combines them.',
})
export class EnsembleType {
  @Field(() => [Int], { description: 'Member versions, run on every clip.' })
  members!: number[];

  @Field(() => [Float], { description: 'One weight per member, in members order, summing to 1.' })
  weights!: number[];

  @Field(() => String, {
    description:
      'mean-logit (the weighted mean of the members’ logits at their temperatures, then softmax) or mean-prob (the mean of their probabilities).',
  })
  combine!: string;

  @Field(() => [Float], { description: 'Each member’s temperature, folded into the ensemble, in members order.' })
  memberTemperatures!: number[];

  @Field(() => String, {
    description:
      'graph (one merged model, members trained by kws-serve) or sessions (each member’s ONNX model run by onnxruntime on the same features: an imported member).',
  })
  form!: string;
}

@ObjectType('ImportedModel', {
  description: 'Where a version imported from an external ONNX model (kws import) came from, and how it is fed.',
})
export class ImportedModelType {
  @Field(() => String, { description: 'The file name it was imported from.' })
  source!: string;

  @Field(() => String, { description: 'SHA-256 of that file, hex.' })
  sha256!: string;

  @Field(() => Int, { description: 'Size of that file, bytes.' })
  bytes!: number;

  @Field(() => Int, { description: 'Default-domain ONNX opset it uses.' })
  opset!: number;

  @Field(() => String, { description: 'Its features input.' })
  inputName!: string;

  @Field(() => [Int], { nullable: 'items', description: 'Declared input dims, batch first; null for a symbolic dim.' })
  inputShape!: Array<number | null>;

  @Field(() => String, { description: 'frames-bins, channel-frames-bins (NCHW) or frames-bins-channel (NHWC).' })
  layout!: string;

  @Field(() => String, { description: 'Its class scores output.' })
  outputName!: string;

  @Field(() => String, { description: 'logits (softmax added; energy score available) or probabilities.' })
  output!: string;

  @Field(() => [String], { description: 'Its output classes in its own order (served in the 12 labels’ order).' })
  modelLabels!: string[];
}

@ObjectType('EpochMetrics', { description: 'One training epoch of a version.' })
export class EpochMetricsType {
  @Field(() => Int)
  epoch!: number;

  @Field(() => Float, { description: 'Mean training loss (cross-entropy, nats).' })
  loss!: number;

  @Field(() => Float, { description: 'Mean training accuracy, a fraction.' })
  accuracy!: number;

  @Field(() => Float, { description: 'Validation accuracy after the epoch, a fraction.' })
  valAccuracy!: number;

  @Field(() => Float, { description: 'Wall time of the epoch, seconds.' })
  seconds!: number;
}

@ObjectType('ModelVersion', { description: 'A numbered, immutable model version in the registry.' })
export class ModelVersionType {
  @Field(() => Int)
  version!: number;

  @Field(() => VersionStateEnum)
  state!: VersionState;

  @Field(() => String, { nullable: true, description: 'Architecture name, e.g. tc-resnet8; ensemble for an ensemble.' })
  architecture!: string | null;

  @Field(() => EnsembleType, {
    nullable: true,
    description: 'Its members, for an ensemble version; null for a single model.',
  })
  ensemble!: EnsembleType | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The test-time augmentation this version scores every clip with (kws calibrate --tta), e.g. "shifts -100, 100 ms; gains 6 dB"; null: none.',
  })
  tta!: string | null;

  @Field(() => [String], {
    nullable: true,
    description:
      'For a version trained on every word (allWords), its words in output order (the commands, silence, _unknown_, then the others, each counted as unknown); null otherwise.',
  })
  words!: string[] | null;

  @Field(() => [EpochMetricsType], {
    description:
      'Training curve: loss and accuracy per epoch on the training split, validation accuracy after each; empty for versions not trained here (ensembles, imports, bundled versions that did not record it).',
  })
  history!: EpochMetricsType[];

  @Field(() => Int, {
    nullable: true,
    description: 'The epoch whose weights the version keeps (best validation accuracy); null without history.',
  })
  bestEpoch!: number | null;

  @Field(() => ImportedModelType, {
    nullable: true,
    description: 'Its source, for a version imported from ONNX (architecture imported); null otherwise.',
  })
  imported!: ImportedModelType | null;

  @Field(() => [String], { description: 'Aliases naming this version; production serves.' })
  aliases!: string[];

  @Field(() => String, { description: 'ISO 8601.' })
  createdAt!: string;

  @Field(() => Float, {
    nullable: true,
    description: 'Testing accuracy with calibrated thresholds, else validation accuracy.',
  })
  accuracy!: number | null;

  @Field(() => ThresholdsType, {
    nullable: true,
    description: 'Calibrated thresholds used by default (ready versions).',
  })
  thresholds!: ThresholdsType | null;

  @Field(() => EvaluationType, { nullable: true, description: 'Scores on the validation split.' })
  validation!: EvaluationType | null;

  @Field(() => EvaluationType, { nullable: true, description: 'Scores on the testing split, calibrated thresholds.' })
  testing!: EvaluationType | null;

  @Field(() => CalibrationType, {
    nullable: true,
    description: 'Threshold calibration on validation: accuracy against the unknown threshold.',
  })
  calibration!: CalibrationType | null;
}
