/**
 * Test fixtures (not a test file): a hand-built MLP (784 -> 16 -> 10 by
 * default) as a CompiledModel, with an optional SGD training step built with
 * autodiff (loss = mean squared error against a one-hot target), and
 * feeding helpers for the reference interpreter.
 */
import { GraphBuilder } from '../../compiler/builder.js';
import type { CompiledModel, TensorSpec } from '../../compiler/compiled.js';
import { Graph, type Value } from '../../compiler/ir.js';
import type { RefTensor } from '../../compiler/ops/types.js';
import { gradients } from '../../compiler/passes/autodiff.js';

export interface MlpOptions {
  inDim?: number;
  hidden?: number;
  outDim?: number;
  train?: boolean;
  name?: string;
  schedule?: NonNullable<CompiledModel['train']>['schedule'];
}

function forward(b: GraphBuilder, opt: Required<Pick<MlpOptions, 'inDim' | 'hidden' | 'outDim'>>, name: string) {
  const x = b.input('x', 'f32', ['B', opt.inDim]);
  b.scope = `${name}.dense_1`;
  const w1 = b.param('dense_1.w', 'f32', [opt.inDim, opt.hidden], { kind: 'he_normal', fanIn: opt.inDim });
  const b1 = b.param('dense_1.b', 'f32', [opt.hidden], { kind: 'zeros' });
  const h = b.op('relu', [b.add(b.op('matmul', [x, w1]), b1)]);
  b.scope = `${name}.dense_2`;
  const w2 = b.param('dense_2.w', 'f32', [opt.hidden, opt.outDim], { kind: 'glorot_uniform', fanIn: opt.hidden, fanOut: opt.outDim });
  const b2 = b.param('dense_2.b', 'f32', [opt.outDim], { kind: 'constant', value: 0.1 });
  const logits = b.add(b.op('matmul', [h, w2]), b2);
  return { x, params: [w1, b1, w2, b2], logits };
}

export function mlpModel(options: MlpOptions = {}): CompiledModel {
  const opt = { inDim: options.inDim ?? 784, hidden: options.hidden ?? 16, outDim: options.outDim ?? 10 };
  const name = options.name ?? 'MLP';
  const g = new Graph(`${name}.predict`);
  const { logits } = forward(new GraphBuilder(g), opt, name);
  g.outputs = [{ name: 'logits', value: logits }];
  const paramSpecs: TensorSpec[] = g.leaves('param').map((n) => ({
    path: String(n.attrs.path),
    dtype: 'f32',
    shape: n.attrs.shape as number[],
    init: n.attrs.init as TensorSpec['init'],
  }));
  const model: CompiledModel = {
    name,
    inputs: [{ name: 'x', dtype: 'f32', shape: ['B', opt.inDim] }],
    outputs: [{ name: 'logits', dtype: 'f32', shape: ['B', opt.outDim] }],
    params: paramSpecs,
    state: [],
    predict: g,
  };
  if (!options.train) return model;

  const lossGraph = (gname: string, withUpdate: boolean) => {
    const sg = new Graph(`${name}.${gname}`);
    const b = new GraphBuilder(sg);
    const f = forward(b, opt, name);
    b.scope = `${name}.loss`;
    const t = b.input('target', 'f32', ['B', opt.outDim], 'train');
    const loss = b.op('reduce_mean', [b.op('square', [b.sub(f.logits, t)])], { axes: [], keepdims: false });
    sg.outputs = [{ name: 'loss', value: loss }];
    if (!withUpdate) {
      sg.outputs.push({ name: 'mae', value: b.op('reduce_mean', [b.op('abs', [b.sub(f.logits, t)])], { axes: [], keepdims: false }) });
      return sg;
    }
    const lr = b.input('lr', 'f32', [], 'hyper');
    const step = b.input('step', 'f32', [], 'hyper');
    const grads = gradients(b, loss, f.params);
    b.scope = `${name}.sgd`;
    sg.updates = f.params.map((p: Value) => ({ path: String(p.node.attrs.path), value: b.sub(p, b.mul(grads.get(p)!, lr)) }));
    // expose the hyper inputs as metrics so tests can see what the runtime fed
    sg.outputs.push({ name: 'lr', value: b.add(lr, b.scalar(0)) }, { name: 'step', value: b.add(step, b.scalar(0)) });
    return sg;
  };
  model.train = {
    name: `train_${name}`,
    step: lossGraph('step', true),
    evaluate: lossGraph('evaluate', false),
    trainInputs: [{ name: 'target', dtype: 'f32', shape: ['B', opt.outDim] }],
    state: [],
    optimizer: { kind: 'sgd', lr: 0.05, options: {} },
    schedule: options.schedule ?? { kind: 'constant', options: {} },
    batch: 8,
    epochs: 2,
    metrics: [
      { name: 'lr', reduce: 'mean' },
      { name: 'step', reduce: 'mean' },
    ],
  };
  return model;
}

export function ref(shape: number[], data: ArrayLike<number>): RefTensor {
  return { dtype: 'f32', shape, data: Float64Array.from(data) };
}

/** Deterministic pseudo-random f32 data in [-1, 1). */
export function randomData(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}
