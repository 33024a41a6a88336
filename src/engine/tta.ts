import { describeValue, KwsError } from '../errors/index.js';
import type { ModelOutput } from './model-output.js';

/**
 * Test-time augmentation: each clip is scored as it is and under each transform, and the
 * probabilities (and energy scores) are averaged. The transforms are those the Kaggle challenge's
 * first place used (its clips shifted in time and made louder): `shiftsMs` moves the clip later
 * (positive) or earlier (negative), filling with silence; `gainsDb` scales it, clipped to [-1, 1].
 */
export interface TtaSpec {
  /** Time shifts, ms, each in [-500, 500] and not 0. */
  readonly shiftsMs: readonly number[];
  /** Gains, dB, each in [-30, 30] and not 0. */
  readonly gainsDb: readonly number[];
}

/** The default set (`kws score --tta`): the clip as it is, 100 ms earlier, 100 ms later, and 6 dB louder. */
export const DEFAULT_TTA: TtaSpec = Object.freeze({ shiftsMs: [-100, 100], gainsDb: [6] });

/** Most transforms a spec may hold (the cost of scoring grows with 1 + transforms). */
export const MAX_TTA_TRANSFORMS = 8;

/**
 * Checks a spec.
 *
 * @throws KwsError `INVALID_ARGUMENT` naming the bad value: a shift or gain out of range or 0, or
 *   more than {@link MAX_TTA_TRANSFORMS} transforms.
 */
export function validateTta(spec: TtaSpec): TtaSpec {
  for (const shift of spec.shiftsMs)
    if (!Number.isFinite(shift) || shift === 0 || Math.abs(shift) > 500)
      throw new KwsError(
        'INVALID_ARGUMENT',
        `a TTA shift must be from -500 to 500 ms and not 0, got ${describeValue(shift)}`,
      );
  for (const gain of spec.gainsDb)
    if (!Number.isFinite(gain) || gain === 0 || Math.abs(gain) > 30)
      throw new KwsError(
        'INVALID_ARGUMENT',
        `a TTA gain must be from -30 to 30 dB and not 0, got ${describeValue(gain)}`,
      );
  const transforms = spec.shiftsMs.length + spec.gainsDb.length;
  if (transforms === 0 || transforms > MAX_TTA_TRANSFORMS)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `TTA needs 1 to ${MAX_TTA_TRANSFORMS} transforms, got ${transforms} (${spec.shiftsMs.length} shifts, ${spec.gainsDb.length} gains)`,
    );
  return { shiftsMs: [...spec.shiftsMs], gainsDb: [...spec.gainsDb] };
}

/** Views per clip: the clip itself and one per transform. */
export function ttaViewCount(spec: TtaSpec | null | undefined): number {
  return spec === null || spec === undefined ? 1 : 1 + spec.shiftsMs.length + spec.gainsDb.length;
}

/**
 * The views of one clip under `spec`: `[clip, shifted..., louder...]`, each as long as `clip`.
 *
 * @param clip Samples in [-1, 1] at `sampleRateHz`.
 */
export function ttaViews(clip: Float32Array, spec: TtaSpec, sampleRateHz: number): Float32Array[] {
  const views = [clip];
  for (const ms of spec.shiftsMs) {
    const shift = Math.round((ms * sampleRateHz) / 1000);
    const view = new Float32Array(clip.length);
    if (shift > 0) view.set(clip.subarray(0, Math.max(0, clip.length - shift)), Math.min(shift, clip.length));
    else view.set(clip.subarray(Math.min(-shift, clip.length)));
    views.push(view);
  }
  for (const db of spec.gainsDb) {
    const gain = 10 ** (db / 20);
    views.push(clip.map((v) => Math.max(-1, Math.min(1, v * gain))));
  }
  return views;
}

/** A spec as one line for logs and job records, e.g. `shifts -100, 100 ms; gains 6 dB`. */
export function describeTta(spec: TtaSpec): string {
  const shifts = spec.shiftsMs.length === 0 ? 'no shifts' : `shifts ${spec.shiftsMs.join(', ')} ms`;
  const gains = spec.gainsDb.length === 0 ? 'no gains' : `gains ${spec.gainsDb.join(', ')} dB`;
  return `${shifts}; ${gains}`;
}

/**
 * The mean over each clip's `views` consecutive rows of the probabilities (calibrated, so the mean
 * is a probability) and of the energy scores; the output as it is for one view.
 *
 * @param out `[clips · views, classes]` probabilities and `[clips · views]` energies, clip k's views at rows k·views ..< (k + 1)·views.
 * @returns `[clips, classes]` probabilities and `[clips]` energies; no logits.
 */
export function averageViews(out: ModelOutput, views: number, classes: number): ModelOutput {
  if (views === 1) return out;
  const clips = out.energy.length / views;
  const probabilities = new Float32Array(clips * classes);
  const energy = new Float32Array(clips);
  for (let k = 0; k < clips; k++)
    for (let v = 0; v < views; v++) {
      const row = k * views + v;
      energy[k] = (energy[k] as number) + (out.energy[row] as number) / views;
      for (let c = 0; c < classes; c++)
        probabilities[k * classes + c] =
          (probabilities[k * classes + c] as number) + (out.probabilities[row * classes + c] as number) / views;
    }
  return { probabilities, energy, logits: null };
}
