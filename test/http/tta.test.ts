import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeAudio, fitToLength } from '../../src/audio/index.js';
import { DEFAULT_TTA, ttaViews } from '../../src/engine/index.js';
import { LABELS } from '../../src/labels/index.js';
import { ModelRegistry } from '../../src/registry/index.js';
import { loadVersion } from '../../src/training/tfjs/index.js';
import { runKws } from '../helpers/cli.js';
import { clipForm, graphql, graphqlUpload, testServer } from '../helpers/server.js';
import { realDataDir } from '../helpers/signals.js';

interface RestPrediction {
  label: string;
  modelVersion: number;
  probabilities: Record<string, number>;
  energy: number | null;
  tta: string | null;
}

describe('test-time augmentation per request (REST ?tta=true, GraphQL classifyClips(tta: true), kws classify --tta)', () => {
  // A real "left" of 0.8 s or so: the shifts move its word inside the 1 s window.
  const file = join(realDataDir(), 'pico-testset-v0.02', 'left', '022cd682_nohash_0.wav');
  const bytes = readFileSync(file);
  let server: Awaited<ReturnType<typeof testServer>>;

  before(async () => {
    server = await testServer();
  });
  after(() => server.stop());

  const rest = async (
    query: string,
  ): Promise<{ status: number; body: { clips: Array<{ id: string; prediction: RestPrediction }> } }> => {
    const response = await fetch(`${server.url}/v1/clips${query}`, {
      method: 'POST',
      body: clipForm([{ name: 'left.wav', bytes }]),
    });
    return { status: response.status, body: (await response.json()) as never };
  };

  it('answers the mean of the clip and its DEFAULT_TTA views, the same over REST, GraphQL and the CLI, and stores the clip’s own prediction', async () => {
    const plain = (await rest('')).body.clips[0]!.prediction;
    const answered = await rest('?tta=true');
    assert.equal(answered.status, 200);
    const tta = answered.body.clips[0]!.prediction;
    assert.equal(plain.tta, null);
    assert.equal(tta.tta, 'shifts -100, 100 ms; gains 6 dB');
    assert.equal(tta.modelVersion, plain.modelVersion);
    // The mean over the four views, each run alone through the version.
    const registry = ModelRegistry.open(join(server.dataDir, 'models'));
    const loaded = await loadVersion(registry, tta.modelVersion);
    try {
      const clip = fitToLength((await decodeAudio(bytes)).samples, loaded.extractor.config.clipSamples);
      const views = ttaViews(clip, DEFAULT_TTA, 16_000);
      assert.equal(views.length, 4);
      const outputs = await Promise.all(views.map((v) => loaded.predict(loaded.extractor.compute(v), 1)));
      LABELS.forEach((label, c) => {
        const mean = outputs.reduce((a, o) => a + o.probabilities[c]!, 0) / 4;
        assert.ok(
          Math.abs(tta.probabilities[label]! - mean) < 1e-4,
          `${label}: ${tta.probabilities[label]} against ${mean}`,
        );
      });
      const energy = outputs.reduce((a, o) => a + o.energy[0]!, 0) / 4;
      assert.ok(Math.abs(tta.energy! - energy) < 1e-3);
    } finally {
      await loaded.dispose();
      registry.close();
    }
    assert.ok(
      Math.abs(tta.energy! - plain.energy!) > 0.01,
      `the views change the answer: ${tta.energy} ${plain.energy}`,
    );
    // GraphQL: the same answer; the clip's stored prediction is its own, not the TTA mean.
    const uploaded = await graphqlUpload(
      server.url,
      'mutation ($files: [Upload!]!) { classifyClips(files: $files, tta: true) { clip { id } prediction { label tta probabilities { label probability } } } }',
      [{ name: 'left.wav', bytes }],
    );
    assert.equal(uploaded.errors, undefined, JSON.stringify(uploaded.errors));
    const row = (
      uploaded.data?.['classifyClips'] as Array<{
        clip: { id: string };
        prediction: { label: string; tta: string; probabilities: Array<{ label: string; probability: number }> };
      }>
    )[0]!;
    assert.equal(row.prediction.tta, tta.tta);
    assert.equal(row.prediction.label, tta.label);
    for (const { label, probability } of row.prediction.probabilities)
      assert.ok(Math.abs(probability - tta.probabilities[label]!) < 1e-6, label);
    const stored = await graphql(
      server.url,
      `{ clip(id: "${row.clip.id}") { prediction { tta probabilities { label probability } } } }`,
    );
    const storedPrediction = (
      stored.data?.['clip'] as {
        prediction: { tta: string | null; probabilities: Array<{ label: string; probability: number }> };
      }
    ).prediction;
    assert.equal(storedPrediction.tta, null);
    for (const { label, probability } of storedPrediction.probabilities)
      assert.ok(Math.abs(probability - plain.probabilities[label]!) < 1e-6, label);
    // The CLI (TF.js in process) agrees with the server (onnxruntime).
    const cli = await runKws(
      'classify',
      file,
      '--tta',
      '--json',
      '--model',
      String(tta.modelVersion),
      '--models-dir',
      join(server.dataDir, 'models'),
      '--data-dir',
      server.dataDir,
    );
    assert.equal(cli.status, 0, cli.stderr);
    const printed = JSON.parse(cli.stdout) as RestPrediction;
    assert.equal(printed.tta, tta.tta);
    for (const label of LABELS)
      assert.ok(Math.abs(printed.probabilities[label]! - tta.probabilities[label]!) < 1e-4, label);
  });

  it('refuses a tta parameter that is not true or false, naming it, before any work', async () => {
    const refused = await rest('?tta=yes');
    assert.equal(refused.status, 400);
    assert.deepEqual((refused.body as unknown as { error: unknown }).error, {
      code: 'INVALID_ARGUMENT',
      message: 'query parameter tta must be true or false, got "yes"',
    });
  });
});
