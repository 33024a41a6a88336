/** Floor reported for digital silence, dBFS: 20·log10 of one 24-bit LSB is about -138; -120 keeps JSON finite. */
export const SILENCE_FLOOR_DBFS = -120;

/**
 * Root-mean-square level of a signal in dBFS: 20·log10(RMS), where a full-scale square wave
 * (every sample ±1) is 0 dBFS and a full-scale sine is -3.01 dBFS. Digital silence and empty
 * input return {@link SILENCE_FLOOR_DBFS}.
 *
 * @param samples Float samples in [-1, 1], any length.
 * @returns Level in dBFS, at least {@link SILENCE_FLOOR_DBFS}.
 */
export function rmsDbfs(samples: Float32Array): number {
  if (samples.length === 0) return SILENCE_FLOOR_DBFS;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] as number;
    sum += v * v;
  }
  const rms = Math.sqrt(sum / samples.length);
  return rms > 0 ? Math.max(SILENCE_FLOOR_DBFS, 20 * Math.log10(rms)) : SILENCE_FLOOR_DBFS;
}
