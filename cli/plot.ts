/**
 * `dnnc train --plot FILE.svg`: the loss and metric curves of a run, one
 * panel per quantity (loss, accuracy, ...), training and validation in two
 * colours, one line per seed with --seeds. Drawn by Vega-Lite (compiled to a
 * Vega spec and rendered to SVG headless in Node). vega and vega-lite are
 * optional packages, loaded only when a plot is asked for.
 */
import { CliError } from './common.js';

/** One epoch of one run, flat: { epoch, loss, accuracy, val_loss, val_accuracy, seconds }. */
export type HistoryRow = Record<string, number>;

interface Point {
  epoch: number;
  quantity: string;
  split: 'training' | 'validation';
  seed: string;
  value: number;
}

/** The rows in long form: one point per epoch, quantity (loss, accuracy, ...), split and seed. */
export function curvePoints(runs: { seed: number | undefined; history: HistoryRow[] }[]): Point[] {
  const points: Point[] = [];
  for (const run of runs)
    for (const row of run.history)
      for (const [key, value] of Object.entries(row)) {
        if (key === 'epoch' || key === 'seconds' || !Number.isFinite(value)) continue;
        const validation = key.startsWith('val_');
        points.push({ epoch: row.epoch, quantity: validation ? key.slice(4) : key, split: validation ? 'validation' : 'training', seed: String(run.seed ?? 'default'), value });
      }
  return points;
}

/** The Vega-Lite spec of the curves: a row of panels, each with its own y scale. */
export function curvesSpec(points: Point[], title: string): Record<string, unknown> {
  const seeds = new Set(points.map((p) => p.seed)).size;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: points },
    facet: { column: { field: 'quantity', type: 'nominal', title: null, sort: ['loss'] } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 260,
      height: 180,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'split', type: 'nominal', title: null },
        ...(seeds > 1 ? { detail: { field: 'seed', type: 'nominal' } } : {}),
      },
    },
    config: { background: 'white' },
  };
}

async function loadCharting(): Promise<{ vega: typeof import('vega'); vegaLite: typeof import('vega-lite') }> {
  try {
    const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
    return { vega, vegaLite };
  } catch {
    throw new CliError('--plot needs the packages vega and vega-lite, which dnnc loads only for plots: npm install vega vega-lite');
  }
}

/** The SVG text of the curves. */
export async function renderCurves(runs: { seed: number | undefined; history: HistoryRow[] }[], title: string): Promise<string> {
  const points = curvePoints(runs);
  if (points.length === 0) throw new CliError('--plot: the run recorded no epoch to draw');
  const { vega, vegaLite } = await loadCharting();
  const compiled = vegaLite.compile(curvesSpec(points, title) as unknown as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
