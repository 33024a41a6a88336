import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { synthesizeCorpus } from '../../src/synth/index.js';
import type { UploadOutcome } from '../../src/serving/index.js';
import { graphqlExecutor } from '../helpers/graphql.js';
import type { GraphqlExecutor } from '../helpers/graphql.js';
import { kaggleFolder } from '../helpers/kaggle.js';
import { realDataDir, tempDir } from '../helpers/signals.js';
import { BUNDLED_PRODUCTION } from '../helpers/models.js';
import { modelRepository, testServer } from '../helpers/server.js';
import { threadCount, threadsSettleTo } from '../helpers/threads.js';

interface Job {
  id: string;
  status: string;
  error: string | null;
  resultVersion: number | null;
  training: { phase: string; epoch: number; epochs: number; history: Array<{ epoch: number; loss: number }> } | null;
}

const JOB_FIELDS =
  'id status error resultVersion training { phase epoch epochs loss accuracy valAccuracy history { epoch loss } }';
const yes = readFileSync(join(realDataDir(), 'tflite-micro', 'testdata', 'yes_1000ms.wav'));

/** The GraphQL enum value of each `unknownScore` a manifest may record. */
const UNKNOWN_SCORE_ENUM: Record<string, string> = { maxSoftmax: 'MAX_SOFTMAX', energy: 'ENERGY' };

/** Weight arrays of a version's layers model, by weight name. */
function weights(models: string, version: number): Map<string, Float32Array> {
  const json = JSON.parse(readFileSync(join(models, String(version), 'model.json'), 'utf8')) as {
    weightsManifest: Array<{ weights: Array<{ name: string; shape: number[] }> }>;
  };
  const bytes = readFileSync(join(models, String(version), 'weights.bin'));
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const out = new Map<string, Float32Array>();
  let offset = 0;
  for (const w of json.weightsManifest.flatMap((g) => g.weights)) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    out.set(w.name, all.slice(offset, offset + size));
    offset += size;
  }
  return out;
}

/** A version's manifest (version.json) as written by the trainer. */
function manifestOf(
  models: string,
  version: number,
): {
  thresholds: { unknownScore: string };
  training: {
    history: Array<{ epoch: number; loss: number; seconds: number }>;
    options: { searchJob: number; learningRate: number };
  };
} {
  return JSON.parse(readFileSync(join(models, String(version), 'version.json'), 'utf8')) as ReturnType<
    typeof manifestOf
  >;
}

/** A test server over its own copy of the model repository, and GraphQL through `executeOperation` on it. */
async function serverWithGraphql(
  models: string,
): Promise<{ server: Awaited<ReturnType<typeof testServer>>; gql: GraphqlExecutor; stop: () => Promise<void> }> {
  const server = await testServer({ modelsDir: models, scoreRoots: [tmpdir()] });
  const gql = await graphqlExecutor(server);
  return {
    server,
    gql,
    stop: async () => {
      await gql.stop();
      await server.stop();
      assert.deepEqual(gql.unexpected, [], 'no resolver threw an unexpected error');
    },
  };
}

/** Stores and classifies the real "yes" clip, as an upload does. */
async function uploadYes(server: Awaited<ReturnType<typeof testServer>>): Promise<UploadOutcome> {
  return server.service.classifyUpload(yes, 'yes.wav');
}

const servedVersion = (outcome: UploadOutcome): number | undefined =>
  outcome.ok ? outcome.prediction.modelVersion : undefined;

describe('retraining over GraphQL', () => {
  let corpus: string;
  let models: string;
  let server: Awaited<ReturnType<typeof testServer>>;
  let gql: GraphqlExecutor;
  let stop: () => Promise<void>;

  async function waitFor(id: string): Promise<Job> {
    for (let i = 0; i < 3000; i++) {
      const job = (await gql(`{ job(id: "${id}") { ${JOB_FIELDS} } }`)).data?.['job'] as Job;
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.status)) return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${id} did not finish`);
  }

  async function retrain(input: string): Promise<Job> {
    const started = await gql(
      `mutation ($dir: String!) { retrain(input: { dataDir: $dir, allowMissingClasses: true, ${input} }) { ${JOB_FIELDS} } }`,
      { dir: corpus },
    );
    assert.equal(started.errors, undefined, JSON.stringify(started.errors));
    return started.data?.['retrain'] as Job;
  }

  /** The number the repository gives the next version: one past the highest it lists. */
  async function nextVersion(): Promise<number> {
    const listed = (await gql('{ modelVersions { version } }')).data?.['modelVersions'] as Array<{ version: number }>;
    return Math.max(0, ...listed.map((v) => v.version)) + 1;
  }

  before(async () => {
    corpus = join(tempDir('kws-retrain-'), 'corpus');
    await synthesizeCorpus({
      outDir: corpus,
      perWord: 8,
      words: ['yes', 'no', 'up', 'dog'],
      seed: 5,
      realNoiseDir: null,
    });
    models = modelRepository(1);
    ({ server, gql, stop } = await serverWithGraphql(models));
  });
  after(async () => {
    await stop();
  });

  describe('a version retrained for one full epoch', () => {
    let job: Job;
    let expectedVersion: number;
    let version: number;

    before(async () => {
      expectedVersion = await nextVersion();
      job = await waitFor((await retrain('epochs: 1, batchSize: 16, seed: 3')).id);
      version = job.resultVersion ?? Number.NaN;
    });

    it('retrains a new version with metrics, which serves only once promoted', async () => {
      assert.equal(job.status, 'SUCCEEDED', job.error ?? '');
      assert.equal(job.resultVersion, expectedVersion);
      assert.equal(job.training?.epochs, 1);
      assert.equal(job.training?.phase, 'done', 'a finished job shows its kept epoch, not the last phase it reported');
      assert.deepEqual(
        job.training?.history,
        manifestOf(models, version).training.history.map((e) => ({ epoch: e.epoch, loss: e.loss })),
        "the job's curve is the version's",
      );
      const retrained = (
        await gql(
          `{ modelVersion(version: ${version}) { version state aliases validation { accuracy perClass { label } } thresholds { unknownScore } calibration { energyCurve { threshold accuracy } } } }`,
        )
      ).data?.['modelVersion'] as {
        state: string;
        aliases: string[];
        validation: { accuracy: number; perClass: unknown[] };
        thresholds: { unknownScore: string };
        calibration: { energyCurve: Array<{ threshold: number | null }> };
      };
      assert.equal(
        retrained.thresholds.unknownScore,
        UNKNOWN_SCORE_ENUM[manifestOf(models, version).thresholds.unknownScore],
        'the score calibration chose, as version.json records it',
      );
      assert.ok(
        retrained.calibration.energyCurve.length >= 2 && retrained.calibration.energyCurve.at(-1)?.threshold === null,
        'the energy threshold was calibrated too (the last point is off)',
      );
      assert.equal(retrained.state, 'READY');
      assert.deepEqual(retrained.aliases, []);
      assert.equal(retrained.validation.perClass.length, 12);
      assert.equal(
        servedVersion(await uploadYes(server)),
        BUNDLED_PRODUCTION,
        'production stays on the bundled default until a promotion',
      );
    });

    it('fine-tunes only the classifier head of a base version, faster than a full epoch', async () => {
      const tunedJob = await waitFor(
        (await retrain('epochs: 1, batchSize: 16, baseVersion: 1, fineTuneOnly: true')).id,
      );
      assert.equal(tunedJob.status, 'SUCCEEDED', tunedJob.error ?? '');
      const tunedVersion = tunedJob.resultVersion as number;
      const base = weights(models, 1);
      const tuned = weights(models, tunedVersion);
      for (const [name, values] of base) {
        const same = values.every((v, i) => v === tuned.get(name)?.[i]);
        assert.equal(same, !name.startsWith('logits/'), `${name} ${same ? 'unchanged' : 'changed'}`);
      }
      const seconds = (v: number): number => manifestOf(models, v).training.history[0]?.seconds ?? Number.NaN;
      assert.ok(
        seconds(tunedVersion) < seconds(version),
        `fine-tune epoch ${seconds(tunedVersion)} s, full epoch ${seconds(version)} s`,
      );
    });

    it('maps the embeddings of its own data, lists the clips of one confusion cell, and shows its training curve', async () => {
      const sizes: number[] = [];
      for (const split of ['TRAINING', 'VALIDATION', 'TESTING']) {
        const all = await gql(`{ hardExamples(version: ${version}, split: ${split}, first: 1000) { clip } }`);
        sizes.push((all.data?.['hardExamples'] as unknown[]).length);
      }
      const mapped = await gql(
        `{ clusterMap(version: ${version}, perSource: 3) { layer dimensions explainedVariance failed points { clip source trueLabel label x y audioUrl } } }`,
      );
      assert.equal(mapped.errors, undefined, JSON.stringify(mapped.errors));
      const map = mapped.data?.['clusterMap'] as {
        layer: string;
        dimensions: number;
        explainedVariance: number[];
        failed: number;
        points: Array<{ source: string; trueLabel: string | null; x: number; audioUrl: string }>;
      };
      assert.equal(map.layer, 'penultimate');
      assert.ok(map.dimensions > 12, `the pooled channels, not the 12 logits: ${map.dimensions}`);
      assert.equal(
        map.points.length,
        sizes.reduce((sum, n) => sum + Math.min(3, n), 0),
      );
      assert.ok(
        map.points.every(
          (p) => p.trueLabel !== null && p.source !== 'TEST' && p.audioUrl.startsWith('/v1/audio?path='),
        ),
      );
      assert.ok((map.explainedVariance[0] as number) >= (map.explainedVariance[1] as number));
      const cell = await gql(
        `{ hardExamples(version: ${version}, split: TRAINING, trueLabel: yes, first: 1000) { trueLabel label } }`,
      );
      const yes = cell.data?.['hardExamples'] as Array<{ trueLabel: string; label: string }>;
      assert.ok(yes.length > 0 && yes.every((c) => c.trueLabel === 'yes'));
      const answered = yes[0]?.label as string;
      const one = await gql(
        `{ hardExamples(version: ${version}, split: TRAINING, trueLabel: yes, label: ${answered}, first: 1000) { label } }`,
      );
      assert.deepEqual(
        (one.data?.['hardExamples'] as Array<{ label: string }>).map((c) => c.label),
        yes.filter((c) => c.label === answered).map((c) => c.label),
      );
      const history = await gql(
        `{ modelVersion(version: ${version}) { history { epoch loss accuracy valAccuracy } bestEpoch } }`,
      );
      const curve = history.data?.['modelVersion'] as {
        history: Array<{ epoch: number; loss: number }>;
        bestEpoch: number;
      };
      assert.deepEqual([curve.history.map((e) => e.epoch), curve.bestEpoch], [[1], 1]);
      assert.ok(Number.isFinite(curve.history[0]?.loss));
      const nothing = await gql('{ clusterMap(version: 1) { layer } }');
      assert.equal(nothing.errors?.[0]?.extensions?.code, 'INVALID_ARGUMENT', JSON.stringify(nothing.errors));
      assert.match(nothing.errors?.[0]?.message ?? '', /name a dataDir or a testDir/);
    });

    it('serves the dashboard: hard examples, low-confidence clips, diffs between versions, calibration', async () => {
      const hard = await gql(
        `{ hardExamples(version: ${version}, split: TRAINING, first: 6) { clip trueLabel label confidence probabilities { label probability } error } }`,
      );
      assert.equal(hard.errors, undefined, JSON.stringify(hard.errors));
      const examples = hard.data?.['hardExamples'] as Array<{
        clip: string;
        trueLabel: string;
        label: string;
        confidence: number;
        probabilities: unknown[];
      }>;
      assert.equal(examples.length, 6);
      assert.ok(
        examples.every((e) => e.trueLabel !== null && e.probabilities.length === 12 && /^[a-z_]+\//.test(e.clip)),
      );
      const wrong = examples.filter((e) => e.label !== e.trueLabel);
      assert.deepEqual(examples.slice(0, wrong.length), wrong, 'wrong clips come first');
      assert.deepEqual(
        wrong.map((e) => e.confidence),
        [...wrong.map((e) => e.confidence)].sort((a, b) => b - a),
        'most confidently wrong first',
      );
      const data = kaggleFolder(2);
      try {
        const low = await gql(
          'query ($dir: String!) { lowConfidenceClips(version: 1, dir: $dir, first: 5) { clip confidence } }',
          { dir: data.dir },
        );
        const confidences = (low.data?.['lowConfidenceClips'] as Array<{ confidence: number }>).map(
          (c) => c.confidence,
        );
        assert.equal(confidences.length, 5);
        assert.deepEqual(
          confidences,
          [...confidences].sort((a, b) => a - b),
        );
        const diff = await gql(
          `query ($dir: String!) { predictionDiff(versionA: 1, versionB: ${version}, dir: $dir) { clip a { label } b { label } } }`,
          { dir: data.dir },
        );
        const diffs = diff.data?.['predictionDiff'] as Array<{ a: { label: string }; b: { label: string } }>;
        assert.ok(diffs.length > 0 && diffs.every((d) => d.a.label !== d.b.label), JSON.stringify(diff));
        const same = await gql(
          'query ($dir: String!) { predictionDiff(versionA: 1, versionB: 1, dir: $dir) { clip } }',
          { dir: data.dir },
        );
        assert.deepEqual(same.data?.['predictionDiff'], []);
        const refused = await gql('{ lowConfidenceClips(version: 1, dir: "/etc") { clip } }');
        assert.equal(refused.errors?.[0]?.extensions?.code, 'PATH_NOT_ALLOWED');
      } finally {
        rmSync(data.dir, { recursive: true, force: true });
      }
      const calibration = await gql(
        '{ modelVersion(version: 1) { calibration { accuracy baselineAccuracy unknownCurve { threshold accuracy } } } }',
      );
      const curve = (
        calibration.data?.['modelVersion'] as { calibration: { unknownCurve: Array<{ threshold: number }> } }
      ).calibration.unknownCurve;
      assert.ok(curve.length > 5 && curve[0]?.threshold === 0);
    });
  });

  it('a failing job is FAILED with a clear error and leaves serving as it was', async () => {
    assert.equal(server.service.readiness().version, BUNDLED_PRODUCTION);
    const empty = join(tempDir('kws-retrain-empty-'), 'empty-dataset');
    mkdirSync(join(empty, 'yes'), { recursive: true });
    const started = await gql(
      `mutation ($dir: String!) { retrain(input: { dataDir: $dir, epochs: 1 }) { ${JOB_FIELDS} } }`,
      { dir: empty },
    );
    const job = await waitFor((started.data?.['retrain'] as Job).id);
    assert.equal(job.status, 'FAILED');
    assert.match(job.error ?? '', /INVALID_ARGUMENT: .*empty-dataset holds no <word>\/\*\.wav clips/);
    // The corpus lacks 7 of the 12 classes: without allowMissingClasses the job fails naming them.
    const partial = await gql(
      `mutation ($dir: String!) { retrain(input: { dataDir: $dir, epochs: 1 }) { ${JOB_FIELDS} } }`,
      { dir: corpus },
    );
    const partialJob = await waitFor((partial.data?.['retrain'] as Job).id);
    assert.equal(partialJob.status, 'FAILED');
    assert.match(
      partialJob.error ?? '',
      /^INVALID_ARGUMENT: .*corpus has no training examples of down, left, right, on, off, stop, go: the model could never predict those classes/,
    );
    assert.equal(partialJob.resultVersion, null, 'a refused dataset takes no version number');
    const file = await gql(`mutation ($dir: String!) { retrain(input: { dataDir: $dir }) { id } }`, {
      dir: join(corpus, 'SYNTH.json'),
    });
    assert.equal(file.errors?.[0]?.extensions?.code, 'FILE_UNREADABLE', 'a file is refused on submission, not queued');
    const refused = await gql('mutation { retrain(input: { dataDir: "/etc" }) { id } }');
    assert.equal(refused.errors?.[0]?.extensions?.code, 'PATH_NOT_ALLOWED');
    // Pseudo-labelling: the folder inside the allowed roots, the labelling version known, both given.
    for (const [input, code, message] of [
      ['pseudoLabelDir: "/etc", pseudoLabelFrom: 1', 'PATH_NOT_ALLOWED', /\/etc/],
      ['pseudoLabelDir: $dir, pseudoLabelFrom: 99', 'NOT_FOUND', /99/],
      ['pseudoLabelDir: $dir', 'INVALID_ARGUMENT', /needs both pseudoLabelDir .* and pseudoLabelFrom/],
      ['allWords: true, baseVersion: 1', 'INVALID_ARGUMENT', /version 1 answers the 12 labels$/],
      [
        'allWords: true, outlierExposure: 0.5',
        'INVALID_ARGUMENT',
        /^allWords: outlier exposure works on the 12 labels/,
      ],
      [
        'pseudoLabelDir: $dir, pseudoLabelFrom: 1, pseudoLabelConfidence: 1.5',
        'INVALID_ARGUMENT',
        /pseudoLabelConfidence must be in \(0, 1\], got 1.5/,
      ],
    ] as const) {
      const pseudo = await gql(`mutation ($dir: String!) { retrain(input: { dataDir: $dir, ${input} }) { id } }`, {
        dir: corpus,
      });
      assert.equal(pseudo.errors?.[0]?.extensions?.code, code, JSON.stringify(pseudo.errors));
      assert.match(pseudo.errors?.[0]?.message ?? '', message);
    }
    const badArch = await gql(
      `mutation ($dir: String!) { retrain(input: { dataDir: $dir, architecture: "resnet50" }) { id } }`,
      { dir: corpus },
    );
    assert.equal(badArch.errors?.[0]?.extensions?.code, 'INVALID_ARGUMENT');
    const badEpochs = await gql(`mutation ($dir: String!) { retrain(input: { dataDir: $dir, epochs: 0 }) { id } }`, {
      dir: corpus,
    });
    assert.equal(
      badEpochs.errors?.[0]?.message,
      'epochs must be an integer from 1 to 10000, got 0',
      'refused before a job is queued',
    );
    const badRange = await gql(
      `mutation ($dir: String!) { startSearch(input: { dataDir: $dir, trials: 2, space: { dropout: { min: 0, max: 5 } } }) { id } }`,
      { dir: corpus },
    );
    assert.equal(badRange.errors?.[0]?.message, 'dropout must be in [0, 1), got 5');
    const badTune = await gql(
      `mutation ($dir: String!) { retrain(input: { dataDir: $dir, fineTuneOnly: true }) { id } }`,
      { dir: corpus },
    );
    assert.equal(badTune.errors?.[0]?.message, 'fineTuneOnly needs a baseVersion to start from');
    // Distillation is checked on submission like kws train checks it: the weight alone, with fineTuneOnly,
    // a missing teacher, a teacher over other features.
    for (const [fields, code, message] of [
      ['distillWeight: 0.3', 'INVALID_ARGUMENT', 'distillWeight needs distillFrom, the teacher version to distil from'],
      [
        'baseVersion: 1, fineTuneOnly: true, distillFrom: 1',
        'INVALID_ARGUMENT',
        'distillation trains the whole model: it cannot be combined with fineTuneOnly',
      ],
      ['distillFrom: 99', 'NOT_FOUND', 'the teacher (distillFrom): model version 99 does not exist'],
      ['distillFrom: 1, distillWeight: 1.5', 'INVALID_ARGUMENT', 'distillWeight must be in (0, 1], got 1.5'],
    ] as const) {
      const distill = await gql(`mutation ($dir: String!) { retrain(input: { dataDir: $dir, ${fields} }) { id } }`, {
        dir: corpus,
      });
      assert.deepEqual([distill.errors?.[0]?.extensions?.code, distill.errors?.[0]?.message], [code, message], fields);
    }
    const otherFeatures = await gql(
      `mutation ($dir: String!) { retrain(input: { dataDir: $dir, distillFrom: 1, features: { type: "pcen" } }) { id } }`,
      { dir: corpus },
    );
    assert.equal(
      otherFeatures.errors?.[0]?.message,
      'teacher version 1 computes other features than the model being trained: type "log-mel" against "pcen"',
    );
    assert.equal(server.service.readiness().version, BUNDLED_PRODUCTION, 'production is still the bundled default');
  });

  it('cancels a running training job on two threads, marks its version failed and stops every thread', async () => {
    const before = threadCount();
    const job = await retrain('epochs: 50, batchSize: 8, patience: 50, threads: 2');
    let phase: string | undefined;
    for (let i = 0; i < 600 && phase !== 'training'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const state = (await gql(`{ job(id: "${job.id}") { ${JOB_FIELDS} } }`)).data?.['job'] as Job;
      if (state.resultVersion !== null) phase = state.training?.phase;
    }
    assert.equal(phase, 'training');
    if (before !== null) {
      // The job's thread and the second replica's thread at least, while it trains.
      const during = threadCount() ?? 0;
      assert.ok(during >= before + 2, `${during} threads while training on two threads, ${before} before`);
    }
    const cancelled = (await gql(`mutation { cancelJob(id: "${job.id}") { ${JOB_FIELDS} } }`)).data?.[
      'cancelJob'
    ] as Job;
    assert.equal(cancelled.status, 'CANCELLED');
    const version = (await gql(`{ modelVersion(version: ${cancelled.resultVersion ?? 0}) { state } }`)).data?.[
      'modelVersion'
    ] as { state: string };
    assert.equal(version.state, 'FAILED');
    await threadsSettleTo(before);
  });

  it('runs a search of a few trials and picks the trial with the best metric', async () => {
    const started = await gql(
      `mutation ($dir: String!) { startSearch(input: { dataDir: $dir, allowMissingClasses: true, strategy: RANDOM, trials: 3, epochs: 1, batchSize: 16, seed: 4,
      space: { learningRate: { min: 0.0001, max: 0.01 }, dropout: { min: 0.1, max: 0.5 } } }) { id status } }`,
      { dir: corpus },
    );
    assert.equal(started.errors, undefined, JSON.stringify(started.errors));
    const id = (started.data?.['startSearch'] as { id: string }).id;
    await waitFor(id);
    const result = await gql(
      `{ job(id: "${id}") { status kind resultVersion search { strategy metric best { trial version metric } trials { trial status version metric parameters { name value } } } } }`,
    );
    const job = result.data?.['job'] as {
      status: string;
      kind: string;
      resultVersion: number;
      search: {
        strategy: string;
        metric: string;
        best: { trial: number; version: number; metric: number };
        trials: Array<{
          status: string;
          version: number;
          metric: number;
          parameters: Array<{ name: string; value: string }>;
        }>;
      };
    };
    assert.equal(job.status, 'SUCCEEDED');
    assert.equal(job.kind, 'search');
    assert.equal(job.search.trials.length, 3);
    assert.ok(
      job.search.trials.every(
        (t) =>
          t.status === 'SUCCEEDED' &&
          t.version > 0 &&
          t.parameters
            .map((p) => p.name)
            .sort()
            .join() === 'dropout,learningRate',
      ),
    );
    const best = job.search.trials.reduce((b, t) => (t.metric > b.metric ? t : b));
    assert.equal(job.search.best.metric, best.metric);
    assert.equal(job.search.best.version, best.version);
    assert.equal(job.resultVersion, best.version);
    assert.equal(
      manifestOf(models, best.version).training.options.searchJob,
      Number(id),
      'each trial version is tagged with its search',
    );
    const bad = await gql(
      `mutation ($dir: String!) { startSearch(input: { dataDir: $dir, trials: 3, space: { learningRate: { min: 0, max: 0.1 } } }) { id } }`,
      { dir: corpus },
    );
    assert.equal(
      bad.errors?.[0]?.message,
      'search parameter learningRate needs min < max and min > 0 (log scale), got [0, 0.1]',
    );
  });
});

describe('promotion over GraphQL', () => {
  let server: Awaited<ReturnType<typeof testServer>>;
  let gql: GraphqlExecutor;
  let stop: () => Promise<void>;

  before(async () => {
    // Its own repository, so no other test's versions or aliases matter: versions 1 and 2 (copies
    // of the bundled version 1) beside the bundled 3 and 4, production set to 1 (by default it
    // would name the bundled default, 4).
    ({ server, gql, stop } = await serverWithGraphql(modelRepository(2)));
    await server.service.promote(1);
  });
  after(async () => {
    await stop();
  });

  it('promotes a version while requests keep succeeding, rolls back, and archives', async () => {
    assert.equal(servedVersion(await uploadYes(server)), 1, 'version 1 serves before the promotion');
    const during = Array.from({ length: 16 }, () => uploadYes(server));
    const promoted = await gql('mutation { promoteModelVersion(version: 2) { version aliases } }');
    assert.deepEqual(promoted.data?.['promoteModelVersion'], { version: 2, aliases: ['production'] });
    const results = await Promise.all(during);
    assert.ok(
      results.every((r) => r.ok),
      JSON.stringify(results.filter((r) => !r.ok)),
    );
    assert.equal(servedVersion(await uploadYes(server)), 2);
    const refused = await gql('mutation { archiveModelVersion(version: 2) { state } }');
    assert.match(
      refused.errors?.[0]?.message ?? '',
      /model version 2 is production; promote another version to that alias first/,
    );
    await gql('mutation { promoteModelVersion(version: 1) { version } }'); // rollback
    assert.equal(servedVersion(await uploadYes(server)), 1);
    // This repository's own version 2 is no member of the bundled ensemble (version 4), which was
    // made of the bundled versions 1, 2 and 3: archiving it is not refused on that account.
    const archived = await gql('mutation { archiveModelVersion(version: 2) { state } }');
    assert.deepEqual(archived.data?.['archiveModelVersion'], { state: 'ARCHIVED' });
    const gone = await gql('{ clips(first: 1) { edges { node { prediction(modelVersion: 2) { label } } } } }');
    assert.equal(gone.errors?.[0]?.extensions?.code, 'INVALID_ARGUMENT');
  });
});
