import { readFile } from 'node:fs/promises';
import { decodeAudio, fitToLength, rmsDbfs } from '../audio/index.js';
import type { TtaSpec } from '../engine/index.js';
import { signalShape } from '../features/index.js';
import type { SignalShape } from '../features/index.js';
import { LABELS } from '../labels/index.js';
import type { Label } from '../labels/index.js';
import { fromFsError, toSerializedError } from '../errors/index.js';
import type { DecisionReason, Thresholds } from '../inference/index.js';
import { probabilitiesByLabel, thresholdsJson, toPredictionView } from './prediction-view.js';
import type { ThresholdsJson } from './prediction-view.js';
import type { LoadedVersion } from '../training/tfjs/index.js';

/** The prediction for one file (`kws classify --json`). */
export interface FilePrediction {
  readonly file: string;
  readonly ok: true;
  readonly label: Label;
  readonly rawLabel: Label;
  readonly confidence: number;
  /** All 12 softmax probabilities by label. */
  readonly probabilities: Readonly<Record<Label, number>>;
  readonly isSilence: boolean;
  readonly isUnknown: boolean;
  readonly reason: DecisionReason;
  readonly rmsDbfs: number;
  /** Tonality of the clip (`SignalShape.peakConcentration`), 0 to 1. */
  readonly peakConcentration: number;
  /** Spectral stationarity of the clip (`SignalShape.stationarity`), 0 to 1. */
  readonly stationarity: number;
  /** Energy score -logsumexp(logits) (Liu et al. 2020); null when the model has no logits layer. */
  readonly energy: number | null;
  readonly modelVersion: number;
  /** The test-time augmentation averaged over (`describeTta`); null: the clip alone. */
  readonly tta: string | null;
  /** For a version trained on every word, the most probable word (of the clip as it is); null otherwise. */
  readonly topWord: string | null;
  /** The thresholds the answer applied, as REST shows them (`thresholds` of `POST /v1/clips`). */
  readonly thresholds: ThresholdsJson;
}

/** A file that could not be classified. */
export interface FileFailure {
  readonly file: string;
  readonly ok: false;
  readonly code: string;
  readonly message: string;
}

/**
 * Classifies audio files with a loaded version: decode, fit to 1 s, the version's features, softmax,
 * then the thresholds (the version's calibrated ones unless `thresholds` overrides them). With
 * `tta` (default the version's own, null for none), each clip's probabilities and energy are the
 * mean over its `ttaViews`, as the server's.
 * Files are scored in one batch; a file that fails to read or decode gets a {@link FileFailure}.
 */
export async function classifyFiles(
  files: readonly string[],
  loaded: LoadedVersion,
  thresholds: Thresholds = loaded.thresholds,
  tta: TtaSpec | null = loaded.tta,
): Promise<Array<FilePrediction | FileFailure>> {
  const { extractor, manifest } = loaded;
  const results: Array<FilePrediction | FileFailure | null> = [];
  const clips: Float32Array[] = [];
  const levels: number[] = [];
  const shapes: SignalShape[] = [];
  const slots: number[] = [];
  for (const file of files) {
    try {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(file);
      } catch (error) {
        throw fromFsError(error, file, 'read');
      }
      const clip = fitToLength((await decodeAudio(bytes)).samples, extractor.config.clipSamples);
      slots.push(results.length);
      clips.push(clip);
      levels.push(rmsDbfs(clip));
      shapes.push(signalShape(clip, extractor.config.sampleRateHz));
      results.push(null);
    } catch (error) {
      const { code, message } = toSerializedError(error);
      results.push({ file, ok: false, code, message });
    }
  }
  if (clips.length > 0) {
    const out = await loaded.predictClips(clips, tta);
    const { probabilities, energy } = out;
    const vocabulary = manifest.words?.vocabulary;
    clips.forEach((_, k) => {
      const slot = slots[k] as number;
      const stored = {
        probabilities: probabilities.subarray(k * LABELS.length, (k + 1) * LABELS.length),
        rmsDbfs: levels[k] as number,
        shape: shapes[k] ?? null,
        energy: energy[k] as number,
        modelVersion: manifest.version,
        latencyMs: 0,
        tta,
        topWord:
          vocabulary === undefined || out.topWord === undefined ? null : (vocabulary[out.topWord[k] as number] ?? null),
      };
      const view = toPredictionView(stored, thresholds);
      const { label, rawLabel, confidence, isSilence, isUnknown, reason, rmsDbfs, energy: score, modelVersion } = view;
      const { peakConcentration, stationarity } = shapes[k] as SignalShape;
      results[slot] = {
        file: files[slot] as string,
        ok: true,
        label,
        rawLabel,
        confidence,
        probabilities: probabilitiesByLabel(view),
        isSilence,
        isUnknown,
        reason,
        rmsDbfs,
        peakConcentration,
        stationarity,
        energy: score,
        modelVersion,
        tta: view.tta,
        topWord: view.topWord,
        thresholds: thresholdsJson(thresholds),
      };
    });
  }
  return results as Array<FilePrediction | FileFailure>;
}
