/**
 * `dnnc summary FILE`: a Keras-style table per model: each layer call of the
 * predict graph in source order with its output shape and parameter count,
 * then the totals (trainable, non-trainable: batchnorm's running statistics,
 * which TF.js's countParams also counts).
 */
import type { CompiledModel, TensorSpec } from '../compiler/compiled.js';
import { shapeToString } from '../compiler/dims.js';

export interface SummaryRow {
  /** the layer's path in the model (`dense_1`, `Residual_1.conv2d_2`), or kind_N for layers without weights */
  name: string;
  kind: string;
  output: string;
  params: number;
  /** a named layer called again: its weights are counted at its first call */
  shared?: boolean;
}

export interface ModelSummary {
  model: string;
  rows: SummaryRow[];
  trainable: number;
  nonTrainable: number;
  total: number;
}

const size = (t: TensorSpec) => t.shape.reduce((a, b) => a * b, 1);

export function summarize(model: CompiledModel): ModelSummary {
  const prefix = `${model.name}.`;
  const tensors = [...model.params, ...model.state];
  const counted = new Set<string>();
  const unnamed = new Map<string, number>();
  const rows: SummaryRow[] = [];
  for (const call of model.calls ?? []) {
    const output = `${call.dtype}${shapeToString(call.shape)}`;
    if (call.path === undefined) {
      const n = (unnamed.get(call.kind) ?? 0) + 1;
      unnamed.set(call.kind, n);
      rows.push({ name: `${call.kind}_${n}`, kind: call.kind, output, params: 0 });
      continue;
    }
    const name = call.path.startsWith(prefix) ? call.path.slice(prefix.length) : call.path;
    if (counted.has(call.path)) {
      rows.push({ name, kind: call.kind, output, params: 0, shared: true });
      continue;
    }
    counted.add(call.path);
    const mine = tensors.filter((t) => t.path.startsWith(`${call.path}.`));
    rows.push({ name, kind: call.kind, output, params: mine.reduce((a, t) => a + size(t), 0) });
  }
  const trainable = model.params.reduce((a, t) => a + size(t), 0);
  const nonTrainable = model.state.reduce((a, t) => a + size(t), 0);
  // weights no layer call claims (none today): shown, so that the rows add up to the total
  const rest = trainable + nonTrainable - rows.reduce((a, r) => a + r.params, 0);
  if (rest !== 0) rows.push({ name: '(other weights)', kind: '', output: '', params: rest });
  return { model: model.name, rows, trainable, nonTrainable, total: trainable + nonTrainable };
}

const num = (n: number) => n.toLocaleString('en-US');

/** The table as text: Layer (kind) | Output shape | Param #, then the totals. */
export function formatSummary(s: ModelSummary): string {
  const head = ['Layer (kind)', 'Output shape', 'Param #'];
  const body = s.rows.map((r) => [r.kind ? `${r.name} (${r.kind})` : r.name, r.output, r.shared ? '0 (shared)' : num(r.params)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('   ').trimEnd();
  const rule = (ch: string) => ch.repeat(widths.reduce((a, w) => a + w, 0) + 6);
  return [
    `Model: ${s.model}`,
    rule('='),
    line(head),
    rule('-'),
    ...body.map(line),
    rule('='),
    `Total params: ${num(s.total)}`,
    `Trainable params: ${num(s.trainable)}`,
    `Non-trainable params: ${num(s.nonTrainable)}`,
    '',
  ].join('\n');
}
