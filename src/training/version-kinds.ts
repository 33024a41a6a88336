import { KwsError } from '../errors/index.js';
import type { VersionManifest } from '../registry/index.js';

/**
 * Refuses an ensemble version where a single model is needed (`use`: what the caller does with it;
 * `instead`: what to do instead).
 *
 * @throws KwsError `INVALID_ARGUMENT` naming the ensemble and its members.
 */
export function refuseEnsemble(manifest: VersionManifest, use: string, instead = 'name its members instead'): void {
  if (manifest.ensemble !== undefined)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `version ${manifest.version} is an ensemble (of versions ${manifest.ensemble.members.join(', ')}) and cannot be ${use}; ${instead}`,
    );
}

/**
 * Whether a version runs only on onnxruntime, with no TF.js model: one imported from ONNX, or an
 * ensemble with an imported member (`ensemble.form` `sessions`).
 */
export function isOnnxOnly(manifest: Pick<VersionManifest, 'imported' | 'ensemble'>): boolean {
  return manifest.imported !== undefined || manifest.ensemble?.form === 'sessions';
}

/**
 * Refuses a version with no TF.js model (see {@link isOnnxOnly}) where kws-serve needs its own
 * TF.js model (`use`: training from it, averaging it, a distillation teacher).
 *
 * @throws KwsError `INVALID_ARGUMENT` naming the version and where it came from.
 */
export function refuseImported(manifest: VersionManifest, use: string): void {
  if (manifest.imported !== undefined)
    throw new KwsError(
      'INVALID_ARGUMENT',
      `version ${manifest.version} is an imported ONNX model (${manifest.imported.source}) and cannot be ${use}; ` +
        'only versions trained by kws-serve can',
    );
  if (manifest.ensemble?.form === 'sessions')
    throw new KwsError(
      'INVALID_ARGUMENT',
      `version ${manifest.version} is a session ensemble (of versions ${manifest.ensemble.members.join(', ')}, ` +
        `with an imported or all-words member) and cannot be ${use}; only versions with one TF.js model can`,
    );
}
