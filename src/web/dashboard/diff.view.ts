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
 * The Diff view: version B against version A (the selected one) on the split both recorded
 * (testing, else validation): per-class recall changes, the confusion difference (B − A, as shares
 * of each true class, so that sets of different sizes compare), and the test-folder clips they
 * label differently, side by side.
 */
export async function diffView(state: DashboardState, versions: readonly number[]): Promise<HTMLElement> {
  if (state.version === null) return h('p', {}, 'No version selected.');
  const a = state.version;
  const others = versions.filter((v) => v !== a);
  const b = state.otherVersion !== null && state.otherVersion !== a ? state.otherVersion : (others[0] ?? a);
  const pick = h(
    'select',
    { name: 'versionB' },
    ...others.map((v) => h('option', { value: String(v), ...(v === b ? { selected: '' } : {}) }, `version ${v}`)),
  );
  const body = h('div', {});
  const draw = async (other: number): Promise<void> => {
    state.otherVersion = other;
    body.replaceChildren(h('p', { class: 'note' }, 'Loading…'));
    try {
      const [da, db] = await Promise.all([versionDetail(a), versionDetail(other)]);
      // Compare the same split only: testing when both recorded one, else validation.
      const split = da.testing !== null && db.testing !== null ? 'testing' : 'validation';
      const ea = split === 'testing' ? da.testing : da.validation;
      const eb = split === 'testing' ? db.testing : db.validation;
      const parts: HTMLElement[] = [];
      if (ea !== null && eb !== null && ea.labels.join() === eb.labels.join()) {
        // Row shares (each true class sums to 1), so sets of different sizes compare.
        const shares = (e: Evaluation): number[][] =>
          e.confusion.map((row) => {
            const total = row.reduce((sum, n) => sum + n, 0);
            return row.map((n) => (total === 0 ? 0 : n / total));
          });
        const [sa, sb] = [shares(ea), shares(eb)];
        const difference = sa.map((row, i) => row.map((share, j) => (sb[i]?.[j] ?? 0) - share));
        const heatmap = confusionHeatmap(ea.labels, confusionCells(ea.labels, difference), () => undefined, {
          diverging: true,
          format: (value) => (Math.abs(value) < 0.005 ? '0' : `${value > 0 ? '+' : ''}${Math.round(value * 100)}`),
        });
        heatmap.id = 'confusion-diff';
        const size = (e: Evaluation): number => e.perClass.reduce((n, c) => n + c.support, 0);
        parts.push(
          section(
            `Version ${other} − version ${a}: the ${split} split each recorded when it was made (${size(eb)} and ${size(ea)} clips${size(ea) === size(eb) ? '' : '; their datasets may differ'})`,
            h(
              'p',
              { class: 'note' },
              'Recall change per class, and the change of each cell as a share of its true class, in percentage points.',
            ),
            h('div', { class: 'grid' }, recallChanges(ea, eb), heatmap),
          ),
        );
      } else
        parts.push(
          h('p', { class: 'note' }, `The two versions have no ${split} evaluation over the same labels to compare.`),
        );
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
            `${predictionDiff.length} clips of the test folder labelled differently (version ${a} left, ${other} right)`,
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
  return h('div', {}, h('div', { class: 'controls' }, `compare version ${a} (A) with`, pick, '(B)'), body);
}
