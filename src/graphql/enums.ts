import 'reflect-metadata';
import { registerEnumType } from 'type-graphql';
import { LABELS } from '../labels/index.js';
import type { Label } from '../labels/index.js';

/** The 12 classes as a GraphQL enum (values are the label strings). */
export const LabelEnum = Object.fromEntries(LABELS.map((label) => [label, label])) as { readonly [K in Label]: K };
registerEnumType(LabelEnum, { name: 'Label', description: 'The 12 classes of the TensorFlow Speech Recognition Challenge.' });

/** Why a label was chosen (see `decide`). */
export enum ReasonEnum {
  MODEL = 'MODEL',
  LOW_CONFIDENCE = 'LOW_CONFIDENCE',
  LOW_ENERGY = 'LOW_ENERGY',
}
registerEnumType(ReasonEnum, {
  name: 'DecisionReason',
  description: 'Why the final label was chosen.',
  valuesConfig: {
    MODEL: { description: "The model's argmax, above both thresholds." },
    LOW_CONFIDENCE: { description: 'The max-softmax probability was below the unknown threshold (or, with the energy score, the energy was above its threshold), so the label is unknown.' },
    LOW_ENERGY: { description: 'The RMS level was below the silence threshold, so the label is silence.' },
  },
});

/** Model version lifecycle. */
export enum VersionStateEnum {
  TRAINING = 'training',
  READY = 'ready',
  FAILED = 'failed',
  ARCHIVED = 'archived',
}
registerEnumType(VersionStateEnum, { name: 'VersionState', description: 'Lifecycle of a model version.' });

/** The out-of-distribution score that decides `unknown` (see `Thresholds.unknownScore`). */
export enum UnknownScoreEnum {
  MAX_SOFTMAX = 'maxSoftmax',
  ENERGY = 'energy',
}
registerEnumType(UnknownScoreEnum, {
  name: 'UnknownScore',
  description: 'Which score turns a clip unknown.',
  valuesConfig: {
    MAX_SOFTMAX: { description: 'Max-softmax probability below unknownThreshold (Hendrycks and Gimpel 2017).' },
    ENERGY: { description: 'Energy score -logsumexp(logits) above unknownEnergyThreshold (Liu et al. 2020).' },
  },
});
