import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LABELS } from '../../src/labels/index.js';
import type { Label } from '../../src/labels/index.js';
import { ModelRegistry } from '../../src/registry/index.js';
import { classifyFiles } from '../../src/serving/index.js';
import { loadVersion, selectPseudoLabels, trainVersion } from '../../src/training/tfjs/index.js';
import type { PseudoLabelReport } from '../../src/training/tfjs/index.js';
import { runKws } from '../helpers/cli.js';
import { threeWordCorpus } from '../helpers/corpus.js';
import { kaggleFolder } from '../helpers/kaggle.js';
import { modelRepository } from '../helpers/models.js';
import { tempDir } from '../helpers/signals.js';

const caps = (n: number): Record<Label, number> =>
  Object.fromEntries(LABELS.map((label) => [label, n])) as Record<Label, number>;

describe('pseudo-labelling (selectPseudoLabels; kws train --pseudo-label-dir, GraphQL retrain pseudoLabelDir)', () => {
  // 48 real clips of the v0.02 test set (4 per class) as an unlabelled Kaggle folder, plus one that does not decode.
  const folder = kaggleFolder(4);
  writeFileSync(join(folder.dir, 'audio', 'clip_broken.wav'), 'not audio');
  const models = modelRepository();
  let registry: ModelRegistry;
  /** The bundled version 2's served label and confidence per clip: what a pseudo-label must agree with. */
  const served = new Map<string, { label: string; confidence: number; reason: string }>();

  before(async () => {
    registry = ModelRegistry.open(models);
    const loaded = await loadVersion(registry, 2);
    try {
      const files = [...folder.labels.keys()].map((f) => join(folder.dir, 'audio', f));
      for (const r of await classifyFiles(files, loaded))
        if (r.ok) served.set(r.file, { label: r.label, confidence: r.confidence, reason: r.reason });
    } finally {
      await loaded.dispose();
    }
  });
  after(() => registry.close());

  it('keeps the clips the version labels itself at or above the confidence, with its served label, most confident first up to the cap', async () => {
    const { examples, report } = await selectPseudoLabels(
      registry,
      { dir: folder.dir, from: 2, confidence: 0.9 },
      caps(100),
    );
    assert.equal(report.candidates, 49);
    assert.equal(report.failed, 1);
    assert.equal(report.from, 2);
    const expected = [...served].filter(([, s]) => s.reason === 'MODEL' && s.confidence >= 0.9);
    assert.equal(examples.length, expected.length);
    assert.ok(examples.length >= 20, `${examples.length} of 48 real clips are confident`);
    for (const e of examples) {
      assert.equal(e.label, served.get(e.path)?.label, e.path);
      assert.equal(e.split, 'training');
      assert.equal(e.speaker, null);
    }
    const right = examples.filter((e) => folder.labels.get(e.path.split('/').pop()!) === e.label).length;
    assert.ok(right / examples.length >= 0.85, `${right} of ${examples.length} pseudo-labels are right`);
    assert.deepEqual(report.added, report.confident);
    // A cap of one clip per class keeps each class's most confident clip.
    const capped = await selectPseudoLabels(
      registry,
      { dir: folder.dir, from: 2, confidence: 0.9, maxPerClass: 1 },
      caps(100),
    );
    for (const label of LABELS) {
      const mine = capped.examples.filter((e) => e.label === label);
      assert.equal(mine.length, Math.min(1, report.confident[label]), label);
      if (mine.length === 1) {
        const best = Math.max(...expected.filter(([, s]) => s.label === label).map(([, s]) => s.confidence));
        assert.equal(served.get(mine[0]!.path)?.confidence, best, label);
      }
    }
    assert.equal(capped.report.cap.yes, 1);
  });

  it('adds them to the training split of a new version, which records the report; refusals register nothing', async () => {
    const corpus = join(tempDir('kws-pseudo-corpus-'), 'corpus');
    await threeWordCorpus(corpus);
    const count = registry.list().length;
    for (const [request, message] of [
      [{ pseudoLabelDir: folder.dir }, /needs both pseudoLabelDir .* and pseudoLabelFrom/],
      [{ pseudoLabelFrom: 2 }, /needs both pseudoLabelDir .* and pseudoLabelFrom/],
      [
        { pseudoLabelDir: folder.dir, pseudoLabelFrom: 2, pseudoLabelConfidence: 0 },
        /pseudoLabelConfidence must be in \(0, 1\], got 0/,
      ],
    ] as const)
      await assert.rejects(
        trainVersion(registry, { dataDir: corpus, epochs: 1, allowMissingClasses: true, ...request }),
        {
          code: 'INVALID_ARGUMENT',
          message,
        },
      );
    await assert.rejects(
      trainVersion(registry, {
        dataDir: corpus,
        epochs: 1,
        allowMissingClasses: true,
        pseudoLabelDir: folder.dir,
        pseudoLabelFrom: 99,
      }),
      { code: 'NOT_FOUND' },
    );
    assert.equal(registry.list().length, count);
    const plain = await trainVersion(registry, { dataDir: corpus, epochs: 1, batchSize: 8, allowMissingClasses: true });
    const made = await trainVersion(registry, {
      dataDir: corpus,
      epochs: 1,
      batchSize: 8,
      allowMissingClasses: true,
      pseudoLabelDir: folder.dir,
      pseudoLabelFrom: 2,
      pseudoLabelConfidence: 0.9,
      pseudoLabelMaxPerClass: 2,
    });
    const report = made.manifest.training.options['pseudoLabels'] as PseudoLabelReport;
    assert.equal(report.dir, folder.dir);
    assert.equal(report.confidence, 0.9);
    const added = Object.values(report.added).reduce((a, n) => a + n, 0);
    assert.ok(added > 0 && Object.values(report.added).every((n) => n <= 2), JSON.stringify(report.added));
    assert.equal(made.manifest.training.counts.training, plain.manifest.training.counts.training! + added);
    assert.notEqual(made.manifest.training.dataFingerprint, plain.manifest.training.dataFingerprint);
    assert.equal(made.manifest.training.counts.validation, plain.manifest.training.counts.validation);
  });

  it('kws train prints what pseudo-labelling added; the default cap is each class’s labelled training count', async () => {
    const corpus = join(tempDir('kws-pseudo-cli-'), 'corpus');
    await threeWordCorpus(corpus);
    const run = await runKws(
      'train',
      '--data',
      corpus,
      '--epochs',
      '1',
      '--batch-size',
      '8',
      '--allow-missing-classes',
      '--pseudo-label-dir',
      folder.dir,
      '--pseudo-label-from',
      '2',
      '--pseudo-label-confidence',
      '0.9',
      ...['--models-dir', modelRepository(), '--data-dir', tempDir('kws-pseudo-cli-data-'), '--no-progress', '--json'],
    );
    assert.equal(run.status, 0, run.stderr);
    const printed = JSON.parse(run.stdout) as { pseudoLabels: PseudoLabelReport };
    // The corpus has no training clip of left (or of 8 other commands): those caps are 0.
    assert.equal(printed.pseudoLabels.cap.left, 0);
    assert.equal(printed.pseudoLabels.added.left, 0);
    assert.ok(printed.pseudoLabels.cap.yes > 0);
    assert.equal(
      printed.pseudoLabels.added.yes,
      Math.min(printed.pseudoLabels.cap.yes, printed.pseudoLabels.confident.yes),
    );
  });
});
