/**
 * The one place where a job's stored JSON (params, a search's result, training progress) becomes
 * typed values: every field is checked for its type when a row is read, so the processors never
 * cast. Ranges were checked on submission and are not checked again here.
 */
import { DEFAULT_AUGMENT_CONFIG, SPEED_RESAMPLERS } from '../data/index.js';
import type { AugmentConfig, DatasetOptions, SpeedResampler } from '../data/index.js';
import type { TfjsBackendName } from '../engine/index.js';
import { describeValue, isErrorCode, KwsError, UnreachableCaseError } from '../errors/index.js';
import type { FeatureConfig, FeatureNormalization, FeatureType } from '../features/index.js';
import { isArchitecture } from '../model/index.js';
import type { Architecture } from '../model/index.js';
import type { ParameterSpec, Parameters, SearchSpace, TrainingProgress } from '../training/index.js';
import type { EpochRecord } from '../registry/index.js';
import type { JobError } from './job-error.js';
import type {
  JobKind,
  JobSpec,
  ScoreParams,
  SearchMetric,
  SearchParams,
  SearchResult,
  SearchStrategy,
  SearchTrial,
  SearchTrialStatus,
  TrainParams,
} from './job-record.js';

/** Reads one stored value; `where` names it in the error (`job 3 params.epochs`). */
type Parse<T> = (value: unknown, where: string) => T;

/** @throws KwsError `INTERNAL`: a stored job that does not read (a corrupt or foreign row). */
function bad(where: string, expected: string, value: unknown): never {
  throw new KwsError('INTERNAL', `${where} must be ${expected}, got ${describeValue(value)}`);
}

const string: Parse<string> = (v, w) => (typeof v === 'string' ? v : bad(w, 'a string', v));
const number: Parse<number> = (v, w) => (typeof v === 'number' ? v : bad(w, 'a number', v));
const boolean: Parse<boolean> = (v, w) => (typeof v === 'boolean' ? v : bad(w, 'true or false', v));
const nullable =
  <T>(parse: Parse<T>): Parse<T | null> =>
  (v, w) =>
    v === null ? null : parse(v, w);

/** One of the keys of `choices` (a record, so that the compiler checks it names every member). */
function oneOf<T extends string>(choices: Readonly<Record<T, true>>): Parse<T> {
  const isChoice = (v: unknown): v is T => typeof v === 'string' && Object.hasOwn(choices, v);
  return (v, w) => (isChoice(v) ? v : bad(w, `one of ${Object.keys(choices).join(', ')}`, v));
}

const pair: Parse<readonly [number, number]> = (v, w) => {
  if (!Array.isArray(v) || v.length !== 2) return bad(w, '[low, high]', v);
  const [low, high]: unknown[] = v;
  return typeof low === 'number' && typeof high === 'number' ? [low, high] : bad(w, '[low, high]', v);
};

function list<T>(parse: Parse<T>): Parse<T[]> {
  return (v, w) => (Array.isArray(v) ? v.map((item: unknown, i) => parse(item, `${w}[${i}]`)) : bad(w, 'a list', v));
}

/** The fields of a stored object, each read with its own parser. */
class Fields {
  private constructor(
    private readonly object: Readonly<Record<string, unknown>>,
    private readonly where: string,
  ) {}

  static of(value: unknown, where: string): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad(where, 'an object', value);
    return new Fields(Object.fromEntries(Object.entries(value)), where);
  }

  /** A field that must be there. */
  get<T>(name: string, parse: Parse<T>): T {
    return parse(this.object[name], `${this.where}.${name}`);
  }

  /** A field that may be absent (or null): undefined then. */
  optional<T>(name: string, parse: Parse<T>): T | undefined {
    const value = this.object[name];
    return value === undefined || value === null ? undefined : parse(value, `${this.where}.${name}`);
  }

  /** The names present. */
  names(): string[] {
    return Object.keys(this.object);
  }
}

/**
 * A copy of `object` without the keys whose value is undefined: stored options are merged over
 * defaults (`{ ...DEFAULTS, ...options }`), where a present-but-undefined key would erase one.
 */
export function withoutUndefined<T extends object>(object: T): T {
  const copy = { ...object };
  for (const key of Object.keys(copy)) if (Reflect.get(copy, key) === undefined) Reflect.deleteProperty(copy, key);
  return copy;
}

const architecture: Parse<Architecture> = (v, w) =>
  typeof v === 'string' && isArchitecture(v) ? v : bad(w, 'an architecture', v);
const backend = oneOf<TfjsBackendName>({ tensorflow: true, wasm: true, cpu: true });
const strategy = oneOf<SearchStrategy>({ RANDOM: true, TPE: true });
const metric = oneOf<SearchMetric>({ validationAccuracy: true, calibratedAccuracy: true });
const trialStatus = oneOf<SearchTrialStatus>({ RUNNING: true, SUCCEEDED: true, FAILED: true, CANCELLED: true });
const kind = oneOf<JobKind>({ score: true, train: true, search: true });

const speedResampler = oneOf<SpeedResampler>(
  Object.fromEntries(Object.keys(SPEED_RESAMPLERS).map((name) => [name, true])) as Record<SpeedResampler, true>,
);

/** Every AugmentConfig field, read by the kind of its default: ranges are pairs, the resampler a name, the rest numbers. */
const augment: Parse<Partial<AugmentConfig>> = (v, w) => {
  const f = Fields.of(v, w);
  return withoutUndefined(
    Object.fromEntries(
      Object.entries(DEFAULT_AUGMENT_CONFIG).map(([name, value]) => [
        name,
        Array.isArray(value)
          ? f.optional(name, pair)
          : typeof value === 'string'
            ? f.optional(name, speedResampler)
            : f.optional(name, number),
      ]),
    ) as Partial<AugmentConfig>,
  );
};

const dataset: Parse<DatasetOptions> = (v, w) => {
  const f = Fields.of(v, w);
  return withoutUndefined({
    validationPercentage: f.optional('validationPercentage', number),
    testingPercentage: f.optional('testingPercentage', number),
    silencePercentage: f.optional('silencePercentage', number),
    unknownPercentage: f.optional('unknownPercentage', number),
    seed: f.optional('seed', number),
  });
};

const featureType = oneOf<FeatureType>({ 'log-mel': true, mfcc: true, pcen: true, waveform: true });
const normalization = oneOf<FeatureNormalization>({ none: true, 'utterance-cmvn': true });

const features: Parse<Partial<FeatureConfig>> = (v, w) => {
  const f = Fields.of(v, w);
  return withoutUndefined({
    schemaVersion: f.optional('schemaVersion', number),
    type: f.optional('type', featureType),
    sampleRateHz: f.optional('sampleRateHz', number),
    clipSamples: f.optional('clipSamples', number),
    windowSamples: f.optional('windowSamples', number),
    hopSamples: f.optional('hopSamples', number),
    fftSize: f.optional('fftSize', number),
    window: f.optional('window', oneOf<'hann'>({ hann: true })),
    melBins: f.optional('melBins', number),
    fMinHz: f.optional('fMinHz', number),
    fMaxHz: f.optional('fMaxHz', number),
    melScale: f.optional('melScale', oneOf<'htk'>({ htk: true })),
    spectrum: f.optional('spectrum', oneOf<'power'>({ power: true })),
    logFloor: f.optional('logFloor', number),
    mfccCoefficients: f.optional('mfccCoefficients', number),
    pcenSmoothing: f.optional('pcenSmoothing', number),
    pcenGain: f.optional('pcenGain', number),
    pcenBias: f.optional('pcenBias', number),
    pcenPower: f.optional('pcenPower', number),
    pcenEpsilon: f.optional('pcenEpsilon', number),
    normalization: f.optional('normalization', normalization),
  });
};

const scoreParams: Parse<ScoreParams> = (v, w) => {
  const f = Fields.of(v, w);
  return {
    dir: f.get('dir', string),
    modelVersion: f.get('modelVersion', number),
    unknownThreshold: f.optional('unknownThreshold', number) ?? null,
    probabilities: f.optional('probabilities', boolean) ?? true,
    tta: f.optional('tta', boolean) ?? false,
  };
};

const trainParams: Parse<TrainParams> = (v, w) => {
  const f = Fields.of(v, w);
  return withoutUndefined({
    dataDir: f.get('dataDir', string),
    architecture: f.optional('architecture', architecture),
    epochs: f.optional('epochs', number),
    batchSize: f.optional('batchSize', number),
    learningRate: f.optional('learningRate', number),
    patience: f.optional('patience', number),
    balanced: f.optional('balanced', boolean),
    augment: f.optional('augment', augment),
    features: f.optional('features', features),
    baseVersion: f.optional('baseVersion', number),
    fineTuneOnly: f.optional('fineTuneOnly', boolean),
    allowMissingClasses: f.optional('allowMissingClasses', boolean),
    unknownTargetRecall: f.optional('unknownTargetRecall', number),
    outlierExposure: f.optional('outlierExposure', number),
    distillFrom: f.optional('distillFrom', number),
    distillWeight: f.optional('distillWeight', number),
    allWords: f.optional('allWords', boolean),
    pseudoLabelDir: f.optional('pseudoLabelDir', string),
    pseudoLabelFrom: f.optional('pseudoLabelFrom', number),
    pseudoLabelConfidence: f.optional('pseudoLabelConfidence', number),
    pseudoLabelMaxPerClass: f.optional('pseudoLabelMaxPerClass', number),
    threads: f.optional('threads', number),
    dataset: f.optional('dataset', dataset),
    seed: f.optional('seed', number),
    backend: f.optional('backend', backend),
  });
};

const parameterSpec: Parse<ParameterSpec> = (v, w) => {
  const f = Fields.of(v, w);
  const specKind = f.get('kind', oneOf<ParameterSpec['kind']>({ float: true, choice: true }));
  switch (specKind) {
    case 'float':
      return withoutUndefined({
        kind: 'float',
        min: f.get('min', number),
        max: f.get('max', number),
        log: f.optional('log', boolean),
      });
    case 'choice':
      return {
        kind: 'choice',
        values: f.get(
          'values',
          list<string | number>((x, wx) =>
            typeof x === 'string' || typeof x === 'number' ? x : bad(wx, 'a string or a number', x),
          ),
        ),
      };
    default:
      throw new UnreachableCaseError(specKind);
  }
};

const searchSpace: Parse<SearchSpace> = (v, w) => {
  const f = Fields.of(v, w);
  return Object.fromEntries(f.names().map((name) => [name, f.get(name, parameterSpec)]));
};

const searchParams: Parse<SearchParams> = (v, w) => {
  const f = Fields.of(v, w);
  return withoutUndefined({
    dataDir: f.get('dataDir', string),
    space: f.get('space', searchSpace),
    strategy: f.get('strategy', strategy),
    trials: f.get('trials', number),
    metric: f.get('metric', metric),
    epochs: f.get('epochs', number),
    batchSize: f.optional('batchSize', number),
    patience: f.optional('patience', number),
    seed: f.get('seed', number),
    allowMissingClasses: f.optional('allowMissingClasses', boolean),
  });
};

/** A stored `{ code, message }`. */
export const jobError: Parse<JobError> = (v, w) => {
  const f = Fields.of(v, w);
  const code = f.get('code', string);
  return isErrorCode(code) ? { code, message: f.get('message', string) } : bad(`${w}.code`, 'a known error code', code);
};

const parameters: Parse<Parameters> = (v, w) => {
  const f = Fields.of(v, w);
  return Object.fromEntries(
    f
      .names()
      .map((name) => [
        name,
        f.get(name, (x, wx) =>
          typeof x === 'string' || typeof x === 'number' ? x : bad(wx, 'a string or a number', x),
        ),
      ]),
  );
};

const searchTrial: Parse<SearchTrial> = (v, w) => {
  const f = Fields.of(v, w);
  return {
    trial: f.get('trial', number),
    parameters: f.get('parameters', parameters),
    version: f.get('version', nullable(number)),
    metric: f.get('metric', nullable(number)),
    status: f.get('status', trialStatus),
    error: f.get('error', nullable(jobError)),
    // Trials stored before these fields read as null.
    worker: f.optional('worker', string) ?? null,
    startedAt: f.optional('startedAt', string) ?? null,
    finishedAt: f.optional('finishedAt', string) ?? null,
  };
};

/** A search's stored result: its trial table and best trial. @throws KwsError `INTERNAL` for one that does not read. */
export const searchResult: Parse<SearchResult> = (v, w) => {
  const f = Fields.of(v, w);
  return {
    strategy: f.get('strategy', strategy),
    metric: f.get('metric', metric),
    trials: f.get('trials', list(searchTrial)),
    best: f.get('best', nullable(searchTrial)),
  };
};

const epochRecord: Parse<EpochRecord> = (v, w) => {
  const f = Fields.of(v, w);
  return {
    epoch: f.get('epoch', number),
    loss: f.get('loss', number),
    accuracy: f.get('accuracy', number),
    valAccuracy: f.get('valAccuracy', number),
    seconds: f.get('seconds', number),
  };
};

/** A training job's stored progress report. @throws KwsError `INTERNAL` for one that does not read. */
export const trainingProgress: Parse<TrainingProgress> = (v, w) => {
  const f = Fields.of(v, w);
  return withoutUndefined({
    phase: f.get(
      'phase',
      oneOf<TrainingProgress['phase']>({ loading: true, training: true, evaluating: true, done: true }),
    ),
    epoch: f.get('epoch', number),
    epochs: f.get('epochs', number),
    loss: f.get('loss', nullable(number)),
    accuracy: f.get('accuracy', nullable(number)),
    valAccuracy: f.get('valAccuracy', nullable(number)),
    etaSeconds: f.get('etaSeconds', nullable(number)),
    // Reports stored before the curve was kept have none.
    history: f.optional('history', list(epochRecord)),
  });
};

/** Parses JSON text. @throws KwsError `INTERNAL` naming `where` for text that is not JSON. */
export function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return bad(where, 'JSON', text.slice(0, 80));
  }
}

/**
 * A stored job's kind and params, checked field by field.
 *
 * @param where Names the row in errors, e.g. `job 3`.
 * @throws KwsError `INTERNAL` for an unknown kind or params that do not read.
 */
export function parseJobSpec(storedKind: string, paramsJson: string, where: string): JobSpec {
  const jobKind = kind(storedKind, `${where} kind`);
  const params = parseJson(paramsJson, `${where} params`);
  switch (jobKind) {
    case 'score':
      return { kind: 'score', params: scoreParams(params, `${where} params`) };
    case 'train':
      return { kind: 'train', params: trainParams(params, `${where} params`) };
    case 'search':
      return { kind: 'search', params: searchParams(params, `${where} params`) };
    default:
      throw new UnreachableCaseError(jobKind);
  }
}
