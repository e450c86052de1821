/**
 * compile: .dnn source -> CompiledFile. Parse, lower every model to its
 * predict graph, lower train blocks to step/evaluate graphs, run the pass
 * pipeline on each, and collect diagnostics. Never throws for user errors.
 */
import type * as A from '../grammar/ast.js';
import { parse } from '../grammar/index.js';
import { syntheticSpan } from '../grammar/span.js';
import type { CompiledFile, CompiledModel, TrainSpec } from './compiled.js';
import { DiagnosticBag, didYouMean, type Diagnostic } from './diagnostics.js';
import { Graph } from './ir.js';
import { Lowerer } from './lower/lowerer.js';
import { lowerTrain } from './lower/train.js';
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
  for (const m of modelDecls) {
    if (lw.models.get(m.name.name) !== m) continue; // a duplicate, already reported
    const errorsBefore = diag.items.length;
    const low = lw.lowerModel(m, new Graph(`${m.name.name}.predict`));
    if (diag.items.length > errorsBefore) continue;
    for (const o of low.outputs) low.graph.outputs.push({ name: o.name, value: o.value });
    lowered.push(printGraph(low.graph));
    optimizeGraph(low.graph, { verify: options.verify });
    optimized.push(printGraph(low.graph));
    models.push({
      name: m.name.name,
      inputs: low.inputs.map((i) => ({ name: i.name, dtype: i.value.type.dtype, shape: i.value.type.shape })),
      outputs: low.outputs.map((o) => ({ name: o.name, dtype: o.value.type.dtype, shape: o.value.type.shape })),
      params: low.params,
      state: low.state,
      predict: low.graph,
    });
  }
  const trains = program.items.filter((i): i is A.TrainDecl => i.kind === 'Train');
  for (const t of trains) {
    const unsupported = t.body.find((s) => s.kind === 'Step' || s.kind === 'Sync');
    if (unsupported) {
      diag.error('DNN0015', unsupported.span, {
        what: unsupported.kind === 'Step' ? 'several optimizer steps in one train block' : `'sync' between models`,
        hint: ' (it arrives with the GAN and reinforcement-learning work)',
      });
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
      diag.error('DNN0015', targets[1].span, { what: 'one train block over several models', hint: ' (it arrives with the GAN work)' });
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
  if (!diag.hasErrors) result.file = { file, models };
  return result;
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
