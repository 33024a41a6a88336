import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { decodeAudio, fitToLength } from '../../src/audio/index.js';
import { realDataDir } from '../helpers/signals.js';

function listWavs(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listWavs(path);
    return name.endsWith('.wav') ? [path] : [];
  });
}

describe('real Speech Commands recordings (../shared/data/real)', () => {
  const root = realDataDir();
  const files = listWavs(root).sort();

  it('finds the 2,147 recordings that SOURCES.md lists', () => {
    assert.equal(files.length, 2147);
  });

  it('decodes every clip to mono 16 kHz and fits it to 16000 samples; only the background-noise files exceed 10 s', async () => {
    const tooLong: string[] = [];
    let shortClips = 0;
    for (const file of files) {
      const bytes = readFileSync(file);
      let decoded;
      try {
        decoded = await decodeAudio(bytes);
      } catch (error) {
        assert.equal(
          (error as { code?: string }).code,
          'TOO_LONG',
          `${relative(root, file)}: ${(error as Error).message}`,
        );
        tooLong.push(relative(root, file));
        decoded = await decodeAudio(bytes, { maxDurationMs: 120_000 });
      }
      assert.equal(decoded.sampleRateHz, 16_000);
      assert.equal(decoded.info.sourceSampleRateHz, 16_000, file);
      assert.equal(decoded.info.channels, 1, file);
      if (decoded.samples.length < 16_000) shortClips++;
      assert.equal(fitToLength(decoded.samples, 16_000).length, 16_000);
    }
    assert.deepEqual(tooLong.map((f) => f.split('/').pop()).sort(), [
      'doing_the_dishes.wav',
      'doing_the_dishes.wav',
      'dude_miaowing.wav',
      'exercise_bike.wav',
      'pink_noise.wav',
      'running_tap.wav',
      'white_noise.wav',
    ]);
    // Clips under 16000 frames, counted independently with Python's `wave` module: 29 (v0.01 and sc09
    // clips of 0.70-0.99 s, and the two 30 ms micro_speech slices).
    assert.equal(shortClips, 29);
  });

  it('reads the double-extension _unknown_ files and the near-silent clip 1050.wav', async () => {
    const unknownDir = join(root, 'pico-testset-v0.02/_unknown_');
    const doubled = readdirSync(unknownDir).filter((n) => n.endsWith('.wav.wav'));
    assert.equal(doubled.length, 150);
    const silent = await decodeAudio(readFileSync(join(root, 'pico-testset-v0.02/_silence_/1050.wav')));
    assert.ok(silent.info.rmsDbfs < -70, `1050.wav at ${silent.info.rmsDbfs} dBFS`);
  });
});
