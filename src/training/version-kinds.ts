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
 * Refuses a version imported from an external ONNX model where kws-serve needs its own TF.js model
 * (`use`: training from it, averaging it, an ensemble member, a distillation teacher).
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
}
