import { gql } from './api.js';
import { classBars, confusionCells, confusionHeatmap, epochCurves, lines, reliabilityDiagram } from './charts.js';
import type { SeriesPoint } from './charts.js';
import { clipGrid, hardExamples } from './clip-card.js';
import { failure, h, pct, section } from './dom.js';
import { folder } from './state.js';
import type { DashboardState } from './state.js';

/** One split's evaluation (`Evaluation`). */
export interface Evaluation {
  readonly accuracy: number;
  readonly labels: string[];
  readonly confusion: number[][];
  readonly perClass: Array<{ label: string; precision: number; recall: number; f1: number; support: number }>;
  readonly trust: {
    readonly ece: number;
    readonly reliability: Array<{
      lower: number;
      upper: number;
      accuracy: number | null;
      meanConfidence: number | null;
      count: number;
    }>;
  } | null;
}

const EVALUATION = `accuracy labels confusion perClass { label precision recall f1 support }
  trust { ece reliability { lower upper accuracy meanConfidence count } }`;

/** What the Version view reads of a version. */
export interface VersionDetail {
  readonly version: number;
  readonly architecture: string | null;
  readonly testing: Evaluation | null;
  readonly validation: Evaluation | null;
  readonly thresholds: { unknownThreshold: number; unknownScore: string; unknownEnergyThreshold: number | null } | null;
  readonly calibration: {
    readonly temperature: number;
    readonly unknownCurve: Array<{ threshold: number; accuracy: number }>;
    readonly tradeOff: Array<{
      score: string;
      points: Array<{ threshold: number | null; commandRecall: number; outlierRate: number }>;
    }>;
  } | null;
  readonly history: Array<{ epoch: number; loss: number; accuracy: number; valAccuracy: number }>;
  readonly bestEpoch: number | null;
}

/** Reads one version's figures. */
export async function versionDetail(version: number): Promise<VersionDetail> {
  const { modelVersion } = await gql<{ modelVersion: VersionDetail | null }>(
    `query ($v: Int!) { modelVersion(version: $v) { version architecture
      testing { ${EVALUATION} } validation { ${EVALUATION} }
      thresholds { unknownThreshold unknownScore unknownEnergyThreshold }
      calibration { temperature unknownCurve { threshold accuracy }
        tradeOff { score points { threshold commandRecall outlierRate } } }
      history { epoch loss accuracy valAccuracy } bestEpoch } }`,
    { v: version },
  );
  if (modelVersion === null) throw new Error(`there is no version ${version}`);
  return modelVersion;
}

/** Accuracy, command recall and unknown recall (1 − outlier rate) against the max-softmax threshold. */
function tradeOffPoints(detail: VersionDetail): SeriesPoint[] {
  const calibration = detail.calibration;
  if (calibration === null) return [];
  const accuracy = calibration.unknownCurve.map((p) => ({ series: 'accuracy', x: p.threshold, y: p.accuracy }));
  const msp = calibration.tradeOff.find((t) => t.score === 'MAX_SOFTMAX')?.points ?? [];
  const kept = msp.filter(
    (p): p is { threshold: number; commandRecall: number; outlierRate: number } => p.threshold !== null,
  );
  return [
    ...accuracy,
    ...kept.map((p) => ({ series: 'command recall', x: p.threshold, y: p.commandRecall })),
    ...kept.map((p) => ({ series: 'unknown recall', x: p.threshold, y: 1 - p.outlierRate })),
  ];
}

/**
 * The Version view: per-class precision/recall/F1, the confusion matrix (click a cell for its
 * clips), the reliability diagram, the threshold trade-off with the calibrated threshold marked, and
 * the training curves.
 */
export async function versionView(state: DashboardState): Promise<HTMLElement> {
  if (state.version === null) return h('p', {}, 'No version selected.');
  let detail: VersionDetail;
  try {
    detail = await versionDetail(state.version);
  } catch (error) {
    return failure(error);
  }
  const evaluation = detail.testing ?? detail.validation;
  const split = detail.testing !== null ? 'TESTING' : 'VALIDATION';
  const named = folder(state.dataDir);
  // The clips of a cell come from the named labelled folder (scored now), else from the version's own
  // data; a folder in the official test-set layout has only a testing split, so that is the default.
  const cellSplit = h(
    'select',
    { name: 'cellSplit' },
    ...['TESTING', 'VALIDATION', 'TRAINING'].map((value) =>
      h(
        'option',
        { value, ...(value === (named === null ? split : 'TESTING') ? { selected: '' } : {}) },
        value.toLowerCase(),
      ),
    ),
  );
  const cellClips = h(
    'div',
    { id: 'cell-clips' },
    h(
      'p',
      { class: 'note' },
      `Click a cell to list its clips from the ${named === null ? "version's own data" : `labelled folder ${named}`}, scored now (their counts need not match the recorded matrix).`,
    ),
  );
  const version = detail.version;
  const showCell = async (trueLabel: string, predicted: string): Promise<void> => {
    const chosen = cellSplit.value;
    cellClips.replaceChildren(
      h('p', { class: 'note' }, `Scoring the ${chosen.toLowerCase()} clips of ${trueLabel} → ${predicted}…`),
    );
    try {
      const clips = await hardExamples({
        version,
        split: chosen,
        dataDir: named,
        trueLabel,
        label: predicted,
        first: 1000,
      });
      const shown = clips.slice(0, 24);
      cellClips.replaceChildren(
        h(
          'h3',
          {},
          `true ${trueLabel}, answered ${predicted}: ${clips.length} ${chosen.toLowerCase()} clips${shown.length < clips.length ? `, the first ${shown.length} shown` : ''}`,
        ),
        clipGrid(shown),
      );
    } catch (error) {
      cellClips.replaceChildren(failure(error));
    }
  };
  const parts: HTMLElement[] = [];
  if (evaluation === null) parts.push(section('Scores', h('p', {}, 'This version has no evaluation.')));
  else {
    const title = `${split === 'TESTING' ? 'Testing' : 'Validation'} split of its training data, as recorded when it was made (${evaluation.perClass.reduce((n, c) => n + c.support, 0)} clips): accuracy ${pct(evaluation.accuracy)}, ECE ${pct(evaluation.trust?.ece)}`;
    const heatmap = confusionHeatmap(
      evaluation.labels,
      confusionCells(evaluation.labels, evaluation.confusion),
      (cell) => void showCell(cell.trueLabel, cell.predicted),
    );
    heatmap.id = 'confusion';
    parts.push(
      section(
        title,
        h('div', { class: 'grid' }, classBars(evaluation.perClass), heatmap),
        h('div', { class: 'controls' }, 'clips of a cell from the split', cellSplit),
        cellClips,
      ),
      section(
        'Calibration',
        h(
          'div',
          { class: 'grid' },
          evaluation.trust === null
            ? h('p', { class: 'note' }, 'No reliability table for this version.')
            : h('div', { id: 'reliability' }, reliabilityDiagram(evaluation.trust.reliability)),
          h(
            'div',
            { id: 'trade-off' },
            lines(tradeOffPoints(detail), {
              xLabel: 'unknown threshold (max-softmax probability)',
              yLabel: 'share',
              mark: detail.thresholds?.unknownScore === 'MAX_SOFTMAX' ? detail.thresholds.unknownThreshold : null,
              yDomain: [0, 1],
            }),
            h(
              'p',
              { class: 'note' },
              `Calibrated: ${detail.thresholds?.unknownScore ?? '?'} rule, max-softmax threshold ${detail.thresholds?.unknownThreshold ?? '–'}, energy threshold ${detail.thresholds?.unknownEnergyThreshold ?? 'off'}, temperature ${detail.calibration?.temperature.toFixed(3) ?? '–'}.`,
            ),
          ),
        ),
      ),
    );
  }
  parts.push(
    section('Training curves', h('div', { id: 'training-curves' }, epochCurves(detail.history, detail.bestEpoch))),
  );
  return h('div', {}, h('h2', {}, `Version ${detail.version} (${detail.architecture ?? '?'})`), ...parts);
}
