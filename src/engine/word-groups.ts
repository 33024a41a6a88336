import { KwsError } from '../errors/index.js';
import { energyFromLogits, softmaxWithTemperature } from './logits.js';
import type { ModelGeometry, ModelOutput, ModelSession } from './model-output.js';

/**
 * A model trained on every word (`kws train --all-words`) outputs one class per word; serving maps
 * them to the 12 labels: `groups[w]` is the label index of output w (a command and silence have one
 * word each; every other word is `unknown`). The 12-label logits are, per label c,
 * z_c = log Σ_{w in c} exp(z_w), so softmax(z)_c = Σ_{w in c} softmax(z_w): the probabilities of the
 * words of a label summed, as the challenge's winners mapped their 30-word models to the 12 labels.
 * The energy score is unchanged: -logsumexp over the labels equals -logsumexp over the words.
 *
 * @param out The word model's output: `[batch, words]` probabilities and, when it has them, logits.
 * @param groups `[words]` label index of each output, each in [0, classes).
 * @returns `[batch, classes]` probabilities, logits (null when the model had none) and energies, and
 *   `topWord` `[batch]`, the index of each row's most probable word.
 * @throws KwsError `MALFORMED` when the output does not hold `batch · groups.length` values.
 */
export function groupWordOutput(
  out: ModelOutput,
  batch: number,
  groups: readonly number[],
  classes: number,
): ModelOutput & { readonly topWord: Int32Array } {
  const words = groups.length;
  if (out.probabilities.length !== batch * words || (out.logits !== null && out.logits.length !== batch * words))
    throw new KwsError(
      'MALFORMED',
      `the model outputs ${out.probabilities.length / Math.max(1, batch)} values per clip, but its version lists ${words} words`,
    );
  const topWord = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    let best = 0;
    for (let w = 1; w < words; w++)
      if ((out.probabilities[b * words + w] as number) > (out.probabilities[b * words + best] as number)) best = w;
    topWord[b] = best;
  }
  if (out.logits === null) {
    const probabilities = new Float32Array(batch * classes);
    for (let b = 0; b < batch; b++)
      for (let w = 0; w < words; w++)
        probabilities[b * classes + (groups[w] as number)]! += out.probabilities[b * words + w] as number;
    return { probabilities, energy: out.energy, logits: null, topWord };
  }
  // Each label's words, listed once: a row costs one pass over its words, not one per label.
  const wordsOf = Array.from({ length: classes }, (_, c) => groups.flatMap((g, w) => (g === c ? [w] : [])));
  const logits = new Float32Array(batch * classes).fill(Number.NEGATIVE_INFINITY);
  for (let b = 0; b < batch; b++)
    wordsOf.forEach((members, c) => {
      if (members.length === 0) return; // a label without words: probability 0
      let max = Number.NEGATIVE_INFINITY;
      for (const w of members) max = Math.max(max, out.logits![b * words + w] as number);
      let sum = 0;
      for (const w of members) sum += Math.exp((out.logits![b * words + w] as number) - max);
      logits[b * classes + c] = max + Math.log(sum);
    });
  // A label without words has logit -Infinity; the softmax and energy treat it as probability 0.
  const finite = logits.map((z) => (Number.isFinite(z) ? z : -1e30));
  return {
    probabilities: softmaxWithTemperature(finite, batch, classes, 1),
    energy: energyFromLogits(finite, batch, classes),
    logits: finite,
    topWord,
  };
}

/**
 * `session` answering the labels of `geometry`: when `geometry.words` is set, each run's word output
 * is mapped by {@link groupWordOutput}; otherwise `session` itself.
 */
export function withWordGroups(session: ModelSession, geometry: ModelGeometry): ModelSession {
  const groups = geometry.words;
  if (groups === undefined) return session;
  return {
    ...session,
    geometry,
    run: async (features, batch) =>
      groupWordOutput(await session.run(features, batch), batch, groups, geometry.classes),
  };
}
