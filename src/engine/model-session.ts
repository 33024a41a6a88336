import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { KwsError } from '../errors/index.js';
import { energyFromLogits } from './logits.js';
import { importOnnxRuntime } from './onnx-runtime.js';
import { checkInput } from './model-output.js';
import { isSessionEnsemble, openSessionEnsemble } from './session-ensemble.js';
import { withWordGroups } from './word-groups.js';
import type { DeviceChoice, EngineKind, ModelGeometry, ModelSession } from './model-output.js';

const require = createRequire(import.meta.url);

/**
 * True when onnxruntime-node lists CUDA and its CUDA provider library was installed (the npm
 * package lists CUDA on linux-x64 even when installed with `--onnxruntime-node-install=skip`, whose
 * CPU-only build lacks `libonnxruntime_providers_cuda.so`; trying it would only log an error).
 */
function onnxCudaInstalled(backends: ReadonlyArray<{ name: string }>): boolean {
  if (!backends.some((b) => b.name === 'cuda')) return false;
  const binding = join(
    dirname(require.resolve('onnxruntime-node/package.json')),
    'bin',
    'napi-v6',
    process.platform,
    process.arch,
  );
  return existsSync(join(binding, 'libonnxruntime_providers_cuda.so'));
}

/** onnxruntime-node session over an ONNX file (`model.onnx`: input `features`, outputs `probabilities` and, when exported, `logits`). */
async function openOnnx(
  path: string,
  geometry: ModelGeometry,
  device: DeviceChoice,
  intraOpThreads: number,
): Promise<ModelSession> {
  const ort = await importOnnxRuntime();
  const tried: string[] = [];
  const providers = device === 'auto' && onnxCudaInstalled(ort.listSupportedBackends()) ? ['cuda', 'cpu'] : ['cpu'];
  for (const provider of providers) {
    try {
      const session = await ort.InferenceSession.create(path, {
        executionProviders: [provider],
        intraOpNumThreads: intraOpThreads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
      const input = session.inputNames[0] ?? 'features';
      const output = session.outputNames.includes('probabilities')
        ? 'probabilities'
        : (session.outputNames[0] ?? 'probabilities');
      const logits = session.outputNames.includes('logits') ? 'logits' : null;
      return {
        engine: 'onnx',
        provider: `onnxruntime-node ${provider}`,
        geometry,
        async run(features, batch) {
          checkInput(geometry, features, batch);
          const result = await session.run({
            [input]: new ort.Tensor('float32', features, [batch, geometry.frames, geometry.bins, 1]),
          });
          const probabilities = result[output]?.data as Float32Array;
          const logitValues = logits === null ? null : (result[logits]?.data as Float32Array);
          const energy =
            logitValues === null
              ? new Float32Array(batch).fill(Number.NaN)
              : energyFromLogits(logitValues, batch, logitValues.length / batch);
          return { probabilities, energy, logits: logitValues };
        },
        dispose: () => session.release(),
      };
    } catch (error) {
      tried.push(`${provider}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  throw new KwsError('MALFORMED', `cannot load ${path} with onnxruntime-node (${tried.join('; ')})`);
}

/** The first line of an error's message (onnxruntime's run its graph's trace after it). */
function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/**
 * Opens a model version folder on a runtime, validates its output against `geometry` and warms it
 * up with one batch of zeros (the first run allocates and, on onnxruntime, optimises the graph).
 * With `device: 'auto'`, a GPU provider that fails to start falls back to the CPU.
 *
 * @param intraOpThreads onnxruntime threads per session (1 when each worker thread has its own session).
 * @throws KwsError `MALFORMED` when the model cannot be loaded or its output is not `[batch, classes]`;
 *   `FILE_NOT_FOUND` when the files are missing (TF.js).
 */
export async function openModelSession(
  engine: EngineKind,
  dir: string,
  geometry: ModelGeometry,
  device: DeviceChoice = 'auto',
  intraOpThreads = 1,
): Promise<ModelSession> {
  const ensemble = isSessionEnsemble(dir);
  if (engine === 'tfjs' && !existsSync(join(dir, 'model.json')) && (ensemble || existsSync(join(dir, 'model.onnx'))))
    throw new KwsError(
      'INVALID_ARGUMENT',
      `the model in ${dir} has only ONNX models (an imported model, or a session ensemble), which the tfjs engine cannot run: use the onnx engine`,
    );
  // A model of words answers the labels through its word groups (see `withWordGroups`).
  const session =
    engine === 'onnx'
      ? ensemble
        ? await openSessionEnsemble(dir, geometry, async (path, memberGeometry) =>
            withWordGroups(await openOnnx(path, memberGeometry, device, intraOpThreads), memberGeometry),
          )
        : withWordGroups(await openOnnx(join(dir, 'model.onnx'), geometry, device, intraOpThreads), geometry)
      : withWordGroups(await (await import('./tfjs/index.js')).openTfjsSession(dir, geometry, device), geometry);
  let out: Awaited<ReturnType<ModelSession['run']>>;
  try {
    out = await session.run(new Float32Array(geometry.frames * geometry.bins), 1);
  } catch (error) {
    await session.dispose();
    throw new KwsError(
      'MALFORMED',
      `the model in ${dir} loads but does not run on one clip of ${geometry.frames} × ${geometry.bins} features: ${firstLine(error)}`,
    );
  }
  if (out.probabilities.length !== geometry.classes) {
    await session.dispose();
    throw new KwsError(
      'MALFORMED',
      `the model in ${dir} outputs ${out.probabilities.length} values per clip, but its version lists ${geometry.classes} labels`,
    );
  }
  return session;
}
