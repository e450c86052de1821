/**
 * What the fuzzer checks on one input, in two stages (each under its own
 * time budget, enforced by the worker pool):
 *
 *  compile  parse, lower, passes. Every diagnostic must carry a catalog code
 *           and a location inside the input whose line and column agree with
 *           its offset; any exception is a crash.
 *  codegen  (inputs that compile without errors) the TypeScript module, its
 *           JavaScript (TypeScript's transpiler) parsed and evaluated by V8
 *           with a stand-in runtime that records its programs; their gpu.js
 *           kernel sources must parse and their WGSL declare no reserved
 *           names; small models (RUN_LIMIT elements, WORK_LIMIT
 *           multiply-adds at batch 2) then predict (and take a train step)
 *           on the CPU backend with inputs of the declared shapes, and
 *           trainers run each step. Any exception is a crash.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import vm from 'node:vm';
import { ts } from 'ts-morph';
import { emitModule } from '../../codegen/module/emit.js';
import { wgslReserved } from '../../codegen/names.js';
import { compileSource, type CompileResult } from '../../compiler/compile.js';
import type { CompiledFile } from '../../compiler/compiled.js';
import { catalog, type Diagnostic } from '../../compiler/diagnostics.js';
import { dimSymbols, evalShape, type Dim } from '../../compiler/dims.js';
import type { Graph, Value } from '../../compiler/ir.js';
import type { Span } from '../../grammar/span.js';
import { instantiate, instantiateTrainer } from '../../runtime/index.js';
import type { Program, TrainerProgram } from '../../runtime/program.js';
import type { IOSpec, TensorInput } from '../../runtime/types.js';

export type Kind = 'ok' | 'diagnostic' | 'crash' | 'hang' | 'bad-location';

export interface StageResult {
  kind: Kind;
  /** what went wrong, one line (crash, bad-location, hang) */
  detail?: string;
  /** the same bug gives the same signature: the error's class and message without numbers, and where it was thrown */
  signature?: string;
  /** the stack of a crash, for the report */
  stack?: string;
}

/** The file name inputs are compiled under (diagnostics must name it). */
export const INPUT_NAME = 'fuzz.dnn';

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

/** What is wrong with a span in `source`, or undefined when it is a good location. */
export function badSpan(span: Span, source: string, starts = lineStarts(source)): string | undefined {
  const { line, col, offset, endOffset } = span;
  if (span.file !== INPUT_NAME) return `span names the file '${span.file}'`;
  if (![line, col, offset, endOffset, span.endLine, span.endCol].every(Number.isInteger)) return 'span has a non-integer field';
  if (offset < 0 || endOffset < offset || endOffset > source.length) return `offsets ${offset}..${endOffset} outside 0..${source.length}`;
  if (line < 1 || line > starts.length) return `line ${line} outside 1..${starts.length}`;
  const lineEnd = line < starts.length ? starts[line] - 1 : source.length;
  if (col < 1 || starts[line - 1] + col - 1 > lineEnd) return `column ${col} past the end of line ${line}`;
  if (starts[line - 1] + col - 1 !== offset) return `line ${line} column ${col} is offset ${starts[line - 1] + col - 1}, not ${offset}`;
  if (span.endLine < line || (span.endLine === line && span.endCol < col)) return 'span ends before it starts';
  return undefined;
}

/** Numbers, quoted names and long runs vary between inputs hitting the same bug. */
export function normalizeMessage(message: string): string {
  return message
    .replace(/'[^']*'/g, "'…'")
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\d+/g, 'N')
    .slice(0, 160);
}

/** The first stack frame in the project's own code, as `file:function`. */
function throwSite(stack: string | undefined): string {
  for (const line of (stack ?? '').split('\n').slice(1)) {
    const m = /at (?:(\S+) \()?.*?\/((?:compiler|codegen|runtime|grammar|cli)\/[^:)]+)/.exec(line);
    if (m) return `${m[2]}:${m[1] ?? '<anonymous>'}`;
  }
  return '?';
}

export function crash(stage: string, e: unknown): StageResult {
  const err = e instanceof Error ? e : new Error(String(e));
  const detail = `${err.name}: ${err.message}`.split('\n')[0].slice(0, 500);
  return { kind: 'crash', detail: `${stage}: ${detail}`, signature: `crash ${stage} ${err.name}: ${normalizeMessage(err.message.split('\n')[0])} @ ${throwSite(err.stack)}`, stack: err.stack };
}

function checkDiagnostics(ds: Diagnostic[], source: string): StageResult | undefined {
  const starts = lineStarts(source);
  for (const d of ds) {
    if (!(d.code in catalog)) return { kind: 'crash', detail: `unknown diagnostic code ${d.code}`, signature: `crash unknown-code ${d.code}` };
    if (/internal/i.test(d.message)) return { kind: 'crash', detail: `${d.code}: ${d.message.slice(0, 300)}`, signature: `crash internal-diagnostic ${d.code} ${normalizeMessage(d.message)}` };
    const spans = [d.span, ...d.notes.flatMap((n) => (n.span ? [n.span] : []))];
    for (const s of spans) {
      const bad = badSpan(s, source, starts);
      if (bad) return { kind: 'bad-location', detail: `${d.code} ${d.message.slice(0, 200)}: ${bad}`, signature: `bad-location ${d.code} ${bad.replace(/\d+/g, 'N')}` };
    }
  }
  return undefined;
}

/** Stage 1. `file` is kept for stage 2 when the input compiles. */
export function checkCompile(source: string, sourceDir: string): { result: StageResult; file?: CompiledFile } {
  let r: CompileResult;
  try {
    r = compileSource(source, INPUT_NAME, { sourceDir });
  } catch (e) {
    return { result: crash('compile', e) };
  }
  const bad = checkDiagnostics(r.diagnostics, source);
  if (bad) return { result: bad };
  const errors = r.diagnostics.some((d) => d.severity === 'error');
  if (errors && r.file) return { result: { kind: 'crash', detail: 'errors were reported but a compiled file came back', signature: 'crash errors-and-file' } };
  if (!errors && !r.file) return { result: { kind: 'crash', detail: 'no errors and no compiled file', signature: 'crash no-errors-no-file' } };
  return errors ? { result: { kind: 'diagnostic' } } : { result: { kind: 'ok' }, file: r.file };
}

/** Declared names in WGSL that are reserved words, or start with '__'. */
function badWgslNames(code: string): string[] {
  const declared = [
    ...[...code.matchAll(/\b(?:let|var|const|fn|struct|alias|override)\s+([\p{L}_][\p{L}\p{N}_]*)/gu)].map((m) => m[1]),
    ...[...code.matchAll(/struct\s+\w+\s*\{([^}]*)\}/g)].flatMap((m) => [...m[1].matchAll(/([\p{L}_][\p{L}\p{N}_]*)\s*:/gu)].map((x) => x[1])),
  ];
  return declared.filter((n) => wgslReserved.has(n) || n.startsWith('__') || n === '_');
}

/** A shape with every symbolic dim 2. */
const atTwo = (shape: readonly Dim[]) => evalShape(shape, Object.fromEntries(shape.flatMap(dimSymbols).map((d) => [d, 2])));

/** The largest number of elements a program allocates at batch 2 (params and every buffer). */
function footprint(p: Program): number {
  let n = p.params.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  for (const e of Object.values(p.entries)) if (e) for (const b of e.buffers) n += atTwo(b.shape).reduce((x, y) => Math.max(0, x) * Math.max(0, y), 1);
  return n;
}

const elements = (v: Value) => atTwo(v.type.shape).reduce((x, y) => x * Math.max(0, y), 1);

/**
 * About how many multiply-adds a graph does at batch 2 (every symbolic dim
 * 2): the contractions (matmul, conv2d and its gradients) and the pooling
 * windows count their inner loops; every other op is linear in the elements
 * it reads and writes.
 */
export function graphWork(g: Graph): number {
  let work = 0;
  for (const n of g.nodes) {
    const out = n.outputs.reduce((a, v) => a + elements(v), 0);
    const [a, b] = n.inputs;
    const last = (v: Value, i: number) => Math.max(0, atTwo(v.type.shape).at(i) ?? 1);
    switch (n.op) {
      case 'matmul':
        work += out * last(a, n.attrs.transA ? -2 : -1);
        break;
      case 'conv2d': // x, w [F, C/groups, KH, KW]: each output sums C/groups * KH * KW products
      case 'conv2d_backprop_input': // dy, w: the same sums, transposed
        work += (n.op === 'conv2d' ? out : elements(a)) * (elements(b) / Math.max(1, last(b, 0)));
        break;
      case 'conv2d_backprop_filter': // x, dy [N, F, OH, OW]: each tap of dw sums over N * OH * OW
        work += out * (elements(b) / Math.max(1, last(b, 1)));
        break;
      case 'maxpool2d':
      case 'avgpool2d':
      case 'maxpool2d_grad':
      case 'avgpool2d_grad': {
        const k = Array.isArray(n.attrs.kernel) ? (n.attrs.kernel as number[]) : [1, 1];
        work += Math.max(out, ...n.inputs.map(elements)) * k.reduce((x, y) => x * y, 1);
        break;
      }
      default:
        work += out + n.inputs.reduce((x, v) => x + elements(v), 0);
    }
  }
  return work;
}

/** The operations of a file, all graphs together (what MAX_OPERATIONS bounds): code generation takes time in proportion. */
export function fileOperations(file: CompiledFile): number {
  let n = 0;
  for (const m of file.models) n += m.predict.nodes.length + (m.train ? m.train.step.nodes.length + m.train.evaluate.nodes.length : 0);
  for (const t of file.trainers ?? []) for (const s of t.steps) n += s.graph.nodes.length;
  return n;
}

/** The work of each model (predict and its training step) and each trainer (its steps) of a file, by name. */
function fileWork(file: CompiledFile): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of file.models) out.set(m.name, graphWork(m.predict) + (m.train ? graphWork(m.train.step) : 0));
  for (const t of file.trainers ?? []) out.set(t.name, t.steps.reduce((a, s) => a + graphWork(s.graph), 0));
  return out;
}

/** Inputs of the declared shapes with every symbolic dim 2: small values for f32, zeros for ids and booleans. */
function inputsFor(specs: IOSpec[]): Record<string, TensorInput> {
  const out: Record<string, TensorInput> = {};
  for (const s of specs) {
    const shape = atTwo(s.shape);
    const n = shape.reduce((a, b) => a * b, 1);
    const data = s.dtype === 'f32' ? Float32Array.from({ length: n }, (_, i) => ((i % 7) - 3) / 4) : s.dtype === 'i32' ? new Int32Array(n) : new Uint8Array(n);
    out[s.name] = { data, shape };
  }
  return out;
}

/** The most elements a model may allocate for the fuzzer to run it (16 Mi, 64 MiB of f32). */
const RUN_LIMIT = 2 ** 24;

/**
 * The most multiply-adds (graphWork) a model or trainer may do for the
 * fuzzer to run it: a few seconds at most on the CPU backend. A valid model
 * that computes more (a conv2d with a 100x100 kernel: 10^10 at batch 2) is
 * compiled and generated but not run: its run would time the backend's
 * arithmetic, not find a bug, and read as a hang.
 */
const WORK_LIMIT = 2 ** 29;

/** A runtime stand-in for evaluating a generated module: it records the programs instead of running them. */
function recorder() {
  const models: Program[] = [];
  const trainers: TrainerProgram[] = [];
  const rt = {
    instantiate: (p: Program) => {
      models.push(p);
      return {};
    },
    instantiateTrainer: (p: TrainerProgram) => {
      trainers.push(p);
      return {};
    },
    generate: () => [],
  };
  return { rt, models, trainers };
}

/**
 * Stage 2: the module as generated, then as JavaScript, evaluated with a
 * stand-in runtime that records every program it would instantiate; those
 * programs (the module's own kernel functions) then run on the CPU backend.
 */
export async function checkCodegen(file: CompiledFile): Promise<StageResult> {
  let text: string;
  let ids: Record<string, string>;
  try {
    ({ files: [{ text }], ids } = emitModule(file, { emit: 'ts', sourceName: 'fuzz' }));
  } catch (e) {
    return crash('emit', e);
  }
  const js = ts.transpileModule(text, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext }, reportDiagnostics: true });
  const syntax = js.diagnostics?.filter((d) => d.category === ts.DiagnosticCategory.Error) ?? [];
  if (syntax.length) {
    const msg = ts.flattenDiagnosticMessageText(syntax[0].messageText, ' ');
    return { kind: 'crash', detail: `generated module has a TypeScript syntax error: ${msg}`, signature: `crash ts-syntax ${normalizeMessage(msg)}` };
  }
  const creates = Object.values(ids).map((id) => `create${id}`);
  let load: (rt: unknown) => Record<string, () => Promise<unknown>>;
  try {
    // the module body as a function: its import becomes a parameter, its exports plain declarations
    const body = js.outputText.replace(/^import \{([^}]*)\} from [^;]*;$/m, (_, names: string) => `const {${names.replace(/\btype \w+,?/g, '')}} = __rt;`).replace(/^export /gm, '');
    load = new Function('__rt', `'use strict';\n${body}\nreturn { ${creates.join(', ')} };`) as typeof load;
  } catch (e) {
    return { kind: 'crash', detail: `generated JavaScript does not parse: ${(e as Error).message}`, signature: `crash js-syntax ${normalizeMessage((e as Error).message)}` };
  }
  const { rt, models, trainers } = recorder();
  try {
    const api = load(rt);
    for (const c of creates) await api[c]();
  } catch (e) {
    return crash('module', e);
  }
  for (const program of [...models, ...trainers.flatMap((t) => t.models)]) {
    const bad = checkKernelSources(program);
    if (bad) return bad;
  }
  const work = fileWork(file);
  const total = [...work.values()].reduce((a, b) => a + b, 0);
  const tooMuch = (p: { name: string }) => (work.get(p.name) ?? total) > WORK_LIMIT;
  for (const program of models) {
    if (footprint(program) > RUN_LIMIT || tooMuch(program)) continue;
    try {
      const model = await instantiate(program, { seed: 1, backend: 'cpu', threads: 1 });
      try {
        await model.predict(inputsFor(program.signature.inputs));
        if (program.entries.trainStep) await model.trainStep(inputsFor([...program.signature.inputs, ...program.signature.trainInputs]));
      } finally {
        model.dispose();
      }
    } catch (e) {
      if (!cleanRefusal(e)) return crash(`run ${program.name}`, e);
    }
  }
  for (const program of trainers) {
    if (program.models.some((m) => footprint(m) > RUN_LIMIT) || tooMuch(program)) continue;
    try {
      const trainer = await instantiateTrainer(program, { seed: 1, backend: 'cpu', threads: 1 });
      try {
        for (const [name, step] of Object.entries(trainer.steps)) await step(inputsFor(trainer.stepInputs[name]));
      } finally {
        trainer.dispose();
      }
    } catch (e) {
      if (!cleanRefusal(e)) return crash(`run ${program.name}`, e);
    }
  }
  return { kind: 'ok' };
}

/**
 * Run-time errors that are the model's own doing, said to the user as they
 * are, not bugs: inputs at dims of 2 too small for the model (it computes
 * T - 5: DimError), and an index the model computes outside its table
 * (embedding of cast(maximum(x, 2147483648), dtype: i32): IndexError).
 */
function cleanRefusal(e: unknown): boolean {
  return e instanceof Error && (e.name === 'DimError' || e.name === 'IndexError');
}

/** gpu.js kernel sources that V8 cannot parse, or WGSL that declares reserved names. */
function checkKernelSources(program: Program): StageResult | undefined {
  for (const [entry, e] of Object.entries(program.entries)) {
    for (const [k, g] of Object.entries(e?.gpujs ?? {}))
      for (const pass of g.passes)
        try {
          new vm.Script(`(${pass.source.replace(/@\{[^}]*\}/g, '2')})`);
        } catch (err) {
          return { kind: 'crash', detail: `gpu.js kernel ${k} of ${program.name}.${entry} does not parse: ${(err as Error).message}`, signature: `crash gpujs-syntax ${normalizeMessage((err as Error).message)}` };
        }
    for (const [k, w] of Object.entries(e?.wgsl ?? {}))
      for (const code of [...w.passes.map((p) => p.code), ...(w.packed ? [w.packed.code] : [])]) {
        const bad = badWgslNames(code);
        if (bad.length) return { kind: 'crash', detail: `WGSL kernel ${k} of ${program.name}.${entry} declares reserved names: ${bad.join(', ')}`, signature: 'crash wgsl-reserved-name' };
      }
  }
  return undefined;
}
