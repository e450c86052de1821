/**
 * training.py of the exported package: the train block of one model as
 * data (optimizer, schedule, batch, epochs, clipping, metric names, the
 * checkpoint names of the optimizer state) and loss_and_metrics(outputs,
 * batch), the block's loss and metrics written from its evaluation graph.
 *
 * The evaluation graph holds the model's forward and then the loss; the
 * model's outputs are the values bound to the output names. The function
 * starts from them (and from the batch's inputs) and computes only what
 * the loss and the metrics need. A loss that reads the model's weights
 * directly (an explicit weight penalty) is not exported yet.
 */
import type { CompiledModel } from '../../compiler/compiled.js';
import type { Value } from '../../compiler/ir.js';
import { identifier } from './names.js';
import { translate } from './translate.js';

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

/** A Python literal of JSON-like data. */
export function pyLiteral(x: unknown): string {
  if (x === null || x === undefined) return 'None';
  if (typeof x === 'boolean') return x ? 'True' : 'False';
  if (typeof x === 'number') return Number.isFinite(x) ? String(x) : x > 0 ? "float('inf')" : "float('-inf')";
  if (typeof x === 'string') return JSON.stringify(x);
  if (Array.isArray(x)) return `[${x.map(pyLiteral).join(', ')}]`;
  return `{${Object.entries(x as Record<string, unknown>)
    .map(([k, v]) => `${JSON.stringify(k)}: ${pyLiteral(v)}`)
    .join(', ')}}`;
}

/** The `train Name { ... }` block of the source, for the docstring. */
function trainBlock(source: string | undefined, name: string): string | undefined {
  if (!source) return undefined;
  const m = new RegExp(`^train\\s+${name}\\b[^{]*\\{`, 'm').exec(source);
  if (!m) return undefined;
  let depth = 0;
  for (let i = m.index; i < source.length; i++) {
    if (source[i] === '{') depth++;
    else if (source[i] === '}' && --depth === 0) return source.slice(m.index, i + 1);
  }
  return undefined;
}

/** loss_and_metrics(outputs, batch) as Python lines. */
function lossFunction(model: CompiledModel, source: string | undefined): string[] {
  const train = model.train!;
  const g = train.evaluate;
  const given = new Map<number, string>();
  const pre: string[] = [];
  const dimSources: { expr: string; shape: readonly (string | number)[] }[] = [];
  const taken: string[] = [];
  // the model's outputs: the last value bound to each output name
  for (const o of model.outputs) {
    let found: Value | undefined;
    for (const n of g.nodes) for (const v of n.outputs) if (v.name === o.name && n.op !== 'input') found = v;
    if (!found) throw new ExportError(`cannot find the output '${o.name}' of ${model.name} in the train block's evaluation graph`);
    const name = identifier(o.name);
    given.set(found.id, name);
    pre.push(`${name} = outputs[${JSON.stringify(o.name)}]`);
    dimSources.push({ expr: name, shape: o.shape });
    taken.push(name);
  }
  for (const n of g.nodes) {
    if (n.op !== 'input') continue;
    const name = identifier(String(n.attrs.name));
    if (taken.includes(name)) continue;
    given.set(n.outputs[0].id, name);
    taken.push(name);
    dimSources.push({ expr: name, shape: n.outputs[0].type.shape });
  }
  const roots = g.outputs.map((o) => o.value);
  // which inputs the loss reads, and that it reads no weights
  const reads = new Set<number>();
  const seen = new Set<number>();
  const stack = roots.map((v) => v);
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v.id)) continue;
    seen.add(v.id);
    if (given.has(v.id)) {
      reads.add(v.id);
      continue;
    }
    if (v.node.op === 'param' || v.node.op === 'state')
      throw new ExportError(`the loss of ${model.name}'s train block reads the weight '${String(v.node.attrs.path)}' directly: not exported to PyTorch yet (apply a weight penalty with the optimizer's weight_decay)`);
    stack.push(...v.node.inputs);
  }
  for (const n of g.nodes) if (n.op === 'input' && reads.has(n.outputs[0].id)) pre.push(`${given.get(n.outputs[0].id)} = batch[${JSON.stringify(String(n.attrs.name))}]`);
  const t = translate({
    graph: g,
    roots,
    rootNames: g.outputs.map((o) => o.name),
    given,
    tensor: () => {
      throw new Error('internal: the loss reads no weights');
    },
    calls: new Map(),
    skip: new Set(),
    dimSources: dimSources.filter((d, i) => i < model.outputs.length || [...reads].some((id) => given.get(id) === d.expr)),
    reserved: ['outputs', 'batch', 'torch', 'F', 'ops', 'device', ...taken],
    bufferPrefix: 'CONSTANTS.',
    model: model.name,
  });
  if (t.constants.length) throw new ExportError(`the loss of ${model.name}'s train block uses a large constant tensor: not exported to PyTorch yet`);
  const metrics = g.outputs.slice(1).map((o, i) => `${JSON.stringify(o.name)}: ${t.results[i + 1]}`);
  const block = trainBlock(source, train.name);
  return [
    'def loss_and_metrics(outputs, batch):',
    `    """The loss and the metrics of train ${train.name}, as dnnc computes them (per batch; metrics are means over the batch's samples).`,
    '',
    '    outputs: the model\'s outputs by name; batch: its inputs and the train inputs by name.',
    ...(block ? ['', ...block.split('\n').map((l) => '        ' + l.replace(/\\/g, '\\\\'))] : []),
    '    """',
    ...[...pre, ...t.lines].map((l) => '    ' + l),
    `    return ${t.results[0]}, {${metrics.join(', ')}}`,
  ];
}

export function trainingSource(model: CompiledModel, file: string, source: string | undefined, data: { train: string; validation?: string }): string {
  const t = model.train!;
  const lines = [
    `"""The train block of ${model.name} (${file}): what train.py runs.`,
    '',
    "OPTIMIZER and SCHEDULE are dnnc's own descriptions (a checkpoint's metadata holds them",
    "too); optim.py turns them into torch.optim and the learning rate of each step.",
    '"""',
    'import torch',
    'import torch.nn.functional as F',
    '',
    'import ops',
    '',
    `MODEL = ${JSON.stringify(model.name)}`,
    `TRAIN_BLOCK = ${JSON.stringify(t.name)}`,
    `OPTIMIZER = ${pyLiteral(t.optimizer)}`,
    `SCHEDULE = ${pyLiteral(t.schedule)}`,
    `BATCH = ${t.batch}`,
    `EPOCHS = ${t.epochs}`,
    `SEED = ${t.seed ?? 0}`,
    `# clip = norm(max): gradients scaled by max / max(global norm, max); None: no clipping`,
    `CLIP = ${t.clip ?? 'None'}`,
    `INPUTS = ${pyLiteral(model.inputs.map((i) => i.name))}`,
    `TRAIN_INPUTS = ${pyLiteral(t.trainInputs.map((i) => i.name))}`,
    `METRICS = ${pyLiteral(t.metrics.map((m) => m.name))}`,
    '# the optimizer state as dnnc names it in checkpoints (optimizer/<name>): (name, shape)',
    'OPTIMIZER_STATE = [',
    ...t.state.map((s) => `    (${JSON.stringify(s.path)}, [${s.shape.join(', ')}]),`),
    ']',
    '# the data sets of the train block, written by the export (fields named like the inputs)',
    `DATA = ${pyLiteral({ train: data.train, validation: data.validation ?? null })}`,
    `DATASETS = ${pyLiteral({ train: t.data ?? null, validation: t.validate ?? null })}`,
    '',
    '',
    ...lossFunction(model, source),
  ];
  return lines.join('\n') + '\n';
}
