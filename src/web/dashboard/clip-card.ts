import { audioObjectUrl, gql, setSource, spectrogram } from './api.js';
import { spectrogramRaster } from './charts.js';
import { h, pct } from './dom.js';

/** A scored clip as the dashboard's GraphQL queries ask for it (`ScoredClip`). */
export interface ScoredClip {
  readonly clip: string;
  readonly trueLabel: string | null;
  readonly label: string;
  readonly confidence: number;
  readonly probabilities: ReadonlyArray<{ label: string; probability: number }>;
  readonly error: string | null;
  readonly audioUrl: string;
}

/** The fields of {@link ScoredClip} to select in a query. */
export const SCORED_CLIP_FIELDS = 'clip trueLabel label confidence probabilities { label probability } error audioUrl';

/**
 * Loads a clip's audio into an `<audio>` element (with the API key, as an object URL) and its
 * spectrogram into `target`; a failure is written into `target`.
 */
export async function loadMedia(audioUrl: string, player: HTMLAudioElement, target: HTMLElement): Promise<void> {
  try {
    const [source, spec] = await Promise.all([audioObjectUrl(audioUrl), spectrogram(audioUrl)]);
    setSource(player, source);
    target.replaceChildren(spectrogramRaster(spec.frames, spec.melBins, spec.hopMs, spec.values));
  } catch (error) {
    target.replaceChildren(h('span', { class: 'error' }, error instanceof Error ? error.message : String(error)));
  }
}

/** One clip: name, labels, spectrogram, an audio player and all 12 probabilities. */
export function clipCard(clip: ScoredClip): HTMLElement {
  const player = h('audio', { controls: '', preload: 'auto', 'data-clip': clip.clip });
  const spec = h('div', { class: 'spectrogram' }, h('span', { class: 'note' }, 'loading spectrogram…'));
  const wrong = clip.trueLabel !== null && clip.trueLabel !== clip.label;
  const probabilities = [...clip.probabilities].sort((a, b) => b.probability - a.probability);
  void loadMedia(clip.audioUrl, player, spec);
  return h(
    'div',
    { class: 'clip' },
    h('div', { class: 'title' }, clip.clip),
    h(
      'div',
      {},
      clip.trueLabel === null ? '' : `true ${clip.trueLabel} · `,
      h('span', { class: wrong ? 'wrong' : '' }, `answered ${clip.label}`),
      ` · ${pct(clip.confidence)}`,
      clip.error === null ? '' : h('span', { class: 'error' }, ` · ${clip.error}`),
    ),
    spec,
    player,
    h(
      'div',
      { class: 'note probabilities' },
      probabilities.map((p) => `${p.label} ${(p.probability * 100).toFixed(1)}`).join(' · '),
    ),
  );
}

/** A grid of clip cards, or a note when there are none. */
export function clipGrid(clips: readonly ScoredClip[], empty = 'No clips.'): HTMLElement {
  return clips.length === 0 ? h('p', { class: 'note' }, empty) : h('div', { class: 'clips' }, ...clips.map(clipCard));
}

/** Which hard examples to ask for (GraphQL `hardExamples`); null filters are left off. */
export interface HardExampleQuery {
  readonly version: number;
  readonly split: string;
  readonly dataDir: string | null;
  readonly trueLabel: string | null;
  readonly label: string | null;
  readonly first: number;
}

/** The clips of a split a version gets wrong first, then its least confident right ones. */
export async function hardExamples(query: HardExampleQuery): Promise<ScoredClip[]> {
  const { hardExamples: clips } = await gql<{ hardExamples: ScoredClip[] }>(
    `query ($v: Int!, $split: TrainSplit!, $dir: String, $t: Label, $p: Label, $first: Int!) {
      hardExamples(version: $v, split: $split, dataDir: $dir, trueLabel: $t, label: $p, first: $first) { ${SCORED_CLIP_FIELDS} } }`,
    {
      v: query.version,
      split: query.split,
      dir: query.dataDir,
      t: query.trueLabel,
      p: query.label,
      first: query.first,
    },
  );
  return clips;
}
