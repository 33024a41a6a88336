import { gql } from './api.js';
import { confusionCells, confusionHeatmap } from './charts.js';
import * as Plot from '@observablehq/plot';
import { clipCard, SCORED_CLIP_FIELDS } from './clip-card.js';
import type { ScoredClip } from './clip-card.js';
import { failure, h, section } from './dom.js';
import { folder } from './state.js';
import type { DashboardState } from './state.js';
import { versionDetail } from './version.view.js';
import type { Evaluation } from './version.view.js';

function recallChanges(a: Evaluation, b: Evaluation): HTMLElement | SVGSVGElement {
  const rows = a.perClass.map((c) => ({
    label: c.label,
    change: (b.perClass.find((o) => o.label === c.label)?.recall ?? 0) - c.recall,
  }));
  return Plot.plot({
    width: 520,
    height: 260,
    x: { domain: rows.map((r) => r.label), label: null },
    y: { label: 'recall change (B − A)', grid: true, tickFormat: '+.0%' },
    marks: [
      Plot.barY(rows, {
        x: 'label',
        y: 'change',
        fill: (r: { change: number }) => (r.change >= 0 ? '#2e8540' : '#b3261e'),
        tip: true,
      }),
      Plot.ruleY([0]),
    ],
  });
}

/**
 * The Diff view: version A (the selected one) against version B on the same split of the same
 * data: per-class recall changes, the confusion difference (B − A), and the test-folder clips they
 * label differently, side by side.
 */
export async function diffView(state: DashboardState, versions: readonly number[]): Promise<HTMLElement> {
  if (state.version === null) return h('p', {}, 'No version selected.');
  const a = state.version;
  const b = state.otherVersion ?? versions.find((v) => v !== a) ?? a;
  const pick = h(
    'select',
    { name: 'versionB' },
    ...versions.map((v) => h('option', { value: String(v), ...(v === b ? { selected: '' } : {}) }, `version ${v}`)),
  );
  const body = h('div', {});
  const draw = async (other: number): Promise<void> => {
    state.otherVersion = other;
    body.replaceChildren(h('p', { class: 'note' }, 'Loading…'));
    try {
      const [da, db] = await Promise.all([versionDetail(a), versionDetail(other)]);
      const ea = da.testing ?? da.validation;
      const eb = db.testing ?? db.validation;
      const parts: HTMLElement[] = [];
      if (ea !== null && eb !== null && ea.labels.join() === eb.labels.join()) {
        const difference = ea.confusion.map((row, i) => row.map((count, j) => (eb.confusion[i]?.[j] ?? 0) - count));
        const heatmap = confusionHeatmap(ea.labels, confusionCells(ea.labels, difference), () => undefined, 'rdbu');
        heatmap.id = 'confusion-diff';
        parts.push(
          section(
            `Version ${other} against version ${a} (${da.testing !== null ? 'testing' : 'validation'} split as each recorded it)`,
            h('div', { class: 'grid' }, recallChanges(ea, eb), heatmap),
          ),
        );
      } else parts.push(h('p', { class: 'note' }, 'One of the versions has no evaluation to compare.'));
      const testDir = folder(state.testDir);
      if (testDir === null)
        parts.push(
          h('p', { class: 'note' }, 'Name a test folder above to list the clips the two versions label differently.'),
        );
      else {
        const { predictionDiff } = await gql<{ predictionDiff: Array<{ clip: string; a: ScoredClip; b: ScoredClip }> }>(
          `query ($a: Int!, $b: Int!, $dir: String!) { predictionDiff(versionA: $a, versionB: $b, dir: $dir, first: 30) {
            clip a { ${SCORED_CLIP_FIELDS} } b { ${SCORED_CLIP_FIELDS} } } }`,
          { a, b: other, dir: testDir },
        );
        parts.push(
          section(
            `${predictionDiff.length} test clips labelled differently (version ${a} left, ${other} right)`,
            h(
              'div',
              { id: 'diff-clips' },
              ...predictionDiff.map((d) => h('div', { class: 'grid' }, clipCard(d.a), clipCard(d.b))),
            ),
          ),
        );
      }
      body.replaceChildren(...parts);
    } catch (error) {
      body.replaceChildren(failure(error));
    }
  };
  pick.addEventListener('change', () => void draw(Number(pick.value)));
  await draw(b);
  return h('div', {}, h('div', { class: 'controls' }, `version ${a} against`, pick), body);
}
