import { Field, Float, Int, ObjectType } from 'type-graphql';
import type { Label } from '../labels/index.js';
import type { DecisionReason, Thresholds } from '../inference/index.js';
import { thresholdsJson } from '../serving/index.js';
import { LabelEnum, ReasonEnum, UnknownScoreEnum } from './enums.js';

@ObjectType({ description: 'One class and its softmax probability.' })
export class LabelProbability {
  @Field(() => LabelEnum)
  label!: Label;

  @Field(() => Float, { description: 'Softmax probability in [0, 1].' })
  probability!: number;
}

@ObjectType('Thresholds', { description: 'Thresholds applied to the model output.' })
export class ThresholdsType {
  @Field(() => Float, { description: 'Max-softmax probability below which the label becomes unknown; 0 disables it.' })
  unknownThreshold!: number;

  @Field(() => Float, {
    nullable: true,
    description: 'RMS level in dBFS below which the label becomes silence; null when disabled.',
  })
  silenceThresholdDbfs!: number | null;

  @Field(() => UnknownScoreEnum, {
    description: 'Which score decides unknown: the max-softmax probability or the energy score.',
  })
  unknownScore!: UnknownScoreEnum;

  @Field(() => Float, {
    nullable: true,
    description: 'Energy score above which the label becomes unknown (with unknownScore ENERGY); null when disabled.',
  })
  unknownEnergyThreshold!: number | null;

  @Field(() => Boolean, {
    description:
      'Whether the non-speech rule applied: a command answer to a steady synthetic sound becomes unknown (reason NON_SPEECH). True unless the request turned it off.',
  })
  nonSpeechRule!: boolean;
}

/** Thresholds as the `Thresholds` type (disabled limits as null). */
export function thresholdsType(thresholds: Thresholds): ThresholdsType {
  const stored = thresholdsJson(thresholds);
  return {
    ...stored,
    unknownScore: stored.unknownScore === 'energy' ? UnknownScoreEnum.ENERGY : UnknownScoreEnum.MAX_SOFTMAX,
    unknownEnergyThreshold: stored.unknownEnergyThreshold ?? null,
  };
}

@ObjectType('Prediction', {
  description: "A model version's output for one clip, with the unknown/silence thresholds applied.",
})
export class PredictionType {
  @Field(() => LabelEnum, { description: 'The final label after thresholds.' })
  label!: Label;

  @Field(() => LabelEnum, { description: "The model's argmax before thresholds." })
  rawLabel!: Label;

  @Field(() => Float, { description: 'Max-softmax probability.' })
  confidence!: number;

  @Field(() => [LabelProbability], { description: 'All 12 softmax probabilities, in label order.' })
  probabilities!: LabelProbability[];

  @Field(() => Boolean)
  isSilence!: boolean;

  @Field(() => Boolean)
  isUnknown!: boolean;

  @Field(() => ReasonEnum)
  reason!: DecisionReason;

  @Field(() => Float, { description: 'RMS level of the clip fitted to 1 s, dBFS.' })
  rmsDbfs!: number;

  @Field(() => Float, {
    nullable: true,
    description:
      'Energy score E(x) = -logsumexp(logits) (Liu et al. 2020): lower is more like the training words. Null when the version has no logits output.',
  })
  energy!: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      "Tonality: the first quartile, over the clip's frames, of a frame's share of power within 62.5 Hz of its strongest frequency, 0 to 1 (about 1 for a pure tone). With stationarity, what the non-speech rule reads (reason NON_SPEECH). Null for a prediction stored before it was kept.",
  })
  peakConcentration!: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      "Spectral stationarity: the first quartile of the cosine similarities of the frames' magnitude spectra to the clip's mean spectrum, 0 to 1 (about 1 for a held square wave or a click train; 0 for a sound shorter than 300 ms). Null as peakConcentration.",
  })
  stationarity!: number | null;

  @Field(() => Int)
  modelVersion!: number;

  @Field(() => Float, { description: 'Time from request to model output when this prediction was first computed, ms.' })
  latencyMs!: number;

  @Field(() => String, {
    nullable: true,
    description:
      'The test-time augmentation its probabilities and energy average over (classifyClips tta: true), e.g. "shifts -100, 100 ms; gains 6 dB"; null: the clip alone.',
  })
  tta!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'For a version trained on every word (kws train --all-words), the most probable word (e.g. "marvin"; its probability counts in unknown); null otherwise.',
  })
  topWord!: string | null;

  @Field(() => ThresholdsType)
  thresholds!: ThresholdsType;
}
