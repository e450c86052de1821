/**
 * compile: .dnn source -> CompiledFile. Parse, lower every model to its
 * predict graph, lower train blocks to step/evaluate graphs, run the pass
 * pipeline on each, and collect diagnostics. Never throws for user errors.
 */
import type * as A from '../grammar/ast.js';
import { parse } from '../grammar/index.js';
import { syntheticSpan, type Span } from '../grammar/span.js';
import type { CompiledFile, CompiledModel, SyncSpec, TrainerSpec, TrainSpec } from './compiled.js';
import { shapeToString } from './dims.js';
import { DiagnosticBag, didYouMean, type Diagnostic } from './diagnostics.js';
import { Graph } from './ir.js';
import { MAX_OPERATIONS } from './limits.js';
import { Lowerer } from './lower/lowerer.js';
import { lowerTrain, lowerTrainer } from './lower/train.js';
import { optimizeGraph } from './passes/pipeline.js';
import { printGraph } from './print.js';

export interface CompileOptions {
  /** overrides for `param` declarations (from the CLI's --param or tests) */
  params?: Record<string, number>;
  /** the folder data paths are relative to (compileFile sets the .dnn file's folder) */
  sourceDir?: string;
  /** verify the IR after every pass (tests) */
  verify?: boolean;
}

export interface CompileStages {
  lowered?: string;
  optimized?: string;
  train?: string;
}

export interface CompileResult {
  file?: CompiledFile;
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
  stages: CompileStages;
}

export function compileSource(source: string, file: string, options: CompileOptions = {}): CompileResult {
  const sources = new Map([[file, source]]);
  const diag = new DiagnosticBag();
  const { program, diagnostics } = parse(source, file);
  for (const d of diagnostics) diag.add(d);
  const stages: CompileStages = {};
  const lw = new Lowerer(program, diag, options.params ?? {}, diagnostics.length > 0, options.sourceDir);
  const models: CompiledModel[] = [];
  const lowered: string[] = [];
  const optimized: string[] = [];
  const trainDumps: string[] = [];
  const modelDecls = program.items.filter((i): i is A.ModelDecl => i.kind === 'Model');
  // every graph counts against the file's MAX_OPERATIONS, differentiation included
  const spend = (g: Graph, span: Span): boolean => {
    lw.operationsSpent += g.nodes.length;
    if (lw.operationsSpent <= MAX_OPERATIONS) return true;
    diag.error('DNN0033', span, { message: `with ${g.name} the file compiles to ${lw.operationsSpent.toLocaleString('en-US')} operations, above the limit of ${MAX_OPERATIONS.toLocaleString('en-US')}` }, { help: 'shorten the unrolled sequences, the repeats or the loss expression' });
    return false;
  };
  for (const m of modelDecls) {
    if (lw.models.get(m.name.name) !== m) continue; // a duplicate, already reported
    const errorsBefore = diag.count;
    const low = lw.lowerModel(m, new Graph(`${m.name.name}.predict`));
    if (diag.count > errorsBefore) continue;
    for (const o of low.outputs) low.graph.outputs.push({ name: o.name, value: o.value });
    lowered.push(printGraph(low.graph));
    optimizeGraph(low.graph, { verify: options.verify });
    if (!spend(low.graph, m.name.span)) continue;
    optimized.push(printGraph(low.graph));
    models.push({
      name: m.name.name,
      inputs: low.inputs.map((i) => ({ name: i.name, dtype: i.value.type.dtype, shape: i.value.type.shape })),
      outputs: low.outputs.map((o) => ({ name: o.name, dtype: o.value.type.dtype, shape: o.value.type.shape })),
      params: low.params,
      state: low.state,
      predict: low.graph,
      layers: low.layers,
      calls: low.calls,
    });
  }
  const trains = program.items.filter((i): i is A.TrainDecl => i.kind === 'Train');
  const trainers: TrainerSpec[] = [];
  for (const t of trains) {
    const hasSteps = t.body.some((st) => st.kind === 'Step');
    const syncs = t.body.filter((st): st is A.Sync => st.kind === 'Sync');
    if (hasSteps || syncs.length) {
      const base = hasSteps ? undefined : (t.on ?? [t.name])[0];
      const decl = base ? lw.models.get(base.name) : undefined;
      if (base && !decl) {
        diag.error('DNN0013', base.span, { train: t.name.name, name: base.name, hint: didYouMean(base.name, lw.models.keys()) });
        continue;
      }
      if (decl && !models.some((m) => m.name === decl.name.name)) continue; // the model itself has errors
      const lowered = lowerTrainer(lw, t, decl);
      if (!lowered) continue;
      const { used, ...spec } = lowered;
      const syncSpecs = syncs.map((sy) => lowerSync(lw, sy, t, models, options)).filter((x): x is SyncSpec => !!x);
      if (syncSpecs.length !== syncs.length) continue;
      for (const st of spec.steps) {
        optimizeGraph(st.graph, { verify: options.verify });
        trainDumps.push(printGraph(st.graph));
      }
      if (!spec.steps.every((st) => spend(st.graph, t.name.span))) continue;
      trainers.push({ ...spec, syncs: syncSpecs, models: [...new Set([...used, ...syncSpecs.flatMap((x) => [x.from, x.to])])] });
      continue;
    }
    const targets = t.on ?? [t.name];
    const target = targets[0];
    const decl = lw.models.get(target.name);
    if (!decl) {
      diag.error('DNN0013', target.span, { train: t.name.name, name: target.name, hint: didYouMean(target.name, lw.models.keys()) });
      continue;
    }
    if (targets.length > 1) {
      diag.error('DNN0022', targets[1].span, { message: `a train block without steps trains one model; to train several, give it steps that call the models` });
      continue;
    }
    const compiled = models.find((m) => m.name === decl.name.name);
    if (!compiled) continue; // the model itself has errors
    if (compiled.train) {
      diag.error('DNN0016', t.name.span, { name: `a train block for ${compiled.name}` });
      continue;
    }
    const spec: TrainSpec | undefined = lowerTrain(lw, t, decl);
    if (!spec) continue;
    optimizeGraph(spec.step, { verify: options.verify });
    optimizeGraph(spec.evaluate, { verify: options.verify });
    if (!spend(spec.step, t.name.span) || !spend(spec.evaluate, t.name.span)) continue;
    trainDumps.push(printGraph(spec.step));
    compiled.train = spec;
  }
  for (const name of lw.unusedOverrides())
    diag.error('DNN0022', syntheticSpan(file), { message: `there is no param '${name}' to override${didYouMean(name, paramNames(program))}` });
  if (modelDecls.length === 0 && !diag.hasErrors) diag.error('DNN0023', syntheticSpan(file), {});
  stages.lowered = lowered.join('\n\n');
  stages.optimized = optimized.join('\n\n');
  stages.train = trainDumps.join('\n\n');
  const result: CompileResult = { diagnostics: diag.sorted(), sources, stages };
  if (!diag.hasErrors) result.file = { file, models, trainers };
  return result;
}

/**
 * `sync A -> B every N steps [tau: t]`: B is a declared model of the same
 * architecture, or (when undeclared) a copy of A's architecture made here.
 */
function lowerSync(lw: Lowerer, sy: A.Sync, t: A.TrainDecl, models: CompiledModel[], options: CompileOptions): SyncSpec | undefined {
  const from = models.find((m) => m.name === sy.from.name);
  if (!from) {
    if (!lw.models.has(sy.from.name)) lw.diag.error('DNN0013', sy.from.span, { train: t.name.name, name: sy.from.name, hint: didYouMean(sy.from.name, lw.models.keys()) });
    return undefined;
  }
  let to = models.find((m) => m.name === sy.to.name);
  if (!to) {
    if (lw.models.has(sy.to.name)) return undefined; // declared but has errors
    // an undeclared target: a second instance of the source's architecture
    const decl = lw.models.get(sy.from.name)!;
    const low = lw.lowerModel(decl, new Graph(`${sy.to.name}.predict`), 'predict', sy.to.name);
    for (const o of low.outputs) low.graph.outputs.push({ name: o.name, value: o.value });
    optimizeGraph(low.graph, { verify: options.verify });
    to = {
      name: sy.to.name,
      inputs: from.inputs,
      outputs: from.outputs,
      params: low.params,
      state: low.state,
      predict: low.graph,
      layers: low.layers,
    };
    models.push(to);
  }
  const rel = (path: string, model: string) => path.slice(model.length + 1);
  // parameters and model state (batchnorm running statistics) both follow the source
  const fromTensors = [...from.params, ...from.state];
  const toParams = new Map([...to.params, ...to.state].map((p) => [rel(p.path, to!.name), p]));
  const pairs: SyncSpec['pairs'] = [];
  const mismatch = () =>
    lw.diag.error('DNN0022', sy.span, {
      message: `sync ${sy.from.name} -> ${sy.to.name}: the models have different architectures (parameters ${from.params.map((p) => `${rel(p.path, from.name)}${shapeToString(p.shape)}`).join(', ')} vs ${to!.params.map((p) => `${rel(p.path, to!.name)}${shapeToString(p.shape)}`).join(', ')})`,
    });
  if (toParams.size !== fromTensors.length) {
    mismatch();
    return undefined;
  }
  for (const p of fromTensors) {
    const q = toParams.get(rel(p.path, from.name));
    if (!q || q.shape.length !== p.shape.length || q.shape.some((d, i) => d !== p.shape[i])) {
      mismatch();
      return undefined;
    }
    pairs.push({ from: p.path, to: q.path });
  }
  const num = (e: A.Expr | undefined, what: string, check: (x: number) => boolean): number | undefined => {
    if (!e) return undefined;
    try {
      const v = lw.expr(e, lw.globals);
      if (v.kind === 'num' && check(v.value)) return v.value;
      lw.diag.error('DNN0022', e.span, { message: `sync: ${what}` });
    } catch {
      // reported
    }
    return NaN;
  };
  const every = num(sy.every, "'every' must be a positive integer number of steps", (x) => Number.isInteger(x) && x >= 1) ?? 1;
  const tau = num(sy.tau, "'tau' must be a number in (0, 1]", (x) => x > 0 && x <= 1);
  if (Number.isNaN(every) || (tau !== undefined && Number.isNaN(tau))) return undefined;
  return { from: from.name, to: to.name, every, ...(tau !== undefined ? { tau } : {}), pairs };
}

function paramNames(p: A.Program): string[] {
  const out: string[] = [];
  const visit = (stmts: (A.Stmt | A.Item)[]) => {
    for (const s of stmts) {
      if (s.kind === 'Param') out.push(...s.entries.map((e) => e.name.name));
      if (s.kind === 'Model' || s.kind === 'Block') visit(s.body);
    }
  };
  visit(p.items);
  return out;
}
