import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ModelRegistry } from '../../src/registry/index.js';
import { writeOodSet } from '../../src/synth/index.js';
import { evaluateOodSet } from '../../src/training/tfjs/index.js';
import type { VersionManifest } from '../../src/registry/index.js';
import type { OodEvaluationReport } from '../../src/training/tfjs/index.js';
import { BUNDLED_MODELS, BUNDLED_PRODUCTION } from '../helpers/models.js';
import { realDataDir, tempDir } from '../helpers/signals.js';

describe('evaluateOodSet (kws eval on an OOD set)', () => {
  const dir = join(tempDir('kws-ood-eval-'), 'set');
  let report: OodEvaluationReport;
  before(async () => {
    // 3 OOV words x 2 voices, 10 sound-alikes, 13 non-speech, 4 real noise, 12 words x 2 voices; eSpeak NG only.
    await writeOodSet({
      outDir: dir,
      seed: 3,
      oovWords: 3,
      oovVoicesPerWord: 2,
      soundalikesPerCommand: 1,
      soundalikeVoicesPerWord: 1,
      nonSpeechPerKind: 1,
      realNoiseClips: 4,
      heldOutVoices: 2,
      heldOutUnknownWords: 2,
      realNoiseDir: join(realDataDir(), 'wids-tutorial', '_background_noise_'),
      picoLingwareDir: null,
    });
    const registry = ModelRegistry.open(BUNDLED_MODELS, { inMemoryIndex: true });
    try {
      report = await evaluateOodSet(registry, dir);
    } finally {
      registry.close();
    }
  });

  it('reports every part with its clip count, answers and groups that add up', () => {
    // The production version of the bundled repository, at its calibrated temperature.
    const production = JSON.parse(
      readFileSync(join(BUNDLED_MODELS, String(BUNDLED_PRODUCTION), 'version.json'), 'utf8'),
    ) as VersionManifest;
    assert.equal(report.modelVersion, BUNDLED_PRODUCTION);
    assert.equal(report.temperature, production.calibration.temperature ?? 1);
    assert.deepEqual(
      report.parts.map((p) => [p.part, p.clips]),
      [
        ['oov', 6],
        ['soundalike', 10],
        ['non-speech', 13],
        ['real-noise', 4],
        ['held-out-voices', 24],
      ],
    );
    for (const part of report.parts) {
      assert.equal(
        Object.values(part.answers).reduce((n, c) => n + (c ?? 0), 0),
        part.clips,
        part.part,
      );
      assert.equal(
        Object.values(part.groups).reduce((n, g) => n + g.clips, 0),
        part.clips,
        part.part,
      );
      assert.ok(part.correct >= 0 && part.correct <= 1 && part.commandRate >= 0 && part.commandRate <= 1, part.part);
    }
    assert.deepEqual(Object.keys(report.parts[0]?.groups ?? {}), ['espeak-ng']);
    assert.equal(Object.keys(report.parts[2]?.groups ?? {}).length, 13, 'one group per non-speech kind');
  });

  it('scores an OOV or sound-alike clip right only when answered unknown, and non-speech unless a command', () => {
    for (const part of report.parts.filter((p) => p.part === 'oov' || p.part === 'soundalike'))
      assert.equal(part.correct, (part.answers.unknown ?? 0) / part.clips, part.part);
    const nonSpeech = report.parts.find((p) => p.part === 'non-speech');
    assert.ok(nonSpeech !== undefined);
    assert.ok(Math.abs(nonSpeech.correct + nonSpeech.commandRate - 1) < 1e-12);
    assert.equal(
      nonSpeech.correct,
      ((nonSpeech.answers.unknown ?? 0) + (nonSpeech.answers.silence ?? 0)) / nonSpeech.clips,
    );
  });

  it('says how many answers the non-speech rule made: some of version 1’s to tones and the like, none to a spoken clip', async () => {
    const registry = ModelRegistry.open(BUNDLED_MODELS, { inMemoryIndex: true });
    let v1: OodEvaluationReport;
    try {
      v1 = await evaluateOodSet(registry, dir, 1);
    } finally {
      registry.close();
    }
    for (const r of [report, v1])
      for (const part of r.parts) {
        assert.ok(part.nonSpeechRate >= 0 && part.nonSpeechRate <= 1 - part.commandRate, part.part);
        if (part.part === 'oov' || part.part === 'soundalike' || part.part === 'held-out-voices')
          assert.equal(part.nonSpeechRate, 0, `version ${r.modelVersion}: ${part.part}`);
      }
    // Version 1's model answers a tone, a sweep or a square wave with a command; the rule turns it unknown.
    const nonSpeech = v1.parts.find((p) => p.part === 'non-speech');
    assert.ok((nonSpeech?.nonSpeechRate ?? 0) > 0, JSON.stringify(nonSpeech?.groups));
    const tonal = ['tone', 'chirp', 'beeps', 'square', 'sawtooth'].filter(
      (g) => nonSpeech?.groups[g]?.nonSpeechRate === 1,
    );
    assert.ok(tonal.length > 0, JSON.stringify(nonSpeech?.groups));
  });

  it('compares the held-out command clips with every other part, per unknown rule', () => {
    for (const part of report.parts) {
      if (part.part === 'held-out-voices') assert.equal(part.rejection, null);
      else
        assert.deepEqual(
          part.rejection?.map((r) => [r.score, r.examples]),
          [
            ['maxSoftmax', part.clips],
            ['energy', part.clips],
          ],
          part.part,
        );
    }
  });

  it('names a folder without a manifest, and one without any part', async () => {
    const registry = ModelRegistry.open(BUNDLED_MODELS, { inMemoryIndex: true });
    try {
      const empty = tempDir('kws-ood-empty-');
      await assert.rejects(evaluateOodSet(registry, empty), { code: 'FILE_NOT_FOUND' });
      writeFileSync(join(empty, 'manifest.json'), '{"voices": []}');
      await assert.rejects(evaluateOodSet(registry, empty), {
        code: 'INVALID_ARGUMENT',
        message: /has no clips in any part of an OOD set/,
      });
      writeFileSync(join(empty, 'manifest.json'), '{');
      await assert.rejects(evaluateOodSet(registry, empty), {
        code: 'MALFORMED',
        message: /manifest\.json is not valid JSON/,
      });
      rmSync(empty, { recursive: true, force: true });
    } finally {
      registry.close();
    }
  });
});
