/**
 * Lowering of `train` blocks: the model body is lowered again into the step
 * graph, the block's fields are evaluated in an environment that sees the
 * model's inputs, bindings and outputs plus the declared train inputs, then
 * autodiff and the optimizer lowering turn the loss into parameter updates.
 * A second graph (forward + loss + metrics) serves evaluation.
 */
import type * as A from '../../grammar/ast.js';
import type { Span } from '../../grammar/span.js';
import type { DataSpec, IOSpec, MetricSpec, OptimizerSpec, ScheduleSpec, TrainSpec } from '../compiled.js';
import { CompileAbort, didYouMean } from '../diagnostics.js';
import { shapeToString } from '../dims.js';
import { Graph, type Value } from '../ir.js';
import { gradients } from '../passes/autodiff.js';
import { lowerOptimizer } from '../passes/optimizer.js';
import { Env } from './env.js';
import { SilentAbort, type Lowerer } from './lowerer.js';
import { describe, type LVal } from './values.js';

const FIELDS = ['data', 'validate', 'loss', 'optimizer', 'schedule', 'batch', 'epochs', 'metrics', 'clip', 'seed'] as const;

interface TrainFields {
  loss?: { v: Value; span: Span };
  optimizer?: OptimizerSpec;
  schedule?: ScheduleSpec;
  data?: DataSpec;
  validate?: DataSpec;
  batch?: number;
  epochs?: number;
  metrics: { name: string; v: Value }[];
  clip?: number;
  seed?: number;
  trainInputs: IOSpec[];
}

/** Lower one train block for `model`; returns undefined after reporting diagnostics. */
export function lowerTrain(lw: Lowerer, decl: A.TrainDecl, model: A.ModelDecl): TrainSpec | undefined {
  const before = lw.diag.items.length;
  const step = build(lw, decl, model, true);
  const evaluate = build(lw, decl, model, false);
  if (!step || !evaluate || lw.diag.items.length > before) return undefined;
  const f = step.fields;
  return {
    name: decl.name.name,
    step: step.graph,
    evaluate: evaluate.graph,
    trainInputs: f.trainInputs,
    state: step.state,
    optimizer: f.optimizer ?? { kind: 'adam', lr: 1e-3, options: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 } },
    schedule: f.schedule ?? { kind: 'constant', options: {} },
    batch: f.batch ?? 32,
    epochs: f.epochs ?? 1,
    data: f.data,
    validate: f.validate,
    metrics: f.metrics.map((m): MetricSpec => ({ name: m.name, reduce: 'mean' })),
    seed: f.seed,
  };
}

function build(lw: Lowerer, decl: A.TrainDecl, model: A.ModelDecl, withUpdates: boolean) {
  const graph = new Graph(`${model.name.name}.${withUpdates ? 'trainStep' : 'evaluate'}`);
  const lowered = lw.lowerModel(model, graph, withUpdates ? 'train' : 'evaluate');
  const env = new Env(lowered.env);
  const fields: TrainFields = { metrics: [], trainInputs: [] };
  const seen = new Map<string, Span>();
  lw.body(decl.body, env, 'train', {
    onOther: (s) => {
      if (s.kind === 'TrainInput') {
        const t = lw.tensorType(s.type, env, 'check');
        const v = lw.b.input(s.name.name, t.dtype, t.shape, 'train');
        v.name = s.name.name;
        env.set(s.name.name, { kind: 'tensor', v, span: s.name.span }, s.name.span);
        fields.trainInputs.push({ name: s.name.name, dtype: t.dtype, shape: t.shape });
        return true;
      }
      if (s.kind !== 'Binding') return false;
      const name = s.target.name;
      if (!(FIELDS as readonly string[]).includes(name)) {
        const hint = didYouMean(name, FIELDS);
        if (hint) lw.fail('DNN0005', s.target.span, { callee: 'train', name, hint });
        return false; // a local binding: evaluated by the caller
      }
      if (seen.has(name)) lw.fail('DNN0016', s.target.span, { name });
      seen.set(name, s.target.span);
      field(lw, env, s, fields, decl, model);
      return true;
    },
  });
  if (!fields.loss) {
    if (!seen.has('loss')) lw.diag.error('DNN0020', decl.name.span, { train: decl.name.name, field: 'loss', hint: '; e.g. loss = cross_entropy(logits, label)' });
    return undefined;
  }
  graph.outputs.push({ name: 'loss', value: fields.loss.v });
  for (const m of fields.metrics) graph.outputs.push({ name: m.name, value: m.v });
  let state: TrainSpec['state'] = [];
  if (withUpdates) {
    const params = graph.nodes.filter((n) => n.op === 'param');
    const grads = gradients(lw.b, fields.loss.v, params.map((n) => n.outputs[0]));
    const withGrad = params.filter((n) => grads.get(n.outputs[0]));
    if (withGrad.length === 0) {
      lw.diag.error('DNN0027', fields.loss.span, { message: `the loss does not depend on any trainable parameter of '${model.name.name}'` });
      return undefined;
    }
    state = lowerOptimizer(
      lw.b,
      withGrad.map((n) => ({ path: String(n.attrs.path), shape: n.outputs[0].type.shape as number[], value: n.outputs[0], grad: grads.get(n.outputs[0])! })),
      fields.optimizer ?? { kind: 'adam', lr: 1e-3, options: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 } },
      fields.clip,
    );
  }
  return { graph, fields, state };
}

function field(lw: Lowerer, env: Env, s: A.Binding, f: TrainFields, decl: A.TrainDecl, model: A.ModelDecl): void {
  const name = s.target.name;
  try {
    const v = lw.expr(s.value, env, true);
    const want = (kind: LVal['kind'], what: string) => {
      if (v.kind !== kind) lw.fail('DNN0017', s.value.span, { message: `'${name}' must be ${what}, got ${describe(v)}` });
    };
    if (s.on && name !== 'optimizer') lw.fail('DNN0022', s.on[0].span, { message: `'on' only applies to the optimizer` });
    switch (name) {
      case 'data':
      case 'validate':
        if (v.kind === 'sym') lw.fail('DNN0019', v.span, { name: v.name, hint: didYouMean(v.name, ['loans', 'csv', 'mnist']) });
        want('data', 'a data set such as loans(split: train) or csv("file.csv", label: "y")');
        f[name] = (v as Extract<LVal, { kind: 'data' }>).spec;
        return;
      case 'loss': {
        if (v.kind !== 'tensor') return lw.fail('DNN0017', s.value.span, { message: `the loss must be a tensor expression, got ${describe(v)}` });
        if (v.v.type.shape.length !== 0)
          lw.fail('DNN0014', s.value.span, { shape: shapeToString(v.v.type.shape), hint: '' }, 'reduce it to a scalar, e.g. loss = mean(...)');
        if (v.v.type.dtype !== 'f32') lw.fail('DNN0018', s.value.span, { message: `the loss must be f32, got ${v.v.type.dtype}` });
        f.loss = { v: v.v, span: s.value.span };
        return;
      }
      case 'optimizer':
        want('optimizer', 'an optimizer such as adam(lr: 1e-3)');
        for (const on of s.on ?? [])
          if (on.name !== model.name.name) {
            if (lw.models.has(on.name)) lw.fail('DNN0015', on.span, { what: `training a model other than '${model.name.name}' from this block`, hint: ' (it arrives with the GAN work)' });
            else lw.fail('DNN0013', on.span, { train: decl.name.name, name: on.name, hint: didYouMean(on.name, lw.models.keys()) });
          }
        f.optimizer = (v as Extract<LVal, { kind: 'optimizer' }>).spec;
        return;
      case 'schedule':
        want('schedule', 'a schedule such as cosine(warmup: 100)');
        f.schedule = (v as Extract<LVal, { kind: 'schedule' }>).spec;
        return;
      case 'batch':
      case 'epochs':
      case 'seed':
        if (v.kind !== 'num' || !Number.isInteger(v.value) || v.value < (name === 'seed' ? 0 : 1))
          lw.fail('DNN0017', s.value.span, { message: `'${name}' must be a ${name === 'seed' ? 'non-negative' : 'positive'} integer, got ${describe(v)}` });
        f[name] = (v as Extract<LVal, { kind: 'num' }>).value;
        return;
      case 'clip':
        if (v.kind === 'num') f.clip = v.value;
        else {
          want('clip', 'a clipping rule such as norm(1.0)');
          f.clip = (v as Extract<LVal, { kind: 'clip' }>).norm;
        }
        return;
      case 'metrics': {
        const items = v.kind === 'list' ? v.items : [v];
        for (const m of items) {
          if (m.kind === 'metric') f.metrics.push({ name: uniqueName(m.name, f.metrics), v: m.v });
          else if (m.kind === 'tensor' && m.v.type.shape.length === 0) f.metrics.push({ name: uniqueName('metric', f.metrics), v: m.v });
          else lw.fail('DNN0017', m.span, { message: `a metric must be accuracy(...) or a scalar expression, got ${describe(m)}` });
        }
        return;
      }
    }
  } catch (e) {
    if (!(e instanceof CompileAbort || e instanceof SilentAbort)) throw e;
  }
}

function uniqueName(name: string, taken: { name: string }[]): string {
  if (!taken.some((t) => t.name === name)) return name;
  let i = 2;
  while (taken.some((t) => t.name === `${name}_${i}`)) i++;
  return `${name}_${i}`;
}
