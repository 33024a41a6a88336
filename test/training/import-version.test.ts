import assert from 'node:assert/strict';
import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { openModelSession } from '../../src/engine/index.js';
import { LABELS } from '../../src/labels/index.js';
import { ModelRegistry } from '../../src/registry/index.js';
import type { VersionManifest } from '../../src/registry/index.js';
import {
  averageVersions,
  calibrateVersion,
  createEnsemble,
  evaluateVersion,
  importVersion,
  loadVersion,
  trainVersion,
} from '../../src/training/tfjs/index.js';
import { lines, runKws, spawnKwsAsync } from '../helpers/cli.js';
import { kaggleFolder } from '../helpers/kaggle.js';
import { BUNDLED_VERSIONS, FIRST_NEW_VERSION, modelRepository } from '../helpers/models.js';
import { clipForm, graphql, graphqlUpload, testServer } from '../helpers/server.js';
import { realDataDir, tempDir } from '../helpers/signals.js';

const { onnx } = onnxProto;
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'pytorch-kws');
const MODEL = join(FIXTURE, 'model.onnx');
const MODEL_LABELS = readFileSync(join(FIXTURE, 'labels.txt'), 'utf8').trim().split('\n');

describe('importVersion (kws import): a PyTorch model exported to ONNX', () => {
  const models = modelRepository();
  const calibration = kaggleFolder(3); // 36 real clips
  let registry: ModelRegistry;
  let imported: number;

  before(async () => {
    registry = ModelRegistry.open(models);
    const made = await importVersion(registry, {
      file: MODEL,
      features: { type: 'log-mel' },
      labels: MODEL_LABELS,
      dataDir: calibration.dir,
    });
    imported = made.record.version;
  });
  after(() => registry.close());

  it('registers model.onnx and version.json, architecture imported, naming the file and what was found', () => {
    assert.equal(imported, FIRST_NEW_VERSION);
    const dir = registry.resolve(imported).dir;
    assert.deepEqual(readdirSync(dir).sort(), ['model.onnx', 'version.json']);
    const manifest = JSON.parse(readFileSync(join(dir, 'version.json'), 'utf8')) as VersionManifest;
    assert.equal(manifest.architecture, 'imported');
    assert.deepEqual(manifest.labels, [...LABELS]);
    const { sha256, ...spec } = manifest.imported!;
    assert.match(sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(spec, {
      source: 'model.onnx',
      bytes: readFileSync(MODEL).byteLength,
      opset: 13,
      inputName: 'spectrogram',
      inputShape: [null, 1, 98, 40],
      layout: 'channel-frames-bins',
      outputName: 'logits',
      reordered: true,
      output: 'logits',
      modelLabels: MODEL_LABELS,
    });
    assert.equal(manifest.metrics.validation.examples, 36);
    assert.equal(manifest.metrics.testing, null);
    assert.equal(registry.list().find((r) => r.version === imported)?.architecture, 'imported');
  });

  it('serves softmax(logits / T) of the original model, classes in kws-serve order, with the energy score', async () => {
    const loaded = await loadVersion(registry, imported);
    try {
      assert.equal(loaded.model, null);
      const temperature = loaded.manifest.calibration.temperature ?? 1;
      const x = Float32Array.from({ length: 2 * 98 * 40 }, (_, i) => Math.sin(i / 7) * 4 - 6);
      const served = await loaded.predict(x, 2);
      const session = await ort.InferenceSession.create(MODEL);
      const z = (await session.run({ spectrogram: new ort.Tensor('float32', x, [2, 1, 98, 40]) }))['logits']!
        .data as Float32Array;
      await session.release();
      for (let r = 0; r < 2; r++) {
        const row = LABELS.map((label) => z[r * 12 + MODEL_LABELS.indexOf(label)]! / temperature);
        const top = Math.max(...row);
        const sum = row.reduce((a, v) => a + Math.exp(v - top), 0);
        row.forEach((v, c) => assert.ok(Math.abs(served.probabilities[r * 12 + c]! - Math.exp(v - top) / sum) < 1e-5));
        const energy = -(Math.log(sum) + top) * temperature; // the energy score is at T = 1
        assert.ok(Math.abs(served.energy[r]! - energy) < 1e-3, `${served.energy[r]} against ${energy}`);
      }
    } finally {
      await loaded.dispose();
    }
  });

  it('is evaluated and recalibrated with onnxruntime; the tfjs engine refuses it, naming the engine to use', async () => {
    const report = await evaluateVersion(registry, calibration.dir, imported);
    assert.equal(report.modelVersion, imported);
    assert.equal(report.examples, 36);
    const recalibrated = await calibrateVersion(registry, { baseVersion: imported, dataDir: calibration.dir });
    assert.deepEqual(readdirSync(recalibrated.record.dir).sort(), ['model.onnx', 'version.json']);
    assert.equal(recalibrated.manifest.imported?.source, 'model.onnx');
    const dir = registry.resolve(imported).dir;
    await assert.rejects(openModelSession('tfjs', dir, { frames: 98, bins: 40, classes: 12 }), {
      code: 'INVALID_ARGUMENT',
      message: `the model in ${dir} has only ONNX models (an imported model, or a session ensemble), which the tfjs engine cannot run: use the onnx engine`,
    });
  });

  it('cannot be a base version or an averaged member; nothing is registered', async () => {
    const count = registry.list().length;
    const refusal = (use: string) => ({
      code: 'INVALID_ARGUMENT',
      message: `version ${imported} is an imported ONNX model (model.onnx) and cannot be ${use}; only versions trained by kws-serve can`,
    });
    await assert.rejects(
      trainVersion(registry, { dataDir: calibration.dir, baseVersion: imported }),
      refusal('a base version'),
    );
    await assert.rejects(
      averageVersions(registry, { members: [1, imported], dataDir: calibration.dir }),
      refusal('averaged'),
    );
    assert.equal(registry.list().length, count);
  });

  it('is an ensemble member beside a version trained by kws-serve: a session ensemble that serves softmax(Σ w·z/T) of both, refused where a TF.js model is needed (averaging)', async () => {
    const made = await createEnsemble(registry, { members: [2, imported], weights: [1, 1], dataDir: calibration.dir });
    const ensemble = made.record.version;
    const dir = registry.resolve(ensemble).dir;
    assert.deepEqual(readdirSync(dir).sort(), ['ensemble.json', 'members', 'version.json']);
    assert.deepEqual(readdirSync(join(dir, 'members')).sort(), ['v2.onnx', `v${imported}.onnx`]);
    assert.equal(made.record.architecture, 'ensemble');
    const manifest = made.manifest;
    assert.equal(manifest.imported, undefined);
    const temperatures = [2, imported].map((v) => registry.manifest(v).calibration.temperature ?? 1);
    assert.deepEqual(manifest.ensemble, {
      members: [2, imported],
      weights: [0.5, 0.5],
      combine: 'mean-logit',
      memberTemperatures: temperatures,
      form: 'sessions',
    });
    assert.equal(manifest.metrics.validation.examples, 36);
    const [two, one, both] = await Promise.all([2, imported, ensemble].map((v) => loadVersion(registry, v)));
    try {
      assert.equal(both!.model, null);
      const x = Float32Array.from({ length: 2 * 98 * 40 }, (_, i) => Math.cos(i / 5) * 3 - 5);
      const z2 = (await two!.raw(x, 2)).logits!;
      const zi = (await one!.raw(x, 2)).logits!;
      const served = await both!.predict(x, 2);
      const t = manifest.calibration.temperature ?? 1;
      for (let r = 0; r < 2; r++) {
        const z = Array.from(
          { length: 12 },
          (_, c) => (0.5 * z2[r * 12 + c]!) / temperatures[0]! + (0.5 * zi[r * 12 + c]!) / temperatures[1]!,
        );
        const top = Math.max(...z);
        const sum = z.reduce((a, v) => a + Math.exp((v - top) / t), 0);
        z.forEach((v, c) =>
          assert.ok(Math.abs(served.probabilities[r * 12 + c]! - Math.exp((v - top) / t) / sum) < 1e-5, `${r},${c}`),
        );
        assert.ok(Math.abs(served.energy[r]! + top + Math.log(z.reduce((a, v) => a + Math.exp(v - top), 0))) < 1e-3);
      }
    } finally {
      await Promise.all([two, one, both].map((l) => l!.dispose()));
    }
    const recalibrated = await calibrateVersion(registry, { baseVersion: ensemble, dataDir: calibration.dir });
    assert.deepEqual(readdirSync(recalibrated.record.dir).sort(), ['ensemble.json', 'members', 'version.json']);
    const count = registry.list().length;
    await assert.rejects(averageVersions(registry, { members: [2, ensemble], dataDir: calibration.dir }), {
      code: 'INVALID_ARGUMENT',
      message: `version ${ensemble} is a session ensemble (of versions 2, ${imported}, with an imported or all-words member) and cannot be averaged; only versions with one TF.js model can`,
    });
    await assert.rejects(openModelSession('tfjs', dir, { frames: 98, bins: 40, classes: 12 }), {
      code: 'INVALID_ARGUMENT',
    });
    assert.equal(registry.list().length, count);
  });

  it('refuses a file over 64 MiB and a model whose output is not what it declares, registering nothing', async () => {
    const count = registry.list().length;
    const big = join(tempDir('kws-import-big-'), 'big.onnx');
    writeFileSync(big, '');
    truncateSync(big, 65 * 2 ** 20); // sparse
    await assert.rejects(importVersion(registry, { file: big, features: {}, dataDir: calibration.dir }), {
      code: 'INVALID_ARGUMENT',
      message: 'big.onnx is 65.0 MiB; an imported model may have 64 MiB at most',
    });
    await assert.rejects(
      importVersion(registry, {
        file: MODEL,
        features: {},
        labels: MODEL_LABELS,
        output: 'probabilities',
        dataDir: calibration.dir,
      }),
      {
        code: 'INVALID_ARGUMENT',
        message: /^the output is not probabilities .*; import it as logits \(--output logits\)$/,
      },
    );
    // The fixture with a softmax behind its logits, imported as if it gave logits.
    const model = onnx.ModelProto.decode(readFileSync(MODEL));
    const graph = model.graph!;
    for (const node of graph.node!) node.output = node.output!.map((o) => (o === 'logits' ? 'scores' : o));
    graph.node!.push(
      onnx.NodeProto.create({
        opType: 'Softmax',
        input: ['scores'],
        output: ['logits'],
        attribute: [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 })],
      }),
    );
    // The fixture with its batch size fixed at 1 inside the graph (a Reshape), which runs on one clip only.
    const fixed = onnx.ModelProto.decode(readFileSync(MODEL));
    for (const node of fixed.graph!.node!) node.input = node.input!.map((i) => (i === 'spectrogram' ? 'fixed' : i));
    fixed.graph!.initializer!.push(
      onnx.TensorProto.create({
        name: 'fixed_shape',
        dims: [4],
        dataType: onnx.TensorProto.DataType.INT64,
        rawData: new Uint8Array(BigInt64Array.from([1n, 1n, 98n, 40n]).buffer),
      }),
    );
    fixed.graph!.node!.unshift(
      onnx.NodeProto.create({ opType: 'Reshape', input: ['spectrogram', 'fixed_shape'], output: ['fixed'] }),
    );
    const fixedFile = join(tempDir('kws-import-fixed-'), 'fixed.onnx');
    writeFileSync(fixedFile, onnx.ModelProto.encode(fixed).finish());
    await assert.rejects(
      importVersion(registry, { file: fixedFile, features: {}, labels: MODEL_LABELS, dataDir: calibration.dir }),
      {
        code: 'INVALID_ARGUMENT',
        message: /^the model does not run on a batch of 8 clips \(a batch size fixed inside its graph\?\): /,
      },
    );
    const softmaxed = join(tempDir('kws-import-softmax-'), 'softmax.onnx');
    writeFileSync(softmaxed, onnx.ModelProto.encode(model).finish());
    await assert.rejects(
      importVersion(registry, { file: softmaxed, features: {}, labels: MODEL_LABELS, dataDir: calibration.dir }),
      {
        code: 'INVALID_ARGUMENT',
        message:
          'the output looks like probabilities (every warm-up clip’s values lie in [0, 1] and sum to 1); import it as probabilities (--output probabilities)',
      },
    );
    assert.equal(registry.list().length, count);
  });
});

describe('importVersion: a model with its own front end, fed the raw waveform', () => {
  const WAVEFORM = join(import.meta.dirname, '..', 'fixtures', 'pytorch-kws-waveform');

  it('registers it with waveform features; serving feeds the fitted samples and answers softmax(logits / T) of the original', async () => {
    const repo = modelRepository();
    const registry = ModelRegistry.open(repo);
    try {
      const made = await importVersion(registry, {
        file: join(WAVEFORM, 'model.onnx'),
        features: JSON.parse(readFileSync(join(WAVEFORM, 'features.json'), 'utf8')) as { type: 'waveform' },
        labels: readFileSync(join(WAVEFORM, 'labels.txt'), 'utf8').trim().split('\n'),
        dataDir: kaggleFolder(2).dir,
      });
      assert.equal(made.manifest.featureConfig.type, 'waveform');
      assert.deepEqual(
        { layout: made.manifest.imported!.layout, inputShape: made.manifest.imported!.inputShape },
        { layout: 'samples', inputShape: [null, 16000] },
      );
      const loaded = await loadVersion(registry, made.record.version);
      try {
        const clip = Float32Array.from({ length: 16000 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / 16000));
        const features = loaded.extractor.compute(clip);
        assert.deepEqual(features, clip, 'waveform features are the samples');
        const served = await loaded.predict(features, 1);
        const session = await ort.InferenceSession.create(join(WAVEFORM, 'model.onnx'));
        const z = (await session.run({ waveform: new ort.Tensor('float32', clip, [1, 16000]) }))['logits']!
          .data as Float32Array;
        await session.release();
        const t = loaded.manifest.calibration.temperature ?? 1;
        const row = LABELS.map((label) => z[MODEL_LABELS.indexOf(label)]! / t);
        const top = Math.max(...row);
        const sum = row.reduce((a, v) => a + Math.exp(v - top), 0);
        row.forEach((v, c) =>
          assert.ok(Math.abs(served.probabilities[c]! - Math.exp(v - top) / sum) < 1e-5, LABELS[c]),
        );
      } finally {
        await loaded.dispose();
      }
      // The server computes the same "features" (the fitted samples) for an upload.
      const server = await testServer({ modelsDir: repo, dataDir: tempDir('kws-import-wave-') });
      try {
        const bytes = readFileSync(join(realDataDir(), 'tflite-micro/testdata', 'yes_1000ms.wav'));
        const response = await fetch(`${server.url}/v1/clips?modelVersion=${made.record.version}`, {
          method: 'POST',
          body: clipForm([{ name: 'yes.wav', bytes }]),
        });
        assert.equal(response.status, 200);
        const body = (await response.json()) as { clips: Array<{ prediction: { modelVersion: number } }> };
        assert.equal(body.clips[0]!.prediction.modelVersion, made.record.version);
      } finally {
        await server.stop();
      }
      // A spectrogram model declared as waveform, and waveform features for training, are refused.
      await assert.rejects(
        importVersion(registry, {
          file: MODEL,
          features: { type: 'waveform' },
          labels: MODEL_LABELS,
          dataDir: kaggleFolder(1).dir,
        }),
        { code: 'INVALID_ARGUMENT', message: /does not fit the declared waveform of 16000 samples/ },
      );
      await assert.rejects(trainVersion(registry, { dataDir: kaggleFolder(1).dir, features: { type: 'waveform' } }), {
        code: 'INVALID_FEATURE_CONFIG',
        message: /waveform is for imported models with their own front end/,
      });
    } finally {
      registry.close();
    }
  });
});

/** This process's environment without `ORT_DISABLE_TELEMETRY`, as a shell would start `kws` in. */
function withoutOrtTelemetrySetting(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['ORT_DISABLE_TELEMETRY'];
  return env;
}

describe('kws classify with an imported model, given a long list of files', () => {
  it('answers every file of a command line over 30 KB (onnxruntime telemetry, which crashed on it, is off)', async () => {
    const repo = modelRepository();
    const data = tempDir('kws-import-argv-');
    const calibration = kaggleFolder(1);
    const made = await runKws(
      'import',
      MODEL,
      ...['--features', join(FIXTURE, 'features.json'), '--labels', `@${join(FIXTURE, 'labels.txt')}`],
      ...['--data', calibration.dir, '--models-dir', repo, '--data-dir', data, '--json'],
    );
    assert.equal(made.status, 0, made.stderr);
    const version = (JSON.parse(made.stdout) as { version: number }).version;
    // onnxruntime-node 1.30's telemetry read /proc/self/cmdline when the first session was made and
    // recursed until SIGSEGV once it was longer than about 30 KB: a shell glob over ~700 files.
    const clips = readdirSync(join(calibration.dir, 'audio')).map((f) => join(calibration.dir, 'audio', f));
    const files = Array.from({ length: Math.ceil(40_000 / clips.join(' ').length) }, () => clips).flat();
    assert.ok(files.join(' ').length > 40_000);
    const run = await spawnKwsAsync(
      ['classify', '--model', String(version), '--json', '--models-dir', repo, '--data-dir', data, ...files],
      // The child's own start must turn telemetry off: this process already did (it ran `kws import`).
      { timeoutMs: 120_000, env: withoutOrtTelemetrySetting() },
    );
    assert.equal(run.status, 0, run.stderr);
    const answers = lines(run).map((l) => JSON.parse(l) as { file: string; ok: boolean; modelVersion: number });
    assert.equal(answers.length, files.length);
    assert.ok(answers.every((a, k) => a.ok && a.file === files[k] && a.modelVersion === version));
  });
});

describe('kws import, then served over REST and GraphQL', () => {
  it('prints the version as JSON, and the server answers a real clip with it, the same over REST and GraphQL', async () => {
    const repo = modelRepository();
    const data = tempDir('kws-import-cli-');
    const calibration = kaggleFolder(2);
    const run = await runKws(
      'import',
      MODEL,
      '--features',
      join(FIXTURE, 'features.json'),
      '--labels',
      `@${join(FIXTURE, 'labels.txt')}`,
      '--data',
      calibration.dir,
      '--models-dir',
      repo,
      '--data-dir',
      data,
      '--json',
    );
    assert.equal(run.status, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { version: number; imported: { layout: string } };
    assert.equal(summary.version, FIRST_NEW_VERSION);
    assert.equal(summary.imported.layout, 'channel-frames-bins');
    // An ensemble of bundled version 2 and the imported model, bulk-scored.
    const made = await runKws(
      'ensemble',
      'create',
      '--members',
      `2,${summary.version}`,
      ...['--data', calibration.dir, '--models-dir', repo, '--data-dir', data, '--json'],
    );
    assert.equal(made.status, 0, made.stderr);
    const ensemble = (JSON.parse(made.stdout) as { version: number }).version;
    assert.equal(ensemble, summary.version + 1);
    const out = join(tempDir('kws-import-score-'), 'submission.csv');
    const scored = await runKws(
      'score',
      calibration.dir,
      '--model',
      String(ensemble),
      '--out',
      out,
      '--models-dir',
      repo,
      '--data-dir',
      data,
      '--no-progress',
      '--json',
    );
    assert.equal(scored.status, 0, scored.stderr);
    const rows = readFileSync(out, 'utf8').trim().split('\n').slice(1);
    assert.equal(rows.length, calibration.labels.size);
    const right = rows.filter((row) => calibration.labels.get(row.split(',')[0]!) === row.split(',')[1]).length;
    assert.ok(right >= rows.length / 2, `the ensemble labels ${right} of ${rows.length} clips right`);
    const server = await testServer({ modelsDir: repo, dataDir: tempDir('kws-import-serve-') });
    try {
      const bytes = readFileSync(join(realDataDir(), 'tflite-micro/testdata', 'yes_1000ms.wav'));
      const response = await fetch(`${server.url}/v1/clips?modelVersion=${summary.version}`, {
        method: 'POST',
        body: clipForm([{ name: 'yes.wav', bytes }]),
      });
      assert.equal(response.status, 200);
      const rest = (
        (await response.json()) as {
          clips: Array<{ prediction: { modelVersion: number; label: string; probabilities: Record<string, number> } }>;
        }
      ).clips[0]!.prediction;
      assert.equal(rest.modelVersion, summary.version);
      const body = await graphqlUpload(
        server.url,
        `mutation ($files: [Upload!]!) { classifyClips(files: $files, modelVersion: ${summary.version}) { prediction { label modelVersion probabilities { label probability } } } }`,
        [{ name: 'yes.wav', bytes }],
      );
      assert.equal(body.errors, undefined, JSON.stringify(body.errors));
      const answer = (
        body.data?.['classifyClips'] as Array<{
          prediction: { label: string; probabilities: Array<{ label: string; probability: number }> };
        }>
      )[0]!.prediction;
      assert.equal(answer.label, rest.label);
      const listed = await graphql(
        server.url,
        `{ modelVersion(version: ${summary.version}) { architecture imported { source inputShape layout output modelLabels } } }`,
      );
      assert.deepEqual(listed.data?.['modelVersion'], {
        architecture: 'imported',
        imported: {
          source: 'model.onnx',
          inputShape: [null, 1, 98, 40],
          layout: 'channel-frames-bins',
          output: 'logits',
          modelLabels: MODEL_LABELS,
        },
      });
      for (const { label, probability } of answer.probabilities)
        assert.ok(Math.abs(probability - rest.probabilities[label]!) < 1e-6, label);
      // The ensemble serves the same answer over REST and GraphQL.
      const restEnsemble = (await (
        await fetch(`${server.url}/v1/clips?modelVersion=${ensemble}`, {
          method: 'POST',
          body: clipForm([{ name: 'yes.wav', bytes }]),
        })
      ).json()) as {
        clips: Array<{ prediction: { modelVersion: number; label: string; probabilities: Record<string, number> } }>;
      };
      const ensembleAnswer = await graphqlUpload(
        server.url,
        `mutation ($files: [Upload!]!) { classifyClips(files: $files, modelVersion: ${ensemble}) { prediction { label modelVersion probabilities { label probability } } } }`,
        [{ name: 'yes.wav', bytes }],
      );
      const viaGraphql = (
        ensembleAnswer.data?.['classifyClips'] as Array<{
          prediction: {
            label: string;
            modelVersion: number;
            probabilities: Array<{ label: string; probability: number }>;
          };
        }>
      )[0]!.prediction;
      assert.equal(viaGraphql.modelVersion, ensemble);
      assert.equal(restEnsemble.clips[0]!.prediction.modelVersion, ensemble);
      assert.equal(viaGraphql.label, restEnsemble.clips[0]!.prediction.label);
      for (const { label, probability } of viaGraphql.probabilities)
        assert.ok(Math.abs(probability - restEnsemble.clips[0]!.prediction.probabilities[label]!) < 1e-6, label);
    } finally {
      await server.stop();
    }
  });
});

describe('GraphQL createEnsemble and importModelVersion (admin mutations, made in a worker thread)', () => {
  it('imports the fixture and ensembles two versions, inside the allowed roots only, and refuses bad input naming it', async () => {
    const repo = modelRepository();
    const calibration = kaggleFolder(2);
    const copy = join(tempDir('kws-import-gql-'), 'model.onnx');
    writeFileSync(copy, readFileSync(MODEL));
    // Only these two folders: the checkout, and so MODEL, may lie under the temporary folder too (CI's does).
    const server = await testServer({
      modelsDir: repo,
      dataDir: tempDir('kws-import-gql-var-'),
      scoreRoots: [dirname(copy), calibration.dir],
    });
    try {
      const imported = await graphql(
        server.url,
        `
          mutation ($input: ImportModelInput!) {
            importModelVersion(input: $input) {
              version
              state
              architecture
              imported {
                source
                layout
              }
            }
          }
        `,
        { input: { file: copy, labels: MODEL_LABELS, features: { type: 'log-mel' }, dataDir: calibration.dir } },
      );
      assert.equal(imported.errors, undefined, JSON.stringify(imported.errors));
      assert.deepEqual(imported.data?.['importModelVersion'], {
        version: FIRST_NEW_VERSION,
        state: 'READY',
        architecture: 'imported',
        imported: { source: 'model.onnx', layout: 'channel-frames-bins' },
      });
      const ensemble = await graphql(
        server.url,
        `
          mutation ($dir: String!) {
            createEnsemble(input: { members: [1, 2], weights: [1, 3], dataDir: $dir }) {
              version
              architecture
              ensemble {
                members
                weights
                combine
              }
            }
          }
        `,
        { dir: calibration.dir },
      );
      assert.equal(ensemble.errors, undefined, JSON.stringify(ensemble.errors));
      assert.deepEqual(ensemble.data?.['createEnsemble'], {
        version: FIRST_NEW_VERSION + 1,
        architecture: 'ensemble',
        ensemble: { members: [1, 2], weights: [0.25, 0.75], combine: 'mean-logit' },
      });
      const refusals: Array<[string, Record<string, unknown>, string, string]> = [
        [
          `mutation ($f: String!, $d: String!) { importModelVersion(input: { file: $f, dataDir: $d }) { version } }`,
          { f: MODEL, d: calibration.dir },
          'PATH_NOT_ALLOWED',
          'is not inside a folder this server may read',
        ],
        [
          `mutation ($f: String!, $d: String!) { importModelVersion(input: { file: $f, dataDir: $d, labels: ["yes"] }) { version } }`,
          { f: copy, d: calibration.dir },
          'INVALID_ARGUMENT',
          "the model's labels must be the 12 labels",
        ],
        [
          `mutation ($d: String!) { createEnsemble(input: { members: [${FIRST_NEW_VERSION}, ${FIRST_NEW_VERSION + 1}], dataDir: $d }) { version } }`,
          { d: calibration.dir },
          'INVALID_ARGUMENT',
          `version ${FIRST_NEW_VERSION + 1} is an ensemble (of versions 1, 2) and cannot be a member of another ensemble`,
        ],
        [
          `mutation { createEnsemble(input: { members: [1, 2], combine: "median" }) { version } }`,
          {},
          'INVALID_ARGUMENT',
          'unknown combine rule "median"; choose one of mean-prob, mean-logit',
        ],
      ];
      for (const [query, variables, code, message] of refusals) {
        const refused = await graphql(server.url, query, variables);
        assert.equal(refused.errors?.[0]?.extensions?.code, code, JSON.stringify(refused.errors));
        assert.ok(refused.errors?.[0]?.message.includes(message), refused.errors?.[0]?.message);
      }
      const listed = await graphql(server.url, '{ modelVersions { version state } }');
      assert.deepEqual(
        (listed.data?.['modelVersions'] as Array<{ version: number; state: string }>)
          .filter((v) => v.state === 'READY')
          .map((v) => v.version)
          .sort((x, y) => x - y),
        [...BUNDLED_VERSIONS, FIRST_NEW_VERSION, FIRST_NEW_VERSION + 1],
        'the bundled versions, the import and the ensemble; refusals registered nothing that serves',
      );
      // One version is made at a time: a second request meanwhile is told to come back.
      const make = `mutation ($dir: String!) { createEnsemble(input: { members: [1, 2], combine: "mean-prob", dataDir: $dir }) { version } }`;
      const both = await Promise.all([
        graphql(server.url, make, { dir: calibration.dir }),
        graphql(server.url, make, { dir: calibration.dir }),
      ]);
      assert.deepEqual(both.map((b) => b.errors?.[0]?.extensions?.code ?? 'made').sort(), ['OVERLOADED', 'made']);
    } finally {
      await server.stop();
    }
  });
});
