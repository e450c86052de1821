/**
 * Lowering of `train` blocks: the model body is lowered again into the step
 * graph, the block's fields are evaluated in an environment that sees the
 * model's inputs, bindings and outputs plus the declared train inputs, then
 * autodiff and the optimizer lowering turn the loss into parameter updates.
 * A second graph (forward + loss + metrics) serves evaluation.
 */
import type * as A from '../../grammar/ast.js';
import type { Span } from '../../grammar/span.js';
import type { DataSpec, IOSpec, MetricSpec, OptimizerSpec, ScheduleSpec, TrainerSpec, TrainerStep, TrainSpec } from '../compiled.js';
import { dataFields, type DataFields } from './builtins/data-schemas.js';
import { builtins } from './builtins/index.js';
import { CompileAbort, didYouMean } from '../diagnostics.js';
import { dimSymbols, shapeToString, type Dim } from '../dims.js';
import { Graph, type Value } from '../ir.js';
import { gradients } from '../passes/autodiff.js';
import { lowerOptimizer } from '../passes/optimizer.js';
import { Env } from './env.js';
import { SilentAbort, type Lowerer } from './lowerer.js';
import { isTrainField, readsName, unknownFieldHint } from './train-fields.js';
import { describe, type LVal } from './values.js';


interface TrainFields {
  loss?: { v: Value; span: Span };
  optimizer?: OptimizerSpec;
  schedule?: ScheduleSpec;
  data?: DataSpec;
  validate?: DataSpec;
  test?: DataSpec;
  batch?: number;
  epochs?: number;
  metrics: { name: string; v: Value }[];
  clip?: number;
  seed?: number;
  trainInputs: IOSpec[];
  on?: A.Name[];
}

const DEFAULT_OPTIMIZER: OptimizerSpec = { kind: 'adam', lr: 1e-3, options: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 } };

/** Lower one train block for `model`; returns undefined after reporting diagnostics. */
export function lowerTrain(lw: Lowerer, decl: A.TrainDecl, model: A.ModelDecl): TrainSpec | undefined {
  const before = lw.diag.count;
  const step = build(lw, decl, decl.body, { model, withUpdates: true, graphName: `${model.name.name}.trainStep` });
  const evaluate = build(lw, decl, decl.body, { model, withUpdates: false, graphName: `${model.name.name}.evaluate` });
  if (!step || !evaluate || lw.diag.count > before) return undefined;
  const f = step.fields;
  return {
    name: decl.name.name,
    step: step.graph,
    evaluate: evaluate.graph,
    trainInputs: withDataFields(f.trainInputs, step.graph),
    state: step.state,
    optimizer: f.optimizer ?? DEFAULT_OPTIMIZER,
    schedule: f.schedule ?? { kind: 'constant', options: {} },
    batch: f.batch ?? 32,
    epochs: f.epochs ?? 1,
    data: f.data,
    validate: f.validate,
    ...(f.test ? { test: f.test } : {}),
    metrics: f.metrics.map((m): MetricSpec => ({ name: m.name, reduce: 'mean' })),
    seed: f.seed,
    ...(f.clip !== undefined ? { clip: f.clip } : {}),
  };
}

/** The declared train inputs, then the data fields the block reads as `data.label` (graph inputs too: the runtime must feed them). */
function withDataFields(declared: IOSpec[], graph: Graph): IOSpec[] {
  const read = graph
    .leaves('input')
    .filter((n) => n.attrs.role === 'train' && !declared.some((d) => d.name === n.attrs.name))
    .map((n): IOSpec => ({ name: String(n.attrs.name), dtype: n.outputs[0].type.dtype, shape: n.outputs[0].type.shape }));
  return [...declared, ...read];
}

/**
 * A train block with `step`s or `sync`s: every step is its own graph (the
 * block's common statements, then the step's), trained models are named by
 * `optimizer = ... on Model`. Without steps, the block is one step over its
 * model (DQN with a target network).
 */
export function lowerTrainer(lw: Lowerer, decl: A.TrainDecl, model: A.ModelDecl | undefined): Omit<TrainerSpec, 'syncs' | 'models'> & { used: Set<string> } | undefined {
  const before = lw.diag.count;
  const common = decl.body.filter((st) => st.kind !== 'Step' && st.kind !== 'Sync');
  const stepDecls = decl.body.filter((st): st is A.Step => st.kind === 'Step');
  const plans = stepDecls.length ? stepDecls.map((st) => ({ name: st.name.name, body: [...common, ...st.body], span: st.name.span })) : [{ name: 'step', body: common, span: decl.name.span }];
  const steps: TrainerStep[] = [];
  const used = new Set<string>(model ? [model.name.name] : []);
  let first: TrainFields | undefined;
  for (const plan of plans) {
    const built = build(lw, decl, plan.body, { model: stepDecls.length ? undefined : model, withUpdates: true, graphName: `${decl.name.name}.${plan.name}`, stepName: stepDecls.length ? plan.name : undefined, stepSpan: plan.span });
    if (!built) continue;
    first ??= built.fields;
    for (const n of built.graph.nodes) if (n.op === 'param') used.add(String(n.attrs.path).split('.')[0]);
    steps.push({
      name: plan.name,
      graph: built.graph,
      trains: built.trains,
      inputs: built.graph.leaves('input').filter((n) => n.attrs.role !== 'hyper').map((n) => ({ name: String(n.attrs.name), dtype: n.outputs[0].type.dtype, shape: n.outputs[0].type.shape })),
      optimizer: built.fields.optimizer ?? DEFAULT_OPTIMIZER,
      schedule: built.fields.schedule ?? { kind: 'constant', options: {} },
      state: built.state,
      metrics: built.fields.metrics.map((m): MetricSpec => ({ name: m.name, reduce: 'mean' })),
    });
  }
  if (!first || lw.diag.count > before) return undefined;
  return { name: decl.name.name, steps, batch: first.batch ?? 32, epochs: first.epochs ?? 1, data: first.data, validate: first.validate, ...(first.test ? { test: first.test } : {}), seed: first.seed, used };
}

interface BuildOptions {
  /** the model lowered into the graph (single-model blocks); absent in multi-step blocks, which call models */
  model?: A.ModelDecl;
  withUpdates: boolean;
  graphName: string;
  /** multi-step blocks: the step's name (tags its optimizer state) */
  stepName?: string;
  stepSpan?: Span;
}

function build(lw: Lowerer, decl: A.TrainDecl, stmts: A.Stmt[], o: BuildOptions) {
  const graph = new Graph(o.graphName);
  const mode = o.withUpdates ? 'train' : 'evaluate';
  let env: Env;
  if (o.model) env = new Env(lw.lowerModel(o.model, graph, mode).env);
  else {
    lw.beginGraph(graph, mode, decl.name.name);
    env = new Env(lw.globals);
  }
  lw.declareDim('B');
  lw.dataFields = undefined;
  lw.dataSpec = undefined;
  const fields: TrainFields = { metrics: [], trainInputs: [] };
  const seen = new Map<string, Span>();
  const errorsBefore = lw.diag.count;
  lw.body(stmts, env, 'train', {
    onOther: (st) => {
      if (st.kind === 'TrainInput') {
        // a second declaration of a name (another train input, or the model's input, output or local) would be a second input of that name
        lw.checkNew(st.name, env, true);
        const t = lw.tensorType(st.type, env, 'check');
        const v = lw.b.input(st.name.name, t.dtype, t.shape, 'train');
        v.name = st.name.name;
        env.set(st.name.name, { kind: 'tensor', v, span: st.name.span }, st.name.span);
        fields.trainInputs.push({ name: st.name.name, dtype: t.dtype, shape: t.shape });
        return true;
      }
      if (st.kind !== 'Binding') return false;
      const name = st.target.name;
      if (!isTrainField(name)) {
        // a local the block reads is fine (z = noise(B, 64)); anything else would be silently ignored
        if (!readsName(decl.body, name)) {
          const { hint, help } = unknownFieldHint(name);
          lw.fail('DNN0040', st.target.span, { train: decl.name.name, name, hint }, help);
        }
        return false; // a local binding: evaluated by the caller
      }
      if (seen.has(name)) lw.fail('DNN0016', st.target.span, { name });
      seen.set(name, st.target.span);
      field(lw, env, st, fields, decl, o.model);
      return true;
    },
  });
  const where = o.stepName ? `step '${o.stepName}'` : `train block '${decl.name.name}'`;
  // symbolic dims (the batch B) must be bound by some input at run time: a step that only
  // draws noise takes its batch size from the data set's first field
  const bound = new Set(graph.leaves('input').flatMap((n) => (n.attrs.shape as Dim[]).flatMap((d) => dimSymbols(d))));
  const used = new Set(graph.nodes.flatMap((n) => n.outputs.flatMap((v) => v.type.shape.flatMap((d) => dimSymbols(d)))));
  const unbound = [...used].filter((d) => !bound.has(d));
  if (unbound.length && lw.diag.count === errorsBefore) {
    // (set while the body ran: the narrowing from the reset above does not hold)
    const fields = lw.dataFields as DataFields | undefined;
    const field = fields && [...fields].find(([, f]) => unbound.every((d) => f.shape.some((x) => dimSymbols(x).includes(d))));
    if (field) lw.b.input(field[0], field[1].dtype, field[1].shape, 'train').name = field[0];
    else {
      lw.diag.error('DNN0011', o.stepSpan ?? decl.name.span, {
        dim: unbound.join(', '),
        hint: ` at run time: no input of ${where} has it; declare one (e.g. \`x : f32[${unbound[0]}, 4]\`) or read a field of the data set`,
      });
      return undefined;
    }
  }
  if (!fields.loss) {
    if (!seen.has('loss')) lw.diag.error('DNN0020', o.stepSpan ?? decl.name.span, { train: o.stepName ? `${decl.name.name}.${o.stepName}` : decl.name.name, field: 'loss', hint: '; e.g. loss = cross_entropy(logits, label)' });
    return undefined;
  }
  graph.outputs.push({ name: 'loss', value: fields.loss.v });
  for (const m of fields.metrics) graph.outputs.push({ name: m.name, value: m.v });
  // which models this step trains: `on`, else the block's model
  const trains = fields.on?.map((n) => n.name) ?? (o.model ? [o.model.name.name] : []);
  if (!o.model && !fields.on && o.withUpdates) {
    lw.diag.error('DNN0020', o.stepSpan ?? decl.name.span, { train: `${decl.name.name}.${o.stepName}`, field: 'optimizer = ... on Model', hint: ': a step names the models it trains' });
    return undefined;
  }
  if (trains.some((m) => !lw.models.has(m))) return undefined; // already reported
  let state: TrainSpec['state'] = [];
  if (o.withUpdates) {
    const params = graph.nodes.filter((n) => n.op === 'param' && trains.includes(String(n.attrs.path).split('.')[0]));
    const grads = gradients(lw.b, fields.loss.v, params.map((n) => n.outputs[0]));
    const withGrad = params.filter((n) => grads.get(n.outputs[0]));
    if (withGrad.length === 0) {
      lw.diag.error('DNN0027', fields.loss.span, { message: `the loss of ${where} does not depend on any trainable parameter of ${trains.map((t) => `'${t}'`).join(', ') || 'a model'}` });
      return undefined;
    }
    state = lowerOptimizer(
      lw.b,
      withGrad.map((n) => ({ path: String(n.attrs.path), shape: n.outputs[0].type.shape as number[], value: n.outputs[0], grad: grads.get(n.outputs[0])! })),
      fields.optimizer ?? DEFAULT_OPTIMIZER,
      fields.clip,
      o.stepName,
    );
  }
  return { graph, fields, state, trains };
}

function field(lw: Lowerer, env: Env, s: A.Binding, f: TrainFields, decl: A.TrainDecl, model: A.ModelDecl | undefined): void {
  const name = s.target.name;
  try {
    lw.inTrainField = true;
    lw.inDataField = name === 'data' || name === 'validate' || name === 'test';
    let v: LVal;
    try {
      v = lw.expr(s.value, env, true);
    } finally {
      lw.inTrainField = false;
      lw.inDataField = false;
    }
    const want = (kind: LVal['kind'], what: string) => {
      if (v.kind !== kind) lw.fail('DNN0017', s.value.span, { message: `'${name}' must be ${what}, got ${describe(v)}` });
    };
    if (s.on && name !== 'optimizer') lw.fail('DNN0022', s.on[0].span, { message: `'on' only applies to the optimizer` });
    switch (name) {
      case 'data':
      case 'validate':
      case 'test':
        if (v.kind === 'sym') lw.fail('DNN0019', v.span, { name: v.name, hint: didYouMean(v.name, [...builtins.values()].filter((b) => b.kind === 'data').map((b) => b.name)) });
        want('data', 'a data set such as loans(split: train) or csv("file.csv", label: "y")');
        f[name] = (v as Extract<LVal, { kind: 'data' }>).spec;
        if (name === 'data') {
          env.set('data', v, s.target.span);
          lw.dataFields = dataFields(f.data!);
          lw.dataSpec = f.data;
        }
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
        if (s.on) f.on = s.on; // recorded first: a misspelt model is one diagnostic, not two
        for (const on of s.on ?? []) {
          if (!lw.models.has(on.name)) lw.fail('DNN0013', on.span, { train: decl.name.name, name: on.name, hint: didYouMean(on.name, lw.models.keys()) });
          if (model && on.name !== model.name.name)
            lw.fail('DNN0022', on.span, { message: `this train block trains '${model.name.name}'; to train '${on.name}' too, write the block with steps that call the models` });
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
        const exprs = s.value.kind === 'List' ? s.value.items : [s.value];
        items.forEach((m, i) => {
          // a scalar expression reports under the function that computed it: metrics = [mse(recon, image)] -> 'mse'
          const e = exprs[i];
          const named = e?.kind === 'Call' ? e.callee.name : e?.kind === 'Pipe' ? e.target.callee.name : 'metric';
          if (m.kind === 'metric') f.metrics.push({ name: uniqueName(m.name, f.metrics), v: m.v });
          else if (m.kind === 'tensor' && m.v.type.shape.length === 0) f.metrics.push({ name: uniqueName(named, f.metrics), v: m.v });
          else lw.fail('DNN0017', m.span, { message: `a metric must be accuracy(...) or a scalar expression, got ${describe(m)}` });
        });
        return;
      }
    }
  } catch (e) {
    if (!(e instanceof CompileAbort || e instanceof SilentAbort)) throw e;
    // a data set that failed is reported once: `data.label` below is not a second error
    if (name === 'data') env.poison('data');
  }
}

function uniqueName(name: string, taken: { name: string }[]): string {
  if (!taken.some((t) => t.name === name)) return name;
  let i = 2;
  while (taken.some((t) => t.name === `${name}_${i}`)) i++;
  return `${name}_${i}`;
}
