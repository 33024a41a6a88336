import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeValue, KwsError } from '../errors/index.js';
import { FeatureExtractor, resolveFeatureConfig } from '../features/index.js';
import type { FeatureConfig } from '../features/index.js';
import { LABELS } from '../labels/index.js';
import { ENSEMBLE_COMBINES } from '../model/index.js';
import type { EnsembleCombine } from '../model/index.js';
import { energyFromLogits, softmaxWithTemperature } from './logits.js';
import { checkInput } from './model-output.js';
import type { ModelGeometry, ModelOutput, ModelSession } from './model-output.js';

/** The file that makes a model folder a session ensemble: its members' ONNX files, weights and temperatures. */
export const SESSION_ENSEMBLE_FILE = 'ensemble.json';

/** The folder inside a session ensemble's model folder that holds its members' `model.onnx` copies. */
export const SESSION_ENSEMBLE_MEMBERS = 'members';

/** One member of a session ensemble. */
export interface SessionEnsembleMember {
  /** Its `model.onnx`, relative to the ensemble's folder (`members/v3.onnx`). */
  readonly file: string;
  /** Its weight, >= 0; the weights of one ensemble sum to 1. */
  readonly weight: number;
  /** Its temperature T_k (its calibrated probabilities are softmax(logits / T_k)), > 0. */
  readonly temperature: number;
  /** For a model of words, the label index of each output (see `ModelGeometry.words`). */
  readonly words?: readonly number[];
  /**
   * The features the member computes from the ensemble's input, when the members' features differ:
   * the ensemble is then fed the waveform (`waveform` features) and each member's features are
   * computed from it, once per distinct config. Absent: the member takes the ensemble's input as it is.
   */
  readonly features?: FeatureConfig;
}

/**
 * A model folder whose `ensemble.json` names several ONNX models that run, one after another, on
 * the same features: how an ensemble is served when a member is an imported ONNX model, whose
 * graph cannot be merged into a TF.js layers model (the ensemble of kws-serve's own models is one
 * merged graph instead; see `buildEnsemble`). The combine rules are the same.
 */
export interface SessionEnsembleSpec {
  /** How the members' outputs are combined (see {@link combineMemberOutputs}). */
  readonly combine: EnsembleCombine;
  /** Two or more; their weights sum to 1. */
  readonly members: readonly SessionEnsembleMember[];
}

/**
 * Writes a session ensemble into `dir`: each member's `model.onnx` copied to `members/<name>.onnx`
 * and `ensemble.json`. The folder then opens with the onnx engine like any model folder.
 *
 * @param members Each member's `model.onnx` bytes, a file-name stem (`v3`), weight, temperature and word groups.
 * @throws KwsError `INVALID_ARGUMENT` for a spec {@link readSessionEnsemble} would refuse.
 */
export function writeSessionEnsemble(
  dir: string,
  combine: EnsembleCombine,
  members: ReadonlyArray<{
    readonly name: string;
    readonly bytes: Uint8Array;
    readonly weight: number;
    readonly temperature: number;
    /** For a model of words, the label index of each output. */
    readonly words?: readonly number[];
    /** Its features, computed from the ensemble's waveform input (see `SessionEnsembleMember.features`). */
    readonly features?: FeatureConfig;
  }>,
): SessionEnsembleSpec {
  const spec: SessionEnsembleSpec = {
    combine,
    members: members.map((m) => ({
      file: `${SESSION_ENSEMBLE_MEMBERS}/${m.name}.onnx`,
      weight: m.weight,
      temperature: m.temperature,
      ...(m.words === undefined ? {} : { words: [...m.words] }),
      ...(m.features === undefined ? {} : { features: m.features }),
    })),
  };
  checkSpec(spec, dir);
  mkdirSync(join(dir, SESSION_ENSEMBLE_MEMBERS), { recursive: true });
  members.forEach((m, k) => writeFileSync(join(dir, spec.members[k]!.file), m.bytes));
  writeFileSync(join(dir, SESSION_ENSEMBLE_FILE), `${JSON.stringify(spec, null, 2)}\n`);
  return spec;
}

/** Whether `dir` holds a session ensemble (an `ensemble.json`). */
export function isSessionEnsemble(dir: string): boolean {
  return existsSync(join(dir, SESSION_ENSEMBLE_FILE));
}

/**
 * Reads and checks `dir/ensemble.json`.
 *
 * @throws KwsError `MALFORMED` for a file that is not JSON or not a spec: an unknown combine rule,
 *   fewer than two members, a member file outside `members/`, a weight that is not finite and >= 0,
 *   weights that do not sum to 1, unequal weights with `mean-prob`, a temperature that is not > 0.
 */
export function readSessionEnsemble(dir: string): SessionEnsembleSpec {
  const path = join(dir, SESSION_ENSEMBLE_FILE);
  let spec: SessionEnsembleSpec;
  try {
    spec = JSON.parse(readFileSync(path, 'utf8')) as SessionEnsembleSpec;
  } catch (error) {
    throw new KwsError('MALFORMED', `${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    checkSpec(spec, dir);
  } catch (error) {
    throw new KwsError('MALFORMED', `${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return spec;
}

function checkSpec(spec: SessionEnsembleSpec, dir: string): void {
  const fail = (message: string): never => {
    throw new KwsError('INVALID_ARGUMENT', `${message} (session ensemble in ${dir})`);
  };
  if (typeof spec !== 'object' || spec === null) fail('not an object');
  if (!ENSEMBLE_COMBINES.includes(spec.combine))
    fail(`combine must be ${ENSEMBLE_COMBINES.join(' or ')}, got ${describeValue(spec.combine)}`);
  if (!Array.isArray(spec.members) || spec.members.length < 2) fail('an ensemble needs two or more members');
  for (const m of spec.members) {
    if (typeof m.file !== 'string' || !/^members\/[A-Za-z0-9_-]+\.onnx$/.test(m.file))
      fail(`a member file must be members/<name>.onnx, got ${describeValue(m.file)}`);
    if (typeof m.weight !== 'number' || !Number.isFinite(m.weight) || m.weight < 0)
      fail(`a member's weight must be a finite number >= 0, got ${describeValue(m.weight)}`);
    if (typeof m.temperature !== 'number' || !Number.isFinite(m.temperature) || !(m.temperature > 0))
      fail(`a member's temperature must be a finite number > 0, got ${describeValue(m.temperature)}`);
    if (
      m.words !== undefined &&
      (!Array.isArray(m.words) || !m.words.every((g) => Number.isInteger(g) && g >= 0 && g < LABELS.length))
    )
      fail(`a member's words must be a list of label indices (0 to ${LABELS.length - 1})`);
  }
  const withFeatures = spec.members.filter((m) => m.features !== undefined).length;
  if (withFeatures !== 0 && withFeatures !== spec.members.length)
    fail('either every member names its features (the ensemble takes the waveform) or none does');
  for (const m of spec.members)
    if (m.features !== undefined) {
      try {
        resolveFeatureConfig(m.features);
      } catch (error) {
        fail(`a member's features: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  const sum = spec.members.reduce((a, m) => a + m.weight, 0);
  if (Math.abs(sum - 1) > 1e-6) fail(`the members' weights must sum to 1, got ${sum}`);
  if (spec.combine === 'mean-prob' && spec.members.some((m) => Math.abs(m.weight - spec.members[0]!.weight) > 1e-9))
    fail('mean-prob averages the members equally: weights need mean-logit');
}

/**
 * Combines the members' raw outputs (temperature 1) for one batch, as `buildEnsemble` does in one graph:
 * - `mean-logit`: logits z = Σ_k w_k · z_k / T_k, probabilities softmax(z), energy -logsumexp(z).
 *   Every member needs logits.
 * - `mean-prob`: probabilities = Σ_k w_k · softmax(z_k / T_k) (a member without logits contributes its
 *   probabilities as they are); no logits, energy NaN (Lakshminarayanan et al. 2017).
 *
 * @param outputs One `ModelOutput` per member, in `spec.members` order, each `[batch, classes]`.
 * @returns The ensemble's output, `[batch, classes]` probabilities, `[batch]` energy, logits or null.
 * @throws KwsError `MALFORMED` for a `mean-logit` member without logits or outputs of other sizes.
 */
export function combineMemberOutputs(
  spec: SessionEnsembleSpec,
  outputs: readonly ModelOutput[],
  batch: number,
  classes: number,
): ModelOutput {
  const size = batch * classes;
  outputs.forEach((o, k) => {
    if (o.probabilities.length !== size || (o.logits !== null && o.logits.length !== size))
      throw new KwsError('MALFORMED', `ensemble member ${k + 1} gave ${o.probabilities.length} values, not ${size}`);
  });
  if (spec.combine === 'mean-logit') {
    const logits = new Float32Array(size);
    outputs.forEach((o, k) => {
      const member = spec.members[k]!;
      if (o.logits === null)
        throw new KwsError('MALFORMED', `ensemble member ${member.file} has no logits output, which mean-logit needs`);
      const scale = member.weight / member.temperature;
      for (let i = 0; i < size; i++) logits[i]! += scale * o.logits[i]!;
    });
    return {
      logits,
      probabilities: softmaxWithTemperature(logits, batch, classes, 1),
      energy: energyFromLogits(logits, batch, classes),
    };
  }
  const probabilities = new Float32Array(size);
  outputs.forEach((o, k) => {
    const member = spec.members[k]!;
    const p =
      o.logits === null ? o.probabilities : softmaxWithTemperature(o.logits, batch, classes, member.temperature);
    for (let i = 0; i < size; i++) probabilities[i]! += member.weight * p[i]!;
  });
  return { probabilities, energy: new Float32Array(batch).fill(Number.NaN), logits: null };
}

/**
 * Opens a session ensemble: one session per member (`openMember` on its file and its geometry: its
 * own features' shape when it names them, its word groups for a model of words), run one after
 * another on each batch and combined by {@link combineMemberOutputs}.
 *
 * @throws KwsError `MALFORMED` for a bad `ensemble.json` or a member that does not load (the others are disposed).
 */
export async function openSessionEnsemble(
  dir: string,
  geometry: ModelGeometry,
  openMember: (path: string, memberGeometry: ModelGeometry) => Promise<ModelSession>,
): Promise<ModelSession> {
  const spec = readSessionEnsemble(dir);
  // Members of their own features: one extractor per distinct config, fed the waveform input; null:
  // the member takes the input as it is. Chosen once here, not per batch.
  const byConfig = new Map<string, FeatureExtractor>();
  const memberExtractors = spec.members.map((m): FeatureExtractor | null => {
    if (m.features === undefined) return null;
    const key = JSON.stringify(m.features);
    if (!byConfig.has(key)) byConfig.set(key, new FeatureExtractor(m.features));
    return byConfig.get(key)!;
  });
  const sessions: ModelSession[] = [];
  try {
    for (const [k, m] of spec.members.entries()) {
      const extractor = memberExtractors[k]!;
      const memberGeometry: ModelGeometry = {
        ...(extractor === null ? geometry : { ...extractor.shape, classes: geometry.classes }),
        ...(m.words === undefined ? {} : { words: m.words }),
      };
      if (extractor !== null && extractor.config.clipSamples !== geometry.frames * geometry.bins)
        throw new KwsError(
          'MALFORMED',
          `a member of the session ensemble in ${dir} computes features from ${extractor.config.clipSamples} samples, but the ensemble is fed ${geometry.frames * geometry.bins} values a clip`,
        );
      sessions.push(await openMember(join(dir, m.file), memberGeometry));
    }
  } catch (error) {
    await Promise.all(sessions.map((s) => s.dispose()));
    throw error;
  }
  const first = sessions[0]!;
  return {
    engine: first.engine,
    provider: first.provider,
    geometry,
    async run(input, batch) {
      checkInput(geometry, input, batch);
      const computed = new Map<FeatureExtractor, Float32Array>();
      const featuresOf = (extractor: FeatureExtractor | null): Float32Array => {
        if (extractor === null) return input;
        let features = computed.get(extractor);
        if (features === undefined) {
          const size = extractor.config.clipSamples;
          const clips = Array.from({ length: batch }, (_, b) => input.subarray(b * size, (b + 1) * size));
          features = extractor.computeBatch(clips);
          computed.set(extractor, features);
        }
        return features;
      };
      const outputs: ModelOutput[] = [];
      for (const [k, s] of sessions.entries()) outputs.push(await s.run(featuresOf(memberExtractors[k]!), batch));
      return combineMemberOutputs(spec, outputs, batch, geometry.classes);
    },
    dispose: async () => {
      await Promise.all(sessions.map((s) => s.dispose()));
    },
  };
}
