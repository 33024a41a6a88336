import 'reflect-metadata';
import { registerEnumType } from 'type-graphql';
import { UNKNOWN_SCORES } from '../inference/index.js';
import type { DecisionReason } from '../inference/index.js';
import { LABELS } from '../labels/index.js';
import type { Label } from '../labels/index.js';
import type { VersionState } from '../registry/index.js';

/** `maxSoftmax` -> `MAX_SOFTMAX`, `ready` -> `READY`; a name in capitals stays as it is. */
type EnumKey<S extends string> = S extends Uppercase<S> ? S : Screaming<S>;
type Screaming<S extends string> = S extends `${infer C}${infer Rest}`
  ? `${C extends Lowercase<C> ? Uppercase<C> : `_${C}`}${Screaming<Rest>}`
  : '';

/** A GraphQL enum object: each domain value under its capitalised name (as {@link EnumKey}). */
type DomainEnum<V extends string> = { readonly [K in V as EnumKey<K>]: K };

/**
 * A GraphQL enum derived from a domain type's values (`['maxSoftmax', 'energy']` gives
 * `{ MAX_SOFTMAX: 'maxSoftmax', ENERGY: 'energy' }`): the schema's names are capitalised, the
 * values resolvers see are the domain's own.
 */
function domainEnum<V extends string>(values: readonly V[]): DomainEnum<V> {
  return Object.freeze(
    Object.fromEntries(
      values.map((value) => [
        value === value.toUpperCase() ? value : value.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase(),
        value,
      ]),
    ),
  ) as DomainEnum<V>;
}

/** The members of a union type that has no list in its layer, in the record's order; the compiler checks that the record names every member. */
function membersOf<V extends string>(record: Readonly<Record<V, true>>): readonly V[] {
  return Object.keys(record) as V[];
}

/** The 12 classes as a GraphQL enum (values are the label strings). */
export const LabelEnum = Object.fromEntries(LABELS.map((label) => [label, label])) as { readonly [K in Label]: K };
registerEnumType(LabelEnum, {
  name: 'Label',
  description: 'The 12 classes of the TensorFlow Speech Recognition Challenge.',
});

/** Why a label was chosen (see `decide`): the domain's `DecisionReason`. */
export const ReasonEnum = domainEnum(
  membersOf<DecisionReason>({ MODEL: true, LOW_CONFIDENCE: true, LOW_ENERGY: true, NON_SPEECH: true }),
);
export type ReasonEnum = DecisionReason;
registerEnumType(ReasonEnum, {
  name: 'DecisionReason',
  description: 'Why the final label was chosen.',
  valuesConfig: {
    MODEL: { description: "The model's argmax, above both thresholds." },
    LOW_CONFIDENCE: {
      description:
        'The max-softmax probability was below the unknown threshold (or, with the energy score, the energy was above its threshold), so the label is unknown.',
    },
    LOW_ENERGY: { description: 'The RMS level was below the silence threshold, so the label is silence.' },
    NON_SPEECH: {
      description:
        'The model answered a command, but the clip is a steady synthetic sound (a tone, a sweep, a held square wave, a click train: peakConcentration or stationarity at the non-speech limits), so the label is unknown.',
    },
  },
});

/** Model version lifecycle: the registry's `VersionState`. */
export const VersionStateEnum = domainEnum(
  membersOf<VersionState>({ training: true, ready: true, failed: true, archived: true }),
);
export type VersionStateEnum = VersionState;
registerEnumType(VersionStateEnum, { name: 'VersionState', description: 'Lifecycle of a model version.' });

/** The out-of-distribution score that decides `unknown` (see `Thresholds.unknownScore`): the domain's `UNKNOWN_SCORES`. */
export const UnknownScoreEnum = domainEnum(UNKNOWN_SCORES);
export type UnknownScoreEnum = (typeof UNKNOWN_SCORES)[number];
registerEnumType(UnknownScoreEnum, {
  name: 'UnknownScore',
  description: 'Which score turns a clip unknown.',
  valuesConfig: {
    MAX_SOFTMAX: { description: 'Max-softmax probability below unknownThreshold (Hendrycks and Gimpel 2017).' },
    ENERGY: { description: 'Energy score -logsumexp(logits) above unknownEnergyThreshold (Liu et al. 2020).' },
  },
});
