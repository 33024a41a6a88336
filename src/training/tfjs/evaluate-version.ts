import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { rmsDbfs } from '../../audio/index.js';
import { ExampleLoader, readRegularFile, scanSpeechCommands } from '../../data/index.js';
import { isLabel, labelIndex, LABELS } from '../../labels/index.js';
import type { Label } from '../../labels/index.js';
import { KwsError, fromFsError } from '../../errors/index.js';
import { decide } from '../../inference/index.js';
import type { DecisionReason, Thresholds } from '../../inference/index.js';
import type { ModelRegistry } from '../../registry/index.js';
import { computeMetrics } from '../metrics.js';
import { clipShapeAt, loadClipFile, loadClipSet } from '../clip-cache.js';
import { predictClipSet } from './trainer.js';
import { trustMetrics } from '../trust.js';
import { atTemperature } from '../../engine/index.js';
import type { ClipSet } from '../clip-cache.js';
import type { EvaluationMetrics } from '../../registry/index.js';
import { loadVersion } from './load-version.js';

/** A confidently wrong clip. */
export interface HardExample {
  readonly id: string;
  readonly label: Label;
  readonly predicted: Label;
  readonly rawLabel: Label;
  readonly confidence: number;
  readonly reason: DecisionReason;
}

/** What {@link evaluateVersion} reports (`kws eval --json`). */
export interface EvaluationReport extends EvaluationMetrics {
  readonly modelVersion: number;
  readonly source: 'speech-commands-testing' | 'kaggle-labels';
  readonly hardExamples: readonly HardExample[];
}

async function kaggleClipSet(dir: string, clipSamples: number): Promise<ClipSet> {
  let rows: Array<{ fname?: string; label?: string }>;
  try {
    rows = parse(await readRegularFile(join(dir, 'labels.csv')), {
      columns: true,
      skip_empty_lines: true,
      trim: true,
    }) as Array<{ fname?: string; label?: string }>;
  } catch (error) {
    if (error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('CSV_'))
      throw new KwsError('MALFORMED', `${join(dir, 'labels.csv')}: ${error.message}`);
    if (error instanceof KwsError) throw error;
    throw fromFsError(error, join(dir, 'labels.csv'), 'read');
  }
  const samples = new Int16Array(rows.length * clipSamples);
  const labels = new Int32Array(rows.length);
  const levels = new Float32Array(rows.length);
  const ids: string[] = [];
  for (const [i, row] of rows.entries()) {
    if (row.fname === undefined || row.label === undefined || !isLabel(row.label)) {
      throw new KwsError(
        'MALFORMED',
        `labels.csv row ${i + 2} needs fname and one of the 12 labels, got ${JSON.stringify(row)}`,
      );
    }
    if (row.fname.includes('/') || row.fname.includes('\\') || row.fname === '..' || row.fname === '.')
      throw new KwsError(
        'MALFORMED',
        `labels.csv row ${i + 2}: fname must be a file name in audio/, got ${JSON.stringify(row.fname)}`,
      );
    const clip = await loadClipFile(join(dir, 'audio', row.fname), `audio/${row.fname}`, clipSamples);
    for (let j = 0; j < clipSamples; j++) samples[i * clipSamples + j] = Math.round((clip[j] as number) * 32767);
    labels[i] = labelIndex(row.label);
    levels[i] = rmsDbfs(clip);
    ids.push(row.fname);
  }
  return { samples, clipSamples, labels, rmsDbfs: levels, ids, size: rows.length };
}

/**
 * The labelled clips of `dir`, decoded and fitted to `clipSamples`: a Kaggle-layout folder
 * (`audio/*.wav` named by `labels.csv`, columns `fname,label`), else a Speech Commands dataset's
 * testing split (the v0.02 test-set layout is all testing).
 *
 * @throws KwsError `INVALID_ARGUMENT` when there is no labelled clip; `MALFORMED` for a bad
 *   labels.csv; AudioDecodeError naming a clip that does not decode.
 */
export async function loadLabelledSet(
  dir: string,
  clipSamples: number,
): Promise<{ set: ClipSet; source: EvaluationReport['source'] }> {
  const kaggle = existsSync(join(dir, 'labels.csv')) && existsSync(join(dir, 'audio'));
  let set: ClipSet;
  if (kaggle) {
    set = await kaggleClipSet(dir, clipSamples);
  } else {
    const dataset = await scanSpeechCommands(dir);
    set = await loadClipSet(dataset.examples.testing, await ExampleLoader.create(dataset, clipSamples), clipSamples);
  }
  if (set.size === 0) throw new KwsError('INVALID_ARGUMENT', `${dir} has no labelled clips to score`);
  return { set, source: kaggle ? 'kaggle-labels' : 'speech-commands-testing' };
}

/**
 * Scores a ready model version the way the challenge does (12-class accuracy), with per-class
 * precision/recall/F1, the confusion matrix, the trust figures (ECE, reliability, OOD separation of
 * commands from unknown and silence clips; see `trustMetrics`) and the 20 most confidently wrong
 * clips, with the version's temperature and calibrated thresholds (or `thresholds`). `dir` is a Speech Commands dataset (its testing split; the
 * v0.02 test-set layout is all testing) or a Kaggle-layout folder with `audio/*.wav` and `labels.csv`.
 *
 * @throws KwsError `INVALID_ARGUMENT` when there is nothing to score.
 */
export async function evaluateVersion(
  registry: ModelRegistry,
  dir: string,
  ref?: number | string,
  thresholds?: Thresholds,
): Promise<EvaluationReport> {
  const loaded = await loadVersion(registry, ref);
  try {
    const { set, source } = await loadLabelledSet(dir, loaded.extractor.config.clipSamples);
    const temperature = loaded.manifest.calibration.temperature ?? 1;
    // As serving answers: at the version's temperature, averaged over its TTA views when it has them.
    const { probabilities, energy } =
      loaded.tta === null
        ? atTemperature(await predictClipSet(loaded.raw, set, loaded.extractor), set.size, LABELS.length, temperature)
        : await predictClipSet(loaded.predict, set, loaded.extractor, loaded.tta);
    const decisions = Array.from({ length: set.size }, (_, i) =>
      decide(
        probabilities,
        set.rmsDbfs[i] as number,
        thresholds ?? loaded.thresholds,
        i * LABELS.length,
        energy[i] as number,
        clipShapeAt(set, i, loaded.extractor.config.sampleRateHz),
      ),
    );
    const metrics = computeMetrics(
      set.labels,
      Int32Array.from(decisions, (d) => labelIndex(d.label)),
    );
    const hardExamples = decisions
      .map((d, i) => ({
        id: set.ids[i] as string,
        label: LABELS[set.labels[i] as number] as Label,
        predicted: d.label,
        rawLabel: d.rawLabel,
        confidence: d.confidence,
        reason: d.reason,
      }))
      .filter((h) => h.predicted !== h.label)
      .sort((a, b) => b.confidence - a.confidence)
      .slice(0, 20);
    const trust = trustMetrics({ probabilities, energy, size: set.size }, set.labels, temperature);
    return {
      ...metrics,
      trust,
      modelVersion: loaded.manifest.version,
      source,
      hardExamples,
    };
  } finally {
    await loaded.dispose();
  }
}
