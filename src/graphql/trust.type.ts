import { Field, Float, Int, ObjectType } from 'type-graphql';
import type { UnknownScore } from '../inference/index.js';
import { UnknownScoreEnum } from './enums.js';

@ObjectType('ReliabilityBin', {
  description:
    'One bin of a reliability table: the clips whose max-softmax confidence is in (lower, upper] ([0, upper] for the first).',
})
export class ReliabilityBinType {
  @Field(() => Float)
  lower!: number;

  @Field(() => Float)
  upper!: number;

  @Field(() => Int)
  count!: number;

  @Field(() => Float, { nullable: true, description: 'Mean confidence of the bin; null when empty.' })
  meanConfidence!: number | null;

  @Field(() => Float, { nullable: true, description: 'Fraction of the bin answered right (argmax); null when empty.' })
  accuracy!: number | null;
}

@ObjectType('Rejection', {
  description:
    'How one unknown rule separates command clips from out-of-distribution clips, as served (a clip whose argmax is not a command is never a command).',
})
export class RejectionType {
  @Field(() => UnknownScoreEnum)
  score!: UnknownScore;

  @Field(() => Float, {
    nullable: true,
    description: 'Area under the ROC curve, commands against the OOD clips; null without clips or scores.',
  })
  auroc!: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      'Fraction of OOD clips answered with a command at the threshold that keeps 95 % of command clips (FPR95).',
  })
  fprAtTpr95!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'Fraction of command clips whose argmax is a command: no threshold keeps more.',
  })
  commandRecallCeiling!: number | null;

  @Field(() => Int, { description: 'OOD clips compared.' })
  examples!: number;
}

@ObjectType('Trust', { description: 'Calibration and out-of-distribution figures of a labelled set.' })
export class TrustType {
  @Field(() => Float, { description: 'Temperature the probabilities were computed at (1 = raw softmax).' })
  temperature!: number;

  @Field(() => Float, {
    description:
      'Expected calibration error, 15 equal-width bins of max-softmax confidence (Guo et al. 2017), a fraction.',
  })
  ece!: number;

  @Field(() => Float, {
    nullable: true,
    description:
      'The ECE a perfectly calibrated model with the same confidences would show on this many clips, on average (the estimator is biased upward on small sets), a fraction; a measured ECE within about two eceFloorSd of it cannot tell the model from a calibrated one. Null for versions made before it was recorded.',
  })
  eceFloor?: number | null;

  @Field(() => Float, { nullable: true, description: 'Standard deviation of that ECE, a fraction; null as eceFloor.' })
  eceFloorSd?: number | null;

  @Field(() => [ReliabilityBinType])
  reliability!: ReliabilityBinType[];

  @Field(() => Float, { description: 'Mean negative log-likelihood of the true labels, nats.' })
  nll!: number;

  @Field(() => Int)
  examples!: number;

  @Field(() => [RejectionType], { description: 'Command clips against unknown clips, per unknown rule.' })
  unknownRejection!: RejectionType[];

  @Field(() => [RejectionType], { description: 'Command clips against silence (non-speech) clips, per unknown rule.' })
  nonSpeechRejection!: RejectionType[];
}

@ObjectType('RuleOperatingPoint', { description: 'One unknown rule at an operating point.' })
export class RuleOperatingPointType {
  @Field(() => UnknownScoreEnum)
  score!: UnknownScore;

  @Field(() => Float, {
    nullable: true,
    description:
      "In the rule's units (a max-softmax probability; an energy, unknown above it); null: off, the recall is out of its reach.",
  })
  threshold!: number | null;

  @Field(() => Float, { description: 'Share of validation command clips answered with a command.' })
  commandRecall!: number;

  @Field(() => Float, {
    nullable: true,
    description: 'Share of validation unknown and silence clips answered with a command; null without such clips.',
  })
  outlierRate!: number | null;
}

@ObjectType('UnknownOperatingPoint', {
  description: 'Unknown thresholds chosen to keep a stated share of command clips (retrain unknownTargetRecall).',
})
export class UnknownOperatingPointType {
  @Field(() => Float)
  targetRecall!: number;

  @Field(() => UnknownScoreEnum, {
    nullable: true,
    description: 'The rule that decides (the lower outlier rate); null when neither reaches the recall.',
  })
  chosen!: UnknownScore | null;

  @Field(() => [RuleOperatingPointType])
  rules!: RuleOperatingPointType[];
}

@ObjectType('TradeOffPoint', { description: 'One threshold of an unknown rule on validation.' })
export class TradeOffPointType {
  @Field(() => Float, { nullable: true, description: "In the rule's units; null keeps no clip." })
  threshold!: number | null;

  @Field(() => Float)
  commandRecall!: number;

  @Field(() => Float)
  outlierRate!: number;
}

@ObjectType('UnknownTradeOff', { description: "An unknown rule's trade-off on validation, strictest threshold first." })
export class UnknownTradeOffType {
  @Field(() => UnknownScoreEnum)
  score!: UnknownScore;

  @Field(() => [TradeOffPointType])
  points!: TradeOffPointType[];
}
