import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { decodeAudio, fitToLength, rmsDbfs } from '../../audio/index.js';
import { signalShape } from '../../features/index.js';
import { listTestClips, readRegularFile } from '../../data/index.js';
import type { WordExample } from '../../data/index.js';
import { describeValue, KwsError } from '../../errors/index.js';
import { decide } from '../../inference/index.js';
import { LABELS } from '../../labels/index.js';
import type { Label } from '../../labels/index.js';
import type { ModelRegistry } from '../../registry/index.js';
import { loadVersion } from './load-version.js';

/** The confidence a pseudo-label needs when none is given: a max-softmax probability of 0.95. */
export const DEFAULT_PSEUDO_LABEL_CONFIDENCE = 0.95;

/** Clips scored per forward pass while pseudo-labelling. */
const PSEUDO_LABEL_BATCH = 256;

/** What {@link selectPseudoLabels} needs. */
export interface PseudoLabelOptions {
  /** The unlabelled folder: a Kaggle test folder (`audio/*.wav`) or a folder of WAVs. */
  readonly dir: string;
  /** The version (or alias) that labels it: any ready version, an ensemble or an imported model too. */
  readonly from: number | string;
  /** Max-softmax probability (at the version's temperature) a clip needs, in (0, 1]. Default {@link DEFAULT_PSEUDO_LABEL_CONFIDENCE}. */
  readonly confidence?: number;
  /** Most clips added per class; absent: each class's cap is given by the caller (its labelled training count). */
  readonly maxPerClass?: number;
}

/** How many clips were scored and added, per class: what a version records and `kws train` prints. */
export interface PseudoLabelReport {
  /** The folder, as given. */
  readonly dir: string;
  /** The version that labelled it. */
  readonly from: number;
  readonly confidence: number;
  /** WAV files in the folder. */
  readonly candidates: number;
  /** Files that did not decode (skipped). */
  readonly failed: number;
  /** Per class: clips at or above the confidence, before the cap. */
  readonly confident: Readonly<Record<Label, number>>;
  /** Per class: the cap. */
  readonly cap: Readonly<Record<Label, number>>;
  /** Per class: clips added to the training split (the most confident first, up to the cap). */
  readonly added: Readonly<Record<Label, number>>;
}

const perLabel = (value: (label: Label) => number): Record<Label, number> =>
  Object.fromEntries(LABELS.map((label) => [label, value(label)])) as Record<Label, number>;

/**
 * Pseudo-labelling (Lee 2013, "Pseudo-Label: the simple and efficient semi-supervised learning
 * method"; the challenge's first place added confident test clips to training): scores every WAV of
 * an unlabelled folder with a ready version (its features, temperature and thresholds: the label
 * is the one it would serve) and keeps the clips whose label came from the model (reason `MODEL`,
 * not a threshold) with a max-softmax probability of at least `confidence`. Per class, the most
 * confident clips are kept up to the cap (ties by file name), so that no class floods the training
 * split: `maxPerClass`, or `caps[label]`. Clips that do not decode are counted and skipped.
 *
 * @param caps Per class, the cap when `maxPerClass` is absent (e.g. the labelled training count).
 * @returns Training examples (`word` `_pseudo_`, speaker null) and the report.
 * @throws KwsError `INVALID_ARGUMENT` for a confidence outside (0, 1], a cap that is not a positive
 *   integer, or a folder without WAVs; `FILE_NOT_FOUND` for a missing folder; `NOT_FOUND` for an
 *   unknown version.
 */
export async function selectPseudoLabels(
  registry: ModelRegistry,
  options: PseudoLabelOptions,
  caps: Readonly<Record<Label, number>>,
): Promise<{ examples: WordExample[]; report: PseudoLabelReport }> {
  const confidence = options.confidence ?? DEFAULT_PSEUDO_LABEL_CONFIDENCE;
  if (!(confidence > 0 && confidence <= 1))
    throw new KwsError('INVALID_ARGUMENT', `pseudoLabelConfidence must be in (0, 1], got ${describeValue(confidence)}`);
  const max = options.maxPerClass;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1))
    throw new KwsError('INVALID_ARGUMENT', `pseudoLabelMaxPerClass must be an integer >= 1, got ${describeValue(max)}`);
  const stats = statSync(options.dir, { throwIfNoEntry: false });
  if (stats === undefined) throw new KwsError('FILE_NOT_FOUND', `pseudo-label folder ${options.dir} does not exist`);
  if (!stats.isDirectory()) throw new KwsError('FILE_UNREADABLE', `pseudo-label folder ${options.dir} is not a folder`);
  const files: string[] = [];
  for await (const clip of listTestClips(options.dir)) files.push(clip.path);
  files.sort();
  if (files.length === 0) throw new KwsError('INVALID_ARGUMENT', `${options.dir} holds no WAV files to pseudo-label`);
  const loaded = await loadVersion(registry, options.from);
  const kept: Array<{ path: string; label: Label; confidence: number }> = [];
  let failed = 0;
  try {
    const { extractor, thresholds } = loaded;
    for (let start = 0; start < files.length; start += PSEUDO_LABEL_BATCH) {
      const clips: Array<{ path: string; clip: Float32Array }> = [];
      for (const path of files.slice(start, start + PSEUDO_LABEL_BATCH)) {
        try {
          const decoded = await decodeAudio(await readRegularFile(path));
          clips.push({ path, clip: fitToLength(decoded.samples, extractor.config.clipSamples) });
        } catch {
          failed++;
        }
      }
      if (clips.length === 0) continue;
      // As the version answers: its temperature and, for a version calibrated with TTA, its views.
      const out = await loaded.predictClips(clips.map((c) => c.clip));
      clips.forEach(({ path, clip }, k) => {
        const shape = signalShape(clip, extractor.config.sampleRateHz);
        const d = decide(
          out.probabilities,
          rmsDbfs(clip),
          thresholds,
          k * LABELS.length,
          out.energy[k] ?? Number.NaN,
          shape,
        );
        if (d.reason === 'MODEL' && d.confidence >= confidence)
          kept.push({ path, label: d.label, confidence: d.confidence });
      });
    }
  } finally {
    await loaded.dispose();
  }
  const confident = perLabel((label) => kept.filter((k) => k.label === label).length);
  const cap = perLabel((label) => max ?? caps[label]);
  const examples: WordExample[] = [];
  for (const label of LABELS)
    examples.push(
      ...kept
        .filter((k) => k.label === label)
        .sort((a, b) => b.confidence - a.confidence || (a.path < b.path ? -1 : 1))
        .slice(0, cap[label])
        .map((k) => ({
          kind: 'word' as const,
          path: k.path,
          relativePath: `_pseudo_/${basename(k.path)}`,
          word: '_pseudo_',
          label,
          speaker: null,
          split: 'training' as const,
        })),
    );
  const added = perLabel((label) => examples.filter((e) => e.label === label).length);
  return {
    examples,
    report: {
      dir: options.dir,
      from: loaded.manifest.version,
      confidence,
      candidates: files.length,
      failed,
      confident,
      cap,
      added,
    },
  };
}
