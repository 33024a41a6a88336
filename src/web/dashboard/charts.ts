/**
 * Chart glue over Observable Plot (https://observablehq.com/plot/): each function turns the
 * server's figures into one Plot figure. No chart is drawn by hand.
 */
import * as Plot from '@observablehq/plot';

/** One cell of a confusion matrix. */
export interface ConfusionCell {
  readonly trueLabel: string;
  readonly predicted: string;
  readonly count: number;
}

/** `confusion[true][predicted]` counts as cells, in `labels` order. */
export function confusionCells(
  labels: readonly string[],
  confusion: ReadonlyArray<readonly number[]>,
): ConfusionCell[] {
  return labels.flatMap((trueLabel, i) =>
    labels.map((predicted, j) => ({ trueLabel, predicted, count: confusion[i]?.[j] ?? 0 })),
  );
}

/**
 * The confusion matrix as a heatmap (rows: true label, columns: predicted), each cell with its
 * value (`format`, default the count); `onCell` is called with a clicked cell. Each cell's rect
 * carries `data-true`, `data-predicted` and `data-count`. `diverging` colours differences (blue up,
 * red down) around 0.
 */
export function confusionHeatmap(
  labels: readonly string[],
  cells: readonly ConfusionCell[],
  onCell: (cell: ConfusionCell) => void,
  options: { diverging?: boolean; format?: (value: number) => string } = {},
): SVGSVGElement | HTMLElement {
  const format = options.format ?? ((value: number) => String(value));
  const largest = Math.max(1e-9, ...cells.map((c) => Math.abs(c.count)));
  const figure = Plot.plot({
    width: 560,
    height: 480,
    marginLeft: 70,
    marginBottom: 60,
    x: { domain: labels, label: 'predicted', tickRotate: -40 },
    y: { domain: labels, label: 'true' },
    color:
      options.diverging === true
        ? { type: 'linear', scheme: 'rdbu', domain: [-largest, largest] }
        : { type: 'symlog', scheme: 'blues' },
    marks: [
      Plot.cell(cells, { x: 'predicted', y: 'trueLabel', fill: 'count', inset: 0.5 }),
      Plot.text(cells, {
        x: 'predicted',
        y: 'trueLabel',
        text: (d: ConfusionCell) => format(d.count),
        // Dark cells get white text.
        fill: (d: ConfusionCell) =>
          Math.abs(d.count) > largest * 0.55 ? 'white' : Math.abs(d.count) > 0 ? 'black' : '#aab',
        fontSize: 9,
        pointerEvents: 'none',
      }),
    ],
  });
  figure.querySelectorAll('g[aria-label="cell"] rect').forEach((rect, index) => {
    const cell = cells[index];
    if (cell === undefined) return;
    const element = rect as SVGRectElement;
    element.dataset['true'] = cell.trueLabel;
    element.dataset['predicted'] = cell.predicted;
    element.dataset['count'] = String(cell.count);
    element.style.cursor = 'pointer';
    element.addEventListener('click', () => onCell(cell));
  });
  return figure;
}

/** Precision, recall and F1 per class as grouped bars. */
export function classBars(
  perClass: ReadonlyArray<{ label: string; precision: number; recall: number; f1: number }>,
): SVGSVGElement | HTMLElement {
  const rows = perClass.flatMap((c) =>
    (['precision', 'recall', 'f1'] as const).map((metric) => ({ label: c.label, metric, value: c[metric] })),
  );
  return Plot.plot({
    width: 620,
    height: 260,
    fx: { label: null, domain: perClass.map((c) => c.label) },
    x: { axis: null },
    y: { domain: [0, 1], grid: true, label: 'score' },
    color: { legend: true },
    marks: [Plot.barY(rows, { fx: 'label', x: 'metric', y: 'value', fill: 'metric', tip: true }), Plot.ruleY([0])],
  });
}

/** Accuracy and mean confidence per confidence bin against the diagonal of perfect calibration. */
export function reliabilityDiagram(
  bins: ReadonlyArray<{
    lower: number;
    upper: number;
    accuracy: number | null;
    meanConfidence: number | null;
    count: number;
  }>,
): SVGSVGElement | HTMLElement {
  const full = bins.filter((b) => b.count > 0 && b.accuracy !== null);
  return Plot.plot({
    width: 420,
    height: 320,
    x: { domain: [0, 1], label: 'confidence (max-softmax probability)' },
    y: { domain: [0, 1], label: 'accuracy', grid: true },
    marks: [
      Plot.rectY(full, { x1: 'lower', x2: 'upper', y: 'accuracy', fill: '#6cb4ff', inset: 1, tip: true }),
      Plot.line(
        [
          [0, 0],
          [1, 1],
        ],
        { stroke: '#888', strokeDasharray: '4,3' },
      ),
      Plot.dot(full, { x: 'meanConfidence', y: 'accuracy', fill: '#1d2430', r: 2.5 }),
    ],
  });
}

/** One named series of (x, y) points for {@link lines}. */
export interface SeriesPoint {
  readonly series: string;
  readonly x: number;
  readonly y: number;
}

/**
 * Lines of several series against one x (a dot per point; a line once a series has two), with an
 * optional marked x (the calibrated threshold, the kept epoch).
 */
export function lines(
  points: readonly SeriesPoint[],
  options: { xLabel: string; yLabel: string; mark?: number | null; yDomain?: [number, number]; integerX?: boolean },
): SVGSVGElement | HTMLElement {
  const sizes = new Map<string, number>();
  for (const p of points) sizes.set(p.series, (sizes.get(p.series) ?? 0) + 1);
  const joined = points.filter((p) => (sizes.get(p.series) ?? 0) > 1);
  const xs = [...new Set(points.map((p) => p.x))];
  return Plot.plot({
    width: 460,
    height: 280,
    x: {
      label: options.xLabel,
      ...(xs.length === 1 ? { domain: [(xs[0] ?? 0) - 1, (xs[0] ?? 0) + 1] } : {}),
      // Whole numbers (epochs): a tick on each while there are few, never 1.5.
      ...(options.integerX === true ? { tickFormat: 'd', ...(xs.length <= 12 ? { ticks: xs } : {}) } : {}),
    },
    y: { label: options.yLabel, grid: true, ...(options.yDomain === undefined ? {} : { domain: options.yDomain }) },
    color: { legend: true },
    marks: [
      ...(joined.length === 0 ? [] : [Plot.line(joined, { x: 'x', y: 'y', stroke: 'series' })]),
      Plot.dot(points, { x: 'x', y: 'y', fill: 'series', r: 2.5, tip: true }),
      ...(options.mark === null || options.mark === undefined
        ? []
        : [Plot.ruleX([options.mark], { stroke: '#b3261e', strokeDasharray: '3,3' })]),
    ],
  });
}

/** A log-mel spectrogram (`[frames, melBins]` row-major) as a raster: time across, mel bins up. */
export function spectrogramRaster(
  frames: number,
  melBins: number,
  hopMs: number,
  values: readonly number[],
): SVGSVGElement | HTMLElement {
  // Plot.raster fills rows from y1 to y2: row r of the grid is mel bin melBins - 1 - r (highest first).
  const grid = new Float64Array(frames * melBins);
  for (let t = 0; t < frames; t++)
    for (let m = 0; m < melBins; m++) grid[(melBins - 1 - m) * frames + t] = values[t * melBins + m] ?? 0;
  return Plot.plot({
    width: 310,
    height: 110,
    marginLeft: 30,
    marginBottom: 22,
    x: { label: 'ms' },
    y: { label: 'mel', ticks: 2 },
    color: { scheme: 'magma' },
    marks: [
      Plot.raster(grid, {
        width: frames,
        height: melBins,
        x1: 0,
        x2: frames * hopMs,
        y1: melBins,
        y2: 0,
        imageRendering: 'pixelated',
      }),
    ],
  });
}

/** A scatter plot, one dot per datum, coloured by a field; each dot gets `onDot` on click and a tooltip. */
export function scatter<T extends { x: number; y: number }>(
  data: readonly T[],
  colour: (d: T) => string,
  title: (d: T) => string,
  onDot: (d: T) => void,
  scheme: 'tableau10' | 'paired' = 'tableau10',
): SVGSVGElement | HTMLElement {
  const figure = Plot.plot({
    width: 760,
    height: 520,
    x: { label: 'PC 1' },
    y: { label: 'PC 2' },
    color: { legend: true, type: 'categorical', scheme },
    marks: [Plot.dot(data, { x: 'x', y: 'y', fill: colour, r: 3.5, fillOpacity: 0.8, title })],
  });
  figure.querySelectorAll('g[aria-label="dot"] circle').forEach((circle, index) => {
    const datum = data[index];
    if (datum === undefined) return;
    (circle as SVGCircleElement).style.cursor = 'pointer';
    circle.addEventListener('click', () => onDot(datum));
  });
  return figure;
}

/** A metric against one numeric parameter, one dot per trial. */
export function metricAgainst(
  rows: ReadonlyArray<{ parameter: string; value: number; metric: number }>,
  metricName: string,
): SVGSVGElement | HTMLElement {
  return Plot.plot({
    width: 760,
    height: 220,
    fx: { label: null },
    x: { label: null },
    y: { label: metricName, grid: true },
    marks: [Plot.dot(rows, { fx: 'parameter', x: 'value', y: 'metric', fill: '#1d6fd6', tip: true })],
  });
}

/** One finished epoch of a training run. */
export interface EpochPoint {
  readonly epoch: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly valAccuracy: number;
}

/**
 * Training curves per epoch: the loss (nats) and, on their own 0-1 axis, training and validation
 * accuracy; the kept epoch marked. A note when there is no history.
 */
export function epochCurves(history: readonly EpochPoint[], keptEpoch: number | null): HTMLElement {
  if (history.length === 0) {
    const note = document.createElement('p');
    note.className = 'note';
    note.textContent =
      'No training history: not trained here (an ensemble, an import), not recorded, or no epoch finished yet.';
    return note;
  }
  const loss = history.map((e) => ({ series: 'training loss', x: e.epoch, y: e.loss }));
  const accuracy = history.flatMap((e) => [
    { series: 'training accuracy', x: e.epoch, y: e.accuracy },
    { series: 'validation accuracy', x: e.epoch, y: e.valAccuracy },
  ]);
  const grid = document.createElement('div');
  grid.className = 'grid';
  grid.append(
    lines(loss, { xLabel: 'epoch', yLabel: 'loss (nats)', mark: keptEpoch, integerX: true }),
    lines(accuracy, { xLabel: 'epoch', yLabel: 'accuracy', mark: keptEpoch, yDomain: [0, 1], integerX: true }),
  );
  return grid;
}
