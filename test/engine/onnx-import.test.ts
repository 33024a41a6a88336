import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { wrapImportedOnnx } from '../../src/engine/tfjs/index.js';
import { LABELS } from '../../src/labels/index.js';

const { onnx } = onnxProto;
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'pytorch-kws');
const BYTES = readFileSync(join(FIXTURE, 'model.onnx'));
/** The fixture's classes: alphabetical, as PyTorch users write them. */
const MODEL_LABELS = readFileSync(join(FIXTURE, 'labels.txt'), 'utf8').trim().split('\n');
const OPTIONS = { frames: 98, bins: 40, labels: MODEL_LABELS, output: 'logits' } as const;

/** The fixture with `change` applied to its decoded ModelProto. */
function mutated(change: (model: InstanceType<typeof onnx.ModelProto>) => void): Uint8Array {
  const model = onnx.ModelProto.decode(BYTES);
  change(model);
  return onnx.ModelProto.encode(model).finish();
}

/** Seeded features `[batch, 98, 40]`, values like log-mel's. */
function features(batch: number): Float32Array {
  let state = 7;
  return Float32Array.from({ length: batch * 98 * 40 }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state / 2 ** 32) * 12 - 10;
  });
}

describe('wrapImportedOnnx', () => {
  it('wraps a PyTorch export (NCHW input, alphabetical classes, logits) into features -> probabilities and logits in kws-serve order', async () => {
    const { bytes, inspected } = wrapImportedOnnx(BYTES, OPTIONS);
    assert.deepEqual(inspected, {
      opset: 13,
      inputName: 'spectrogram',
      inputShape: [null, 1, 98, 40],
      layout: 'channel-frames-bins',
      outputName: 'logits',
      reordered: true,
    });
    const x = features(3);
    const original = await ort.InferenceSession.create(BYTES);
    const z = (await original.run({ spectrogram: new ort.Tensor('float32', x, [3, 1, 98, 40]) }))['logits']!
      .data as Float32Array;
    const wrapped = await ort.InferenceSession.create(bytes);
    assert.deepEqual([...wrapped.inputNames], ['features']);
    assert.deepEqual([...wrapped.outputNames].sort(), ['logits', 'probabilities']);
    const out = await wrapped.run({ features: new ort.Tensor('float32', x, [3, 98, 40, 1]) });
    const logits = out['logits']!.data as Float32Array;
    const probabilities = out['probabilities']!.data as Float32Array;
    for (let r = 0; r < 3; r++) {
      const row = LABELS.map((label) => z[r * 12 + MODEL_LABELS.indexOf(label)]!);
      const top = Math.max(...row);
      const sum = row.reduce((a, v) => a + Math.exp(v - top), 0);
      row.forEach((v, c) => {
        assert.equal(logits[r * 12 + c], v, `row ${r} ${LABELS[c]}`);
        assert.ok(Math.abs(probabilities[r * 12 + c]! - Math.exp(v - top) / sum) < 1e-6);
      });
    }
    await Promise.all([original.release(), wrapped.release()]);
  });

  it('passes probabilities through without logits, and renames its own values that use the wrapper’s names', async () => {
    // The output renamed `probabilities` (a name the wrapper gives its own output).
    const renamed = mutated((m) => {
      for (const node of m.graph!.node!) node.output = node.output!.map((o) => (o === 'logits' ? 'probabilities' : o));
      m.graph!.output![0]!.name = 'probabilities';
    });
    const { bytes, inspected } = wrapImportedOnnx(renamed, { ...OPTIONS, labels: LABELS, output: 'probabilities' });
    assert.equal(inspected.outputName, 'probabilities');
    assert.equal(inspected.reordered, false);
    const session = await ort.InferenceSession.create(bytes);
    assert.deepEqual([...session.outputNames], ['probabilities']);
    const x = features(2);
    const out = (await session.run({ features: new ort.Tensor('float32', x, [2, 98, 40, 1]) }))['probabilities']!
      .data as Float32Array;
    const original = await ort.InferenceSession.create(BYTES);
    const z = (await original.run({ spectrogram: new ort.Tensor('float32', x, [2, 1, 98, 40]) }))['logits']!
      .data as Float32Array;
    assert.deepEqual(Array.from(out), Array.from(z)); // passed through as they are
    await Promise.all([session.release(), original.release()]);
  });

  it('accepts Speech Commands’ folder names _silence_ and _unknown_ as labels', () => {
    const folders = MODEL_LABELS.map((l) => ({ silence: '_silence_', unknown: '_unknown_' })[l] ?? l);
    assert.deepEqual(
      wrapImportedOnnx(BYTES, { ...OPTIONS, labels: folders }).bytes,
      wrapImportedOnnx(BYTES, OPTIONS).bytes,
    );
  });

  it('refuses what kws-serve cannot serve, naming the check', () => {
    const dims = (m: InstanceType<typeof onnx.ModelProto>) => m.graph!.input![0]!.type!.tensorType!.shape!.dim!;
    const cases: Array<[Uint8Array, Partial<typeof OPTIONS> | Record<string, unknown>, string, string]> = [
      [new Uint8Array([1, 2, 3, 4, 5]), {}, 'MALFORMED', '^not an ONNX model'],
      [
        mutated((m) => (m.opsetImport![0]!.version = 5)),
        {},
        'INVALID_ARGUMENT',
        "^the model's opset 5 is outside 7-23, what onnxruntime-node runs$",
      ],
      [
        mutated((m) => (dims(m)[0] = onnx.TensorShapeProto.Dimension.create({ dimValue: 1 }))),
        {},
        'INVALID_ARGUMENT',
        '^input \\[1, 1, 98, 40\\] has a fixed batch size of 1; export it with a dynamic batch axis',
      ],
      [
        BYTES,
        { bins: 64 },
        'INVALID_ARGUMENT',
        '^input \\[\\?, 1, 98, 40\\] does not fit the declared features of 98 frames × 64 bins',
      ],
      [
        mutated((m) => {
          const d = dims(m);
          d.splice(1, 3, onnx.TensorShapeProto.Dimension.create({ dimValue: 16000 }));
        }),
        {},
        'INVALID_ARGUMENT',
        `looks like raw 16 kHz audio: declare waveform features \\(--features '\\{"type":"waveform"\\}'\\)`,
      ],
      [
        BYTES,
        { frames: 16000, bins: 1, waveform: true },
        'INVALID_ARGUMENT',
        '^input \\[\\?, 1, 98, 40\\] does not fit the declared waveform of 16000 samples \\(\\[batch, 16000\\] or \\[batch, 1, 16000\\]\\)$',
      ],
      [
        BYTES,
        { labels: MODEL_LABELS.map((l) => (l === 'yes' ? 'maybe' : l)) },
        'INVALID_ARGUMENT',
        '; missing yes; not a label or repeated: maybe$',
      ],
      [
        BYTES,
        {
          labels: [...MODEL_LABELS, 'silence']
            .filter((l) => l !== 'unknown')
            .map((l) => (l === 'silence' ? '_silence_' : l)),
        },
        'INVALID_ARGUMENT',
        '; missing unknown; not a label or repeated: silence$',
      ],
      [
        BYTES,
        { outputName: 'scores' },
        'INVALID_ARGUMENT',
        '^the model has no output named scores \\(it has logits\\)$',
      ],
      [
        mutated((m) => {
          const d = dims(m);
          d.splice(1, 3, ...[0, 1, 2].map(() => onnx.TensorShapeProto.Dimension.create({ dimParam: 'x' })));
        }),
        {},
        'INVALID_ARGUMENT',
        '^input \\[\\?, \\?, \\?, \\?\\] fits both channel-frames-bins and frames-bins-channel layouts',
      ],
      [
        mutated((m) => (m.graph!.output![0]!.type!.tensorType!.shape!.dim![1]!.dimValue = 35)),
        {},
        'INVALID_ARGUMENT',
        '^output logits is \\[\\?, 35\\]; kws-serve needs \\[batch, 12\\]$',
      ],
    ];
    for (const [bytes, options, code, message] of cases)
      assert.throws(
        () => wrapImportedOnnx(bytes, { ...OPTIONS, ...options } as typeof OPTIONS),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, code, error.message);
          assert.match(error.message, new RegExp(message));
          return true;
        },
      );
  });
});
