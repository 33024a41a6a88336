import wavEncoder from '@audio/encode-wav';

/**
 * Encodes a mono signal as a 16-bit PCM WAV (44-byte header) with `@audio/encode-wav`, the
 * encoder of the decoder family used here. Samples are clamped to [-1, 1] and scaled by 32767.
 *
 * @param samples Mono `[frames]` in [-1, 1].
 * @param sampleRateHz Sample rate written to the header, Hz.
 * @returns The whole file.
 */
export async function encodeWavPcm16(samples: Float32Array, sampleRateHz: number): Promise<Uint8Array> {
  const encoder = await wavEncoder({ sampleRate: sampleRateHz, bitDepth: 16 });
  encoder.encode([samples]);
  const bytes = encoder.flush();
  encoder.free();
  return bytes;
}
