import { gql, labelNames } from './api.js';
import { clipGrid, hardExamples, SCORED_CLIP_FIELDS } from './clip-card.js';
import type { ScoredClip } from './clip-card.js';
import { failure, h, section } from './dom.js';
import { folder } from './state.js';
import type { DashboardState } from './state.js';

function labelSelect(name: string, labels: readonly string[]): HTMLSelectElement {
  return h('select', { name }, h('option', { value: '' }, 'any'), ...labels.map((l) => h('option', { value: l }, l)));
}

interface UploadedClip {
  readonly id: string;
  readonly filename: string;
  readonly prediction: {
    label: string;
    confidence: number;
    probabilities: Array<{ label: string; probability: number }>;
  };
}

async function uploadedClips(version: number): Promise<ScoredClip[]> {
  const { clips } = await gql<{ clips: { edges: Array<{ node: UploadedClip }> } }>(
    `query ($v: Int) { clips(first: 12) { edges { node { id filename
      prediction(modelVersion: $v) { label confidence probabilities { label probability } } } } } }`,
    { v: version },
  );
  return clips.edges.map(({ node }) => ({
    clip: `#${node.id} ${node.filename}`,
    trueLabel: null,
    label: node.prediction.label,
    confidence: node.prediction.confidence,
    probabilities: node.prediction.probabilities,
    error: null,
    audioUrl: `/v1/clips/${node.id}/audio`,
  }));
}

/**
 * The Clips view: the hard examples of a labelled split (most confidently wrong first), the
 * lowest-confidence clips of the test folder and the latest uploads, each with its spectrogram,
 * audio, probabilities and label; filtered by true and answered label.
 */
export async function clipsView(state: DashboardState): Promise<HTMLElement> {
  if (state.version === null) return h('p', {}, 'No version selected.');
  const version = state.version;
  // A named folder may be in the official test-set layout (a testing split only): start there.
  const first = folder(state.dataDir) === null ? 'VALIDATION' : 'TESTING';
  const split = h(
    'select',
    { name: 'split' },
    ...['VALIDATION', 'TRAINING', 'TESTING'].map((value) =>
      h('option', { value, ...(value === first ? { selected: '' } : {}) }, value.toLowerCase()),
    ),
  );
  const labels = await labelNames();
  const trueLabel = labelSelect('trueLabel', labels);
  const answered = labelSelect('label', labels);
  const hard = h('div', { id: 'hard-examples' });
  const low = h('div', { id: 'low-confidence' });
  const uploads = h('div', { id: 'uploads' });
  const refresh = async (): Promise<void> => {
    hard.replaceChildren(h('p', { class: 'note' }, 'Scoring…'));
    const t = trueLabel.value === '' ? null : trueLabel.value;
    const p = answered.value === '' ? null : answered.value;
    try {
      const clips = await hardExamples({
        version,
        split: split.value,
        dataDir: folder(state.dataDir),
        trueLabel: t,
        label: p,
        first: 24,
      });
      hard.replaceChildren(
        clipGrid(
          clips,
          'No clips in this split of the labelled folder (a folder in the official test-set layout has only a testing split).',
        ),
      );
    } catch (error) {
      hard.replaceChildren(failure(error));
    }
    const testDir = folder(state.testDir);
    if (testDir === null)
      low.replaceChildren(h('p', { class: 'note' }, 'Name a test folder above to see its lowest-confidence clips.'));
    else
      try {
        const { lowConfidenceClips } = await gql<{ lowConfidenceClips: ScoredClip[] }>(
          `query ($v: Int!, $dir: String!) { lowConfidenceClips(version: $v, dir: $dir, first: 100) { ${SCORED_CLIP_FIELDS} } }`,
          { v: version, dir: testDir },
        );
        low.replaceChildren(clipGrid(lowConfidenceClips.filter((c) => p === null || c.label === p).slice(0, 24)));
      } catch (error) {
        low.replaceChildren(failure(error));
      }
    try {
      uploads.replaceChildren(clipGrid((await uploadedClips(version)).filter((c) => p === null || c.label === p)));
    } catch (error) {
      uploads.replaceChildren(failure(error));
    }
  };
  for (const control of [split, trueLabel, answered]) control.addEventListener('change', () => void refresh());
  await refresh();
  return h(
    'div',
    {},
    h('div', { class: 'controls' }, 'split', split, 'true label', trueLabel, 'answered', answered),
    section(`Hard examples of version ${version}`, hard),
    section('Lowest-confidence test clips', low),
    section('Latest uploads', uploads),
  );
}
