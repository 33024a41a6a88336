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
