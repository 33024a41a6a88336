import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphQLInputObjectType } from 'graphql';
import { DEFAULT_AUGMENT_CONFIG } from '../../src/data/index.js';
import { kwsSchema } from '../../src/graphql/index.js';
import { parseJobSpec } from '../../src/jobs/index.js';
import { TRAIN_OPTIONS } from '../../src/training/index.js';
import type { OptionSpec } from '../../src/training/index.js';

/** A valid value of a declared option, by its kind: its default, else the low end of its range or its first choice. */
function sample(spec: OptionSpec): unknown {
  if (spec.default !== undefined) return spec.kind === 'boolean' ? !spec.default : spec.default;
  switch (spec.kind) {
    case 'integer':
      return Math.max(1, Math.ceil(spec.range?.min ?? 1));
    case 'number':
      return spec.range === undefined ? 0.5 : (spec.range.min + spec.range.max) / 2;
    case 'boolean':
      return true;
    case 'enum':
      return spec.choices?.[0];
    case 'path':
      return '/data/speech';
    case 'string':
      return 'text';
    case 'json':
      switch (spec.json?.typeName) {
        case 'DatasetOptions':
          return { unknownPercentage: 50 };
        case 'FeatureConfig':
          return { type: 'pcen', pcenGain: 0.9, normalization: 'utterance-cmvn' };
        default:
          return { noiseProbability: 0.5 };
      }
  }
}

describe('stored job params', () => {
  it('keep every declared training option a training job is given, with its value', () => {
    const given = Object.fromEntries(
      Object.entries(TRAIN_OPTIONS as Readonly<Record<string, OptionSpec>>).map(([name, spec]) => [name, sample(spec)]),
    );
    const spec = parseJobSpec('train', JSON.stringify(given), 'job 1');
    assert.equal(spec.kind, 'train');
    assert.deepEqual(spec.params, given);
  });

  it('keep every AugmentConfig field, and GraphQL AugmentationInput has a field for each', () => {
    // Every field away from its default (ranges narrowed, probabilities and counts set).
    const augment = Object.fromEntries(
      Object.entries(DEFAULT_AUGMENT_CONFIG).map(([name, value]) => [
        name,
        Array.isArray(value) ? [value[0], value[0]] : typeof value === 'number' ? (value === 0 ? 1 : value / 2) : value,
      ]),
    );
    const spec = parseJobSpec('train', JSON.stringify({ dataDir: '/d', augment }), 'job 2');
    assert.equal(spec.kind, 'train');
    assert.deepEqual(spec.kind === 'train' ? spec.params.augment : null, augment);
    const input = kwsSchema().getType('AugmentationInput');
    assert.ok(input instanceof GraphQLInputObjectType);
    assert.deepEqual(Object.keys(input.getFields()).sort(), Object.keys(DEFAULT_AUGMENT_CONFIG).sort());
  });

  it('name a stored training param of the wrong type', () => {
    assert.throws(() => parseJobSpec('train', JSON.stringify({ dataDir: '/d', epochs: 'ten' }), 'job 7'), {
      code: 'INTERNAL',
      message: /job 7 params\.epochs/,
    });
  });
});
