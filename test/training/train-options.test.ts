import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphQLInputObjectType, GraphQLNonNull, getNamedType } from 'graphql';
import type { Option } from 'commander';
import { trainCommand } from '../../src/cli/train.command.js';
import { kwsSchema } from '../../src/graphql/index.js';
import {
  cliAttributeName,
  TRAIN_OPTION_DEFAULTS,
  TRAIN_OPTIONS,
  trainOptionEntries,
  trainOptionsFromCliValues,
  trainOptionsFromRetrainInput,
  validateTrainOptions,
} from '../../src/training/index.js';
import type { TrainOptionName, TrainVersionOptions } from '../../src/training/index.js';
import { packagesLoadedBy } from '../helpers/loaded-packages.js';

/** `kws train`'s own flags, which are not training options. */
const COMMAND_FLAGS = ['--no-progress', '--json', '--models-dir', '--data-dir'];

/** The GraphQL type each kind of option has in RetrainInput. */
const GRAPHQL_TYPES = {
  integer: 'Int',
  number: 'Float',
  boolean: 'Boolean',
  enum: 'String',
  path: 'String',
  string: 'String',
  json: 'an input type',
} as const;

/** The GraphQL input type of each `json` option's type. */
const GRAPHQL_INPUTS: Readonly<Record<string, string>> = {
  AugmentConfig: 'AugmentationInput',
  DatasetOptions: 'DatasetInput',
  FeatureConfig: 'FeaturesInput',
};

function retrainInput(): GraphQLInputObjectType {
  const type = kwsSchema().getType('RetrainInput');
  assert.ok(type instanceof GraphQLInputObjectType);
  return type;
}

function flagOf(options: readonly Option[], name: TrainOptionName): Option {
  const cli = TRAIN_OPTIONS[name].cli;
  assert.notEqual(cli, null, `${name} has a flag`);
  const option = options.find((o) => o.long === `--${cli?.flag}`);
  assert.ok(option !== undefined, `kws train has --${cli?.flag}`);
  return option;
}

/** The two options pseudo-labelling needs together. */
const PSEUDO = { pseudoLabelDir: '/data/test', pseudoLabelFrom: 2 } as const;
describe('training options, declared once', () => {
  it('has the documented defaults', () => {
    assert.deepEqual(
      { ...TRAIN_OPTION_DEFAULTS },
      {
        architecture: 'tc-resnet8',
        epochs: 30,
        batchSize: 64,
        learningRate: 1e-3,
        balanced: false,
        patience: 5,
        seed: 1,
        fineTuneOnly: false,
        allowMissingClasses: false,
        allWords: false,
        threads: 1,
        backend: 'tensorflow',
      },
    );
    assert.deepEqual(validateTrainOptions({}), {
      architecture: 'tc-resnet8',
      epochs: 30,
      batchSize: 64,
      learningRate: 1e-3,
      patience: 5,
      seed: 1,
      threads: 1,
    });
  });

  it('refuses a value outside each declared range or choice, naming the option and showing the value', () => {
    // [options, message, error name and code when not KwsError INVALID_ARGUMENT]
    const refusals: Record<string, Array<[Partial<TrainVersionOptions>, string, { name: string; code: string }?]>> = {
      architecture: [
        [
          { architecture: 'resnet50' as never },
          'architecture must be one of lenet, tc-resnet8, tc-resnet14, tc-resnet14-wide, matchboxnet-3x1x64, got "resnet50"',
        ],
      ],
      epochs: [
        [{ epochs: 0 }, 'epochs must be an integer from 1 to 10000, got 0'],
        [{ epochs: 10_001 }, 'epochs must be an integer from 1 to 10000, got 10001'],
        [{ epochs: 2.5 }, 'epochs must be an integer from 1 to 10000, got 2.5'],
      ],
      batchSize: [
        [{ batchSize: 0 }, 'batchSize must be an integer from 1 to 4096, got 0'],
        [{ batchSize: 4097 }, 'batchSize must be an integer from 1 to 4096, got 4097'],
      ],
      learningRate: [
        [{ learningRate: 0 }, 'learningRate must be in (0, 1), got 0'],
        [{ learningRate: 1 }, 'learningRate must be in (0, 1), got 1'],
        [{ learningRate: Number.NaN }, 'learningRate must be in (0, 1), got NaN'],
      ],
      balanced: [[{ balanced: 'yes' as never }, 'balanced must be true or false, got "yes"']],
      patience: [
        [{ patience: 0 }, 'patience must be an integer from 1 to 10000, got 0'],
        [{ patience: 10_001 }, 'patience must be an integer from 1 to 10000, got 10001'],
      ],
      seed: [
        [{ seed: 2 ** 31 }, 'seed must be an integer from -2147483648 to 2147483647, got 2147483648'],
        [{ seed: -(2 ** 31) - 1 }, 'seed must be an integer from -2147483648 to 2147483647, got -2147483649'],
      ],
      augment: [
        [
          { augment: { noiseProbability: 5 } },
          'AugmentConfig.noiseProbability must be a probability from 0 to 1, got 5',
        ],
      ],
      features: [
        [
          { features: { type: 'pcen2' } as never },
          'FeatureConfig.type must be one of log-mel, mfcc, pcen, waveform, got "pcen2"',
          { name: 'FeatureError', code: 'INVALID_FEATURE_CONFIG' },
        ],
        [
          { features: { type: 'waveform' } },
          'FeatureConfig.type waveform is for imported models with their own front end; kws-serve trains on log-mel, mfcc or pcen',
          { name: 'FeatureError', code: 'INVALID_FEATURE_CONFIG' },
        ],
        [
          { features: { type: 'pcen', pcenPower: 0 } },
          'FeatureConfig.pcenPower must be a number in (0, 1], got 0',
          { name: 'FeatureError', code: 'INVALID_FEATURE_CONFIG' },
        ],
      ],
      baseVersion: [[{ baseVersion: 0 }, 'baseVersion must be an integer from 1 to 2147483647, got 0']],
      fineTuneOnly: [[{ fineTuneOnly: 1 as never }, 'fineTuneOnly must be true or false, got 1']],
      allowMissingClasses: [
        [{ allowMissingClasses: 'no' as never }, 'allowMissingClasses must be true or false, got "no"'],
      ],
      backend: [[{ backend: 'gpu' as never }, 'backend must be one of tensorflow, wasm, cpu, got "gpu"']],
      dataset: [
        [{ dataset: { unknownPercentage: 150 } }, 'unknownPercentage must be a percentage from 0 to 100, got 150'],
        [
          { dataset: { unknownShare: 50 } as never },
          'DatasetOptions has no field "unknownShare" (fields: validationPercentage, testingPercentage, silencePercentage, unknownPercentage, seed)',
        ],
      ],
      unknownTargetRecall: [
        [{ unknownTargetRecall: 0 }, 'unknownTargetRecall must be in (0, 1], got 0'],
        [{ unknownTargetRecall: 1.5 }, 'unknownTargetRecall must be in (0, 1], got 1.5'],
      ],
      outlierExposure: [
        [{ outlierExposure: -0.5 }, 'outlierExposure must be in [0, 10], got -0.5'],
        [{ outlierExposure: 11 }, 'outlierExposure must be in [0, 10], got 11'],
      ],
      distillFrom: [[{ distillFrom: 1.5 }, 'distillFrom must be an integer from 1 to 2147483647, got 1.5']],
      distillWeight: [
        [{ distillWeight: 0 }, 'distillWeight must be in (0, 1], got 0'],
        [{ distillWeight: 2 }, 'distillWeight must be in (0, 1], got 2'],
      ],
      allWords: [
        [{ allWords: 'yes' as never }, 'allWords must be true or false, got "yes"'],
        [
          { allWords: true, distillFrom: 1 },
          'allWords: a teacher answers the 12 labels and a model of every word learns words; train it without distillFrom',
        ],
        [
          { allWords: true, outlierExposure: 0.5 },
          'allWords: outlier exposure works on the 12 labels; a model of every word learns its unknown words one by one instead',
        ],
      ],
      pseudoLabelDir: [
        [{ pseudoLabelDir: '', pseudoLabelFrom: 1 }, 'pseudoLabelDir must be a non-empty path, got ""'],
        [
          { pseudoLabelDir: '/data/test' },
          'pseudo-labelling needs both pseudoLabelDir (the unlabelled folder) and pseudoLabelFrom (the version that labels it)',
        ],
      ],
      pseudoLabelFrom: [
        [{ ...PSEUDO, pseudoLabelFrom: 0 }, 'pseudoLabelFrom must be an integer from 1 to 2147483647, got 0'],
        [
          { pseudoLabelFrom: 2 },
          'pseudo-labelling needs both pseudoLabelDir (the unlabelled folder) and pseudoLabelFrom (the version that labels it)',
        ],
      ],
      pseudoLabelConfidence: [
        [{ ...PSEUDO, pseudoLabelConfidence: 0 }, 'pseudoLabelConfidence must be in (0, 1], got 0'],
        [
          { pseudoLabelConfidence: 0.9 },
          'pseudo-labelling needs both pseudoLabelDir (the unlabelled folder) and pseudoLabelFrom (the version that labels it)',
        ],
      ],
      pseudoLabelMaxPerClass: [
        [
          { ...PSEUDO, pseudoLabelMaxPerClass: 0 },
          'pseudoLabelMaxPerClass must be an integer from 1 to 10000000, got 0',
        ],
      ],
      threads: [
        [{ threads: 0 }, 'threads must be an integer from 1 to 32, got 0'],
        [{ threads: 33 }, 'threads must be an integer from 1 to 32, got 33'],
        [
          { threads: 2, fineTuneOnly: true },
          'threads: fineTuneOnly trains the classifier head alone, on one thread; got threads 2',
        ],
        [
          { threads: 3, batchSize: 5 },
          'threads: each of 3 training threads needs at least 2 clips of a batch, and batchSize 5 gives 1; use batchSize 6 or more, or fewer threads',
        ],
      ],
    };
    assert.deepEqual(
      Object.keys(refusals).sort(),
      trainOptionEntries()
        .map(([name]) => name)
        .filter((name) => name !== 'dataDir')
        .sort(),
      'a refusal per declared option',
    );
    for (const cases of Object.values(refusals)) {
      for (const [options, message, error = { name: 'KwsError', code: 'INVALID_ARGUMENT' }] of cases)
        assert.throws(() => validateTrainOptions(options), { ...error, message });
    }
  });

  it('accepts both ends of each closed range', () => {
    for (const [name, declaration] of trainOptionEntries()) {
      const range = declaration.range;
      if (range === undefined) continue;
      for (const end of [range.min, range.max]) {
        const open = end === range.min ? range.minOpen === true : range.maxOpen === true;
        // A pseudo-labelling option needs the folder and the labelling version beside it.
        const given = name.startsWith('pseudoLabel') ? { ...PSEUDO, [name]: end } : { [name]: end };
        if (open) assert.throws(() => validateTrainOptions(given), { code: 'INVALID_ARGUMENT' }, `${name} ${end}`);
        else assert.doesNotThrow(() => validateTrainOptions(given), `${name} ${end}`);
      }
    }
  });

  it('gives kws train a flag per declared option, with its default, and no flag that is not declared', () => {
    const options = trainCommand().options;
    const declared = trainOptionEntries().filter(([, d]) => d.cli !== null);
    assert.deepEqual(
      trainOptionEntries()
        .filter(([, d]) => d.cli === null)
        .map(([name]) => name),
      ['fineTuneOnly'],
      'the options the command line does not offer',
    );
    for (const [name, declaration] of declared) {
      const option = flagOf(options, name);
      assert.equal(option.defaultValue, declaration.default, `--${declaration.cli?.flag} default`);
      assert.equal(option.attributeName(), cliAttributeName(declaration.cli?.flag ?? ''));
      assert.equal(option.mandatory, declaration.required === true);
      assert.equal(option.isBoolean(), declaration.kind === 'boolean');
      if (declaration.unit !== undefined && declaration.default !== undefined)
        assert.equal(option.defaultValueDescription, `${String(declaration.default)} ${declaration.unit}`);
      if (declaration.kind === 'enum') assert.deepEqual(option.argChoices, declaration.choices);
    }
    assert.deepEqual(
      options.map((o) => o.long).filter((long) => !COMMAND_FLAGS.includes(long ?? '')),
      declared.map(([, d]) => `--${d.cli?.flag}`),
    );
  });

  it("refuses out-of-range flag values with commander's messages, derived from the declared ranges", () => {
    const options = trainCommand().options;
    const refuses = (name: TrainOptionName, value: string, message: string): void => {
      assert.throws(() => flagOf(options, name).parseArg?.(value, undefined), {
        code: 'commander.invalidArgument',
        message,
      });
    };
    refuses('epochs', '0', 'expected an integer from 1 to 10000, got "0"');
    refuses('epochs', '10001', 'expected an integer from 1 to 10000, got "10001"');
    refuses('batchSize', '4097', 'expected an integer from 1 to 4096, got "4097"');
    refuses('learningRate', '0', 'expected a number in (0, 1), got "0"');
    refuses('learningRate', '1', 'expected a number in (0, 1), got "1"');
    refuses('learningRate', 'fast', 'expected a number in (0, 1), got "fast"');
    refuses('patience', '0', 'expected an integer from 1 to 10000, got "0"');
    refuses('seed', '2147483648', 'expected an integer from -2147483648 to 2147483647, got "2147483648"');
    refuses('baseVersion', '0', 'expected an integer from 1 to 2147483647, got "0"');
    refuses(
      'augment',
      '[1]',
      `expected a JSON object of AugmentConfig fields, e.g. '{"noiseProbability":0.5}', got [1]`,
    );
    refuses(
      'augment',
      '{"noiseProbability":5}',
      'AugmentConfig.noiseProbability must be a probability from 0 to 1, got 5',
    );
    refuses(
      'features',
      '{"type":"pcen2"}',
      'FeatureConfig.type must be one of log-mel, mfcc, pcen, waveform, got "pcen2"',
    );
    assert.equal(flagOf(options, 'learningRate').parseArg?.('0.0002', undefined), 0.0002);
    assert.deepEqual(flagOf(options, 'features').parseArg?.('{"type":"pcen"}', undefined), { type: 'pcen' });
  });

  it('maps parsed flags onto the training options (--lr is learningRate)', () => {
    const command = trainCommand();
    command.parseOptions([
      '--data',
      'corpus',
      '--lr',
      '0.01',
      '--balanced',
      '--augment',
      '{"noiseProbability":0.5}',
      '--features',
      '{"type":"pcen","pcenSmoothing":0.04}',
      '--base-version',
      '2',
      '--json',
    ]);
    assert.deepEqual(trainOptionsFromCliValues(command.opts()), {
      dataDir: 'corpus',
      architecture: 'tc-resnet8',
      epochs: 30,
      batchSize: 64,
      learningRate: 0.01,
      balanced: true,
      patience: 5,
      seed: 1,
      augment: { noiseProbability: 0.5 },
      features: { type: 'pcen', pcenSmoothing: 0.04 },
      baseVersion: 2,
      allowMissingClasses: false,
      allWords: false,
      threads: 1,
      backend: 'tensorflow',
    });
  });

  it('gives GraphQL RetrainInput a field per declared option, of its kind, with its default in the description, and no other field', () => {
    const fields = retrainInput().getFields();
    const declared = trainOptionEntries().filter(([, d]) => d.graphql !== null);
    assert.deepEqual(
      trainOptionEntries()
        .filter(([, d]) => d.graphql === null)
        .map(([name]) => name),
      ['backend'],
      'the options GraphQL does not offer',
    );
    for (const [name, declaration] of declared) {
      const field = fields[declaration.graphql?.field ?? ''];
      assert.ok(field !== undefined, `RetrainInput has a field for ${name}`);
      const expectedType =
        declaration.kind === 'json'
          ? GRAPHQL_INPUTS[declaration.json?.typeName ?? '']
          : GRAPHQL_TYPES[declaration.kind];
      assert.equal(getNamedType(field.type).name, expectedType, `${field.name} type`);
      assert.equal(field.type instanceof GraphQLNonNull, declaration.required === true, `${field.name} nullability`);
      if (declaration.default !== undefined)
        assert.ok(
          field.description?.endsWith(
            ` Default ${String(declaration.default)}${declaration.unit === undefined ? '' : ` ${declaration.unit}`}.`,
          ),
          `${field.name}: ${field.description}`,
        );
    }
    assert.deepEqual(Object.keys(fields).sort(), declared.map(([, d]) => d.graphql?.field).sort());
    assert.equal(fields['epochs']?.description, 'Most epochs (early stopping may end sooner). Default 30 epochs.');
    assert.equal(
      fields['architecture']?.description,
      'Model architecture (width and depth): lenet, tc-resnet8, tc-resnet14, tc-resnet14-wide or matchboxnet-3x1x64; ignored with baseVersion. Default tc-resnet8.',
    );
  });

  it("maps a job's RetrainInput onto the training options (balancedSampling is balanced, augmentation augment), leaving out what is null", () => {
    assert.deepEqual(
      trainOptionsFromRetrainInput({
        dataDir: '/data',
        balancedSampling: true,
        augmentation: { noiseProbability: 0.5, timeShiftMs: undefined },
        features: { type: 'pcen', pcenGain: null } as never,
        epochs: null,
        learningRate: 0.01,
        fineTuneOnly: false,
        backend: 'wasm',
      }),
      {
        dataDir: '/data',
        learningRate: 0.01,
        balanced: true,
        augment: { noiseProbability: 0.5 },
        features: { type: 'pcen' },
        fineTuneOnly: false,
        backend: 'wasm',
      },
    );
    assert.deepEqual(
      trainOptionsFromRetrainInput({ dataDir: '/data' }),
      { dataDir: '/data' },
      'omitted options take the defaults in training, not here',
    );
  });

  it('loads no TF.js for the declarations or for the kws train command', () => {
    const loaded = packagesLoadedBy(
      `await import(${JSON.stringify(new URL('../../src/cli/train.command.ts', import.meta.url).href)});`,
    );
    assert.ok(loaded.includes('commander'), loaded.join(', '));
    assert.deepEqual(
      loaded.filter((name) => name.startsWith('@tensorflow/')),
      [],
    );
  });
});
