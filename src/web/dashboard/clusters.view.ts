import { audioObjectUrl, gql, setSource } from './api.js';
import { scatter } from './charts.js';
import { failure, h, pct, section } from './dom.js';
import { folder } from './state.js';
import type { DashboardState } from './state.js';

interface Point {
  readonly clip: string;
  readonly source: string;
  readonly trueLabel: string | null;
  readonly label: string;
  readonly confidence: number;
  readonly x: number;
  readonly y: number;
  readonly audioUrl: string;
}

interface ClusterMap {
  readonly layer: string;
  readonly dimensions: number;
  readonly explainedVariance: number[];
  readonly failed: number;
  readonly points: Point[];
}

/** How each source reads on the legend. */
const SOURCE_NAMES: Record<string, string> = {
  TRAINING: 'training split',
  VALIDATION: 'validation split',
  TESTING: 'testing split',
  TEST: 'test folder',
};

const COLOURINGS: Record<string, (p: Point) => string> = {
  split: (p) => SOURCE_NAMES[p.source] ?? p.source,
  // A test-folder clip has no true label: its answer stands in.
  label: (p) => p.trueLabel ?? p.label,
  answer: (p) => p.label,
  correctness: (p) => (p.trueLabel === null ? 'unlabelled' : p.trueLabel === p.label ? 'right' : 'wrong'),
};

/**
 * The Clusters view: a PCA map of the version's embeddings (the layer its classifier reads) for an
 * even sample of the labelled folder's splits and the test folder, coloured by split, label, answer
 * or correctness; hovering shows the clip, a click plays it.
 */
export async function clustersView(state: DashboardState): Promise<HTMLElement> {
  if (state.version === null) return h('p', {}, 'No version selected.');
  let map: ClusterMap;
  try {
    ({ clusterMap: map } = await gql<{ clusterMap: ClusterMap }>(
      `query ($v: Int!, $data: String, $test: String) { clusterMap(version: $v, dataDir: $data, testDir: $test, perSource: 100) {
        layer dimensions explainedVariance failed points { clip source trueLabel label confidence x y audioUrl } } }`,
      { v: state.version, data: folder(state.dataDir), test: folder(state.testDir) },
    ));
  } catch (error) {
    return failure(error);
  }
  const colouring = h(
    'select',
    { name: 'colour' },
    ...Object.keys(COLOURINGS).map((k) => h('option', { value: k }, k)),
  );
  const player = h('audio', { controls: '', id: 'cluster-player' });
  const playing = h('span', { class: 'note' }, 'Click a point to play its clip.');
  const plot = h('div', { id: 'cluster-map' });
  const play = async (p: Point): Promise<void> => {
    playing.textContent = `${p.clip} (${p.source}): ${p.trueLabel === null ? '' : `true ${p.trueLabel}, `}answered ${p.label} at ${pct(p.confidence)}`;
    try {
      setSource(player, await audioObjectUrl(p.audioUrl));
      await player.play();
    } catch (error) {
      playing.replaceChildren(failure(error));
    }
  };
  const draw = (): void => {
    const colour = COLOURINGS[colouring.value] ?? COLOURINGS['split'];
    plot.replaceChildren(
      scatter(
        map.points,
        (p) => (colour === undefined ? p.source : colour(p)),
        (p) =>
          `${p.clip}\n${p.source}${p.trueLabel === null ? '' : `, true ${p.trueLabel}`}\nanswered ${p.label} (${pct(p.confidence)})`,
        (p) => void play(p),
        // The 12 labels need 12 colours.
        colouring.value === 'label' || colouring.value === 'answer' ? 'paired' : 'tableau10',
      ),
    );
  };
  colouring.addEventListener('change', draw);
  draw();
  const [first, second] = map.explainedVariance;
  return section(
    `Cluster map of version ${state.version}`,
    h(
      'p',
      { class: 'note' },
      `${map.points.length} clips; ${map.layer} layer of ${map.dimensions} dimensions; the axes explain ${pct(first)} and ${pct(second)} of its variance.`,
      map.failed > 0 ? ` ${map.failed} sampled clips did not decode.` : '',
    ),
    h('div', { class: 'controls' }, 'colour by', colouring, player, playing),
    plot,
  );
}
