import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { rmsDbfs } from '../../audio/index.js';
import { fromFsError, KwsError } from '../../errors/index.js';
import { decide } from '../../inference/index.js';
import type { DecisionReason, Thresholds } from '../../inference/index.js';
import { COMMAND_WORDS, LABELS, OOD_PARTS, oodExpectedLabels } from '../../labels/index.js';
import type { Label, OodPart } from '../../labels/index.js';
import type { ModelRegistry, RejectionMetrics } from '../../registry/index.js';
import { rejectionMetrics } from '../trust.js';
import type { ScoredClips } from '../trust.js';
import { loadClipFile } from '../clip-cache.js';
import { signalShape } from '../../features/index.js';
import { loadVersion } from './load-version.js';
import type { LoadedVersion } from './load-version.js';

const COMMANDS = new Set<string>(COMMAND_WORDS);
const BATCH = 128;

/** How a model version answered one group of clips of the OOD set. */
export interface OodGroupReport {
  readonly clips: number;
  /** Fraction answered with an expected label (see `oodExpectedLabels`). */
  readonly correct: number;
  /** Fraction answered with one of the ten commands. */
  readonly commandRate: number;
  /**
   * Fraction answered `unknown` by the non-speech rule (reason `NON_SPEECH`: the model said a command
   * and the clip's signal shape is a steady synthetic sound); without the rule they would count in
   * `commandRate` (those above the unknown threshold).
   */
  readonly nonSpeechRate: number;
}

/** One part of the OOD set (`oov/`, `soundalike/`, `non-speech/`, `real-noise/`, `held-out-voices/`). */
export interface OodPartReport extends OodGroupReport {
  readonly part: OodPart;
  /** Answers by final label. */
  readonly answers: Readonly<Partial<Record<Label, number>>>;
  /** By voice engine (`espeak-ng`, `svox-pico`) for spoken parts, by sound kind for `non-speech` and by recording for `real-noise`. */
  readonly groups: Readonly<Record<string, OodGroupReport>>;
  /**
   * The command clips of `held-out-voices` against this part's clips, per unknown rule (see
   * `rejectionMetrics`); null for `held-out-voices` itself.
   */
  readonly rejection: readonly RejectionMetrics[] | null;
}

/** What {@link evaluateOodSet} reports (`kws eval --data OOD_SET --json`). */
export interface OodEvaluationReport {
  readonly modelVersion: number;
  readonly source: 'ood-set';
  /** The temperature the probabilities were computed at. */
  readonly temperature: number;
  readonly parts: readonly OodPartReport[];
}

interface ScoredPart extends ScoredClips {
  readonly probabilities: Float32Array;
  readonly energy: Float32Array;
  readonly expected: ReadonlyArray<readonly Label[]>;
  readonly labels: readonly Label[];
  readonly reasons: readonly DecisionReason[];
  readonly groups: readonly string[];
}

/** Reads `manifest.json`'s voice ids to engines (`svox-pico`, `espeak-ng`). @throws KwsError `MALFORMED`, `FILE_NOT_FOUND`. */
async function voiceEngines(dir: string): Promise<Map<string, string>> {
  let manifest: { generator?: unknown; voices?: Array<{ id?: unknown; engine?: unknown }> };
  try {
    manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as typeof manifest;
  } catch (error) {
    if (error instanceof SyntaxError)
      throw new KwsError('MALFORMED', `${join(dir, 'manifest.json')} is not valid JSON: ${error.message}`);
    throw fromFsError(error, join(dir, 'manifest.json'), 'read');
  }
  return new Map(
    (manifest.voices ?? []).flatMap((v) =>
      typeof v.id === 'string' && typeof v.engine === 'string' ? [[v.id, v.engine] as [string, string]] : [],
    ),
  );
}

/** Scores every clip of one part in batches: probabilities at the version's temperature, energies and final labels. */
async function scorePart(
  loaded: LoadedVersion,
  dir: string,
  part: OodPart,
  engines: ReadonlyMap<string, string>,
  thresholds: Thresholds,
): Promise<ScoredPart> {
  const files: Array<{ path: string; folder: string; group: string }> = [];
  for (const folder of (await readdir(join(dir, part), { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()) {
    for (const file of (await readdir(join(dir, part, folder))).filter((f) => f.endsWith('.wav')).sort()) {
      const stem = file.replace(/\.wav$/, '');
      files.push({
        path: join(dir, part, folder, file),
        folder,
        group: part === 'non-speech' || part === 'real-noise' ? folder : (engines.get(stem) ?? 'unknown-voice'),
      });
    }
  }
  const { extractor } = loaded;
  const probabilities = new Float32Array(files.length * LABELS.length);
  const energy = new Float32Array(files.length);
  const labels: Label[] = [];
  const reasons: DecisionReason[] = [];
  for (let start = 0; start < files.length; start += BATCH) {
    const batch = files.slice(start, start + BATCH);
    const clips = await Promise.all(
      batch.map(async (f) => loadClipFile(f.path, relative(dir, f.path), extractor.config.clipSamples)),
    );
    const out = await loaded.predictClips(clips); // with the version's TTA, as serving answers
    probabilities.set(out.probabilities, start * LABELS.length);
    energy.set(out.energy, start);
    clips.forEach((clip, k) => {
      const decision = decide(
        out.probabilities,
        rmsDbfs(clip),
        thresholds,
        k * LABELS.length,
        out.energy[k] as number,
        signalShape(clip, extractor.config.sampleRateHz),
      );
      labels.push(decision.label);
      reasons.push(decision.reason);
    });
  }
  return {
    probabilities,
    energy,
    size: files.length,
    labels,
    reasons,
    expected: files.map((f) => oodExpectedLabels(part, f.folder)),
    groups: files.map((f) => f.group),
  };
}

function groupReport(scored: ScoredPart, rows: readonly number[]): OodGroupReport {
  const correct = rows.filter((i) =>
    (scored.expected[i] as readonly Label[]).includes(scored.labels[i] as Label),
  ).length;
  const commands = rows.filter((i) => COMMANDS.has(scored.labels[i] as Label)).length;
  const nonSpeech = rows.filter((i) => scored.reasons[i] === 'NON_SPEECH').length;
  return {
    clips: rows.length,
    correct: rows.length === 0 ? 0 : correct / rows.length,
    commandRate: rows.length === 0 ? 0 : commands / rows.length,
    nonSpeechRate: rows.length === 0 ? 0 : nonSpeech / rows.length,
  };
}

/** The rows of a held-out-voices part whose expected answer is a command. */
function commandClips(scored: ScoredPart): ScoredClips {
  const rows = Array.from({ length: scored.size }, (_, i) => i).filter((i) =>
    COMMANDS.has((scored.expected[i] as readonly Label[])[0] as Label),
  );
  const probabilities = new Float32Array(rows.length * LABELS.length);
  rows.forEach((row, k) =>
    probabilities.set(scored.probabilities.subarray(row * LABELS.length, (row + 1) * LABELS.length), k * LABELS.length),
  );
  return { probabilities, energy: Float32Array.from(rows, (row) => scored.energy[row] as number), size: rows.length };
}

/**
 * Scores a ready model version on the project's OOD evaluation set (written by `kws ood-set`: a
 * folder with `manifest.json` and the parts `oov/`, `soundalike/`, `non-speech/`, `real-noise/`,
 * `held-out-voices/`, each `<folder>/<clip>.wav`), part by part and, within a part, by voice engine
 * or sound kind: the fraction answered as the part expects, the fraction answered with a command,
 * the answers, and how each unknown rule separates the command clips of `held-out-voices` from the
 * part's clips (AUROC, FPR at 95 % TPR). Probabilities at the version's temperature; the version's
 * calibrated thresholds unless `thresholds` is given. Parts missing from the folder are skipped.
 *
 * @throws KwsError `FILE_NOT_FOUND`/`MALFORMED` for a missing or bad manifest, `INVALID_ARGUMENT`
 *   when no part has clips; AudioDecodeError for a clip that does not decode.
 */
export async function evaluateOodSet(
  registry: ModelRegistry,
  dir: string,
  ref?: number | string,
  thresholds?: Thresholds,
): Promise<OodEvaluationReport> {
  const engines = await voiceEngines(dir);
  const loaded = await loadVersion(registry, ref);
  try {
    const present = new Set(
      (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name),
    );
    const scored = new Map<OodPart, ScoredPart>();
    for (const part of OOD_PARTS)
      if (present.has(part))
        scored.set(part, await scorePart(loaded, dir, part, engines, thresholds ?? loaded.thresholds));
    if ([...scored.values()].every((s) => s.size === 0))
      throw new KwsError('INVALID_ARGUMENT', `${dir} has no clips in any part of an OOD set (${OOD_PARTS.join(', ')})`);
    const voices = scored.get('held-out-voices');
    const commands = voices === undefined ? null : commandClips(voices);
    const parts = [...scored].map(([part, s]): OodPartReport => {
      const all = Array.from({ length: s.size }, (_, i) => i);
      const answers: Partial<Record<Label, number>> = {};
      for (const label of s.labels) answers[label] = (answers[label] ?? 0) + 1;
      const groups = Object.fromEntries(
        [...new Set(s.groups)].sort().map((g) => [
          g,
          groupReport(
            s,
            all.filter((i) => s.groups[i] === g),
          ),
        ]),
      );
      return {
        part,
        ...groupReport(s, all),
        answers,
        groups,
        rejection: part === 'held-out-voices' || commands === null ? null : rejectionMetrics(commands, s),
      };
    });
    return {
      modelVersion: loaded.manifest.version,
      source: 'ood-set',
      temperature: loaded.manifest.calibration.temperature ?? 1,
      parts,
    };
  } finally {
    await loaded.dispose();
  }
}
