/**
 * The module emitter: one TypeScript module per .dnn file (ts-morph).
 *
 * Layout of a generated module:
 *   header comment (source file, "do not edit")
 *   import { instantiate, type ... } from 'dnnc'
 *   per model:
 *     <M>Signature, types <M>Inputs / <M>Outputs / <M>TrainBatch, interface <M>Model
 *     <M>Program: params table, and per entry the buffer table and the step
 *     schedule (one kernel call per line, commented with buffer names)
 *     create<M>(options) and `export const <M> = { signature, create }`
 *   top-level `signature` and `create`: the first model with a train block, else the first
 *   kernels: named functions, each with a comment giving op and shapes
 *   the wasm kernels (cpu backend): one WebAssembly module as base64, with a
 *   comment per kernel (its export, op and shapes); EmitOptions.wasmListing
 *   adds the module's WAT text as <name>.wat for reading
 *
 * 'js' output: the same module through ts-morph's in-memory emit (.js + .d.ts).
 */
import { IndentationText, Project, QuoteKind, ScriptTarget, ModuleKind } from 'ts-morph';
import type { CompiledFile } from '../../compiler/compiled.js';
import type { Dim } from '../../compiler/dims.js';
import type { IOSpec } from '../../runtime/types.js';
import type { GpujsKernelSpec, WasmKernelSpec, WgslKernelSpec } from '../../runtime/program.js';
import { renderKernel } from '../cpu/kernel.js';
import { commentText, NameTable } from '../names.js';
import { KernelPool, planEntry, planModel, type PlannedEntry, type PlannedProgram } from './plan-model.js';

export interface EmitOptions {
  /** module specifier of the runtime (default 'dnnc') */
  runtimeImport?: string;
  emit: 'ts' | 'js';
  /** base name of the generated file(s), without extension */
  sourceName: string;
  /** false (-O0): no fusion and no buffer reuse, for comparison and debugging */
  optimize?: boolean;
  /** also write the wasm kernels' WAT text as <sourceName>.wat (a listing to read; the module embeds the bytes) */
  wasmListing?: boolean;
}

export interface EmitResult {
  files: { name: string; text: string }[];
  /** the identifier of each model and trainer in the module, by its name in the .dnn file (`create${id}`, `${id}.create`) */
  ids: Record<string, string>;
}

/** What the module declares for a model with identifier `id`. */
const modelForms = (id: string) => [`${id}Signature`, `${id}Inputs`, `${id}Outputs`, `${id}TrainBatch`, `${id}Model`, `${id}Program`, `create${id}`, `generate${id}`];
/** What the module declares for a trainer with identifier `id`. */
const trainerForms = (id: string) => [`${id}TrainerProgram`, `create${id}`];

const isIdent = (s: string) => /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s);
const prop = (s: string) => (isIdent(s) ? s : JSON.stringify(s));
/** A JS literal on one line: `{ a: 1, b: ['B', 784] }` (strings single-quoted where safe). */
function lit(x: unknown): string {
  if (x === undefined) return 'undefined';
  if (typeof x === 'string') return /^[^'\\\n]*$/.test(x) ? `'${x}'` : JSON.stringify(x);
  if (typeof x === 'number') return Number.isFinite(x) ? String(x) : x > 0 ? 'Infinity' : x < 0 ? '-Infinity' : 'NaN';
  if (typeof x !== 'object' || x === null) return JSON.stringify(x);
  if (Array.isArray(x)) return `[${x.map(lit).join(', ')}]`;
  const parts = Object.entries(x as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${prop(k)}: ${lit(v)}`);
  return parts.length ? `{ ${parts.join(', ')} }` : '{}';
}
const shapeText = (s: readonly Dim[]) => `[${s.join(', ')}]`;

function ioList(specs: IOSpec[]): string {
  if (specs.length === 0) return '[]';
  return `[\n${specs.map((s) => `    { name: ${lit(s.name)}, dtype: '${s.dtype}', shape: ${lit(s.shape)} },`).join('\n')}\n  ]`;
}

/** The name of the WGSL constant of a kernel. */
const wgslConst = (kernel: string) => `${kernel}_wgsl`;

/** A WGSL kernel as a named constant: a shape comment, then passes with the shader text in a template literal. */
function wgslText(name: string, w: WgslKernelSpec, comment: string): string {
  const passes = w.passes
    .map((p) => {
      const code = p.code.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
      return `    {\n      reads: ${lit(p.reads)}, writes: ${lit(p.writes)}, dims: ${lit(p.dims)}, workgroupSize: ${lit(p.workgroupSize)},\n      workgroups: ${lit(p.workgroups)},\n      code: \`\n${code}\`,\n    },`;
    })
    .join('\n');
  const esc = (code: string) => code.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
  const packed = w.packed
    ? `\n  // one dispatch for all ${w.packed.lengths.length} tensors when each binding's operands share a device buffer\n  packed: {\n    reads: ${lit(w.packed.reads)}, writes: ${lit(w.packed.writes)}, lengths: ${lit(w.packed.lengths)}, workgroupSize: ${w.packed.workgroupSize},${w.packed.bindings ? `\n    bindings: ${lit(w.packed.bindings)}, // the roles updated in place share one binding (they lie in the store arena)` : ''}\n    code: \`\n${esc(w.packed.code)}\`,\n  },`
    : '';
  return `/** WGSL: ${commentText(comment)} */\nconst ${wgslConst(name)}: WgslKernelSpec = {\n  temps: ${lit(w.temps)},\n  passes: [\n${passes}\n  ],${packed}\n};`;
}

/** The name of the gpu.js constant of a kernel. */
const gpujsConst = (kernel: string) => `${kernel}_gpujs`;

/** A gpu.js kernel as a named constant: a shape comment, then passes with the kernel function source in a template literal. */
function gpujsText(name: string, g: GpujsKernelSpec, comment: string): string {
  const passes = g.passes
    .map((p) => {
      const code = p.source.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
      const data = p.data ? `, data: ${lit(p.data)}` : '';
      return `    {\n      reads: ${lit(p.reads)}, write: ${p.write}, size: ${lit(p.size)}${data},\n      source: \`\n${code}\`,\n    },`;
    })
    .join('\n');
  return `/** gpu.js: ${commentText(comment)} */\nconst ${gpujsConst(name)}: GpujsKernelSpec = {\n  temps: ${lit(g.temps)},\n  passes: [\n${passes}\n  ],\n};`;
}

type Forms = { wgsl?: ReadonlyMap<string, WgslKernelSpec>; gpujs?: ReadonlyMap<string, GpujsKernelSpec>; wasm?: ReadonlyMap<string, { spec: WasmKernelSpec }> };

/** The name of the constant holding the wasm module. */
const WASM_CONST = 'wasmKernels';

function bytesBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function entryText(e: PlannedEntry, indent: string, forms: Forms = {}): string {
  const { wgsl, gpujs, wasm } = forms;
  const i2 = indent + '  ';
  const i3 = i2 + '  ';
  const bufName = (i: number) => e.buffers[i].name ?? `b${i}`;
  const buffers = e.buffers
    .map((b, i) => {
      const ref = b.ref !== undefined ? `, ref: ${lit(b.ref)}` : '';
      const name = b.name !== undefined ? `, name: ${lit(b.name)}` : '';
      const pack = b.pack !== undefined ? `, pack: ${b.pack}` : '';
      return `${i3}/* b${i} */ { dtype: '${b.dtype}', shape: ${lit(b.shape)}, kind: '${b.kind}'${ref}${name}${pack} },`;
    })
    .join('\n');
  const steps = e.steps
    .map((s, k) => {
      const once = s.once ? ', once: true' : '';
      const scratch = s.scratch ? `, scratch: ${lit(s.scratch)}` : '';
      const call = e.notes?.[k] ?? `${s.ins.map(bufName).join(', ')} -> ${s.outs.map(bufName).join(', ')}`;
      return `${i3}{ kernel: '${s.kernel}', ins: ${lit(s.ins)}, outs: ${lit(s.outs)}${once}${scratch} }, // ${commentText(call)}`;
    })
    .join('\n');
  const kernels = [...new Set(e.steps.map((s) => s.kernel))];
  return [
    `{`,
    `${i2}buffers: [\n${buffers}\n${i2}],`,
    `${i2}inputs: ${lit(e.inputs)},`,
    `${i2}outputs: ${lit(e.outputs)},`,
    `${i2}updates: ${lit(e.updates)},`,
    `${i2}steps: [\n${steps}\n${i2}],`,
    ...(e.scratch?.length ? [`${i2}scratch: ${lit(e.scratch)},`] : []),
    `${i2}kernels: { ${kernels.join(', ')} },`,
    ...(wgsl ? [`${i2}wgsl: { ${kernels.filter((k) => wgsl.has(k)).map((k) => `${k}: ${wgslConst(k)}`).join(', ')} },`] : []),
    ...(e.limits?.length ? [`${i2}limits: ${lit(e.limits)},`] : []),
    ...(e.ranges?.length ? [`${i2}ranges: ${lit(e.ranges)},`] : []),
    ...(e.wgslMissing?.length ? [`${i2}wgslMissing: ${lit(e.wgslMissing)},`] : []),
    ...(gpujs ? [`${i2}gpujs: { ${kernels.filter((k) => gpujs.has(k)).map((k) => `${k}: ${gpujsConst(k)}`).join(', ')} },`] : []),
    ...(wasm ? [`${i2}wasm: { module: ${WASM_CONST}, kernels: { ${kernels.filter((k) => wasm.has(k)).map((k) => `${k}: ${lit(wasm.get(k)!.spec)}`).join(', ')} } },`] : []),
    ...(e.gpujsMissing?.length ? [`${i2}gpujsMissing: ${lit(e.gpujsMissing)},`] : []),
    `${indent}}`,
  ].join('\n');
}

function programText(p: PlannedProgram, sigName: string, forms: Forms): string {
  const params = p.params.map((t) => `    { path: ${lit(t.path)}, dtype: '${t.dtype}', shape: ${lit(t.shape)}, init: ${lit(t.init)} },`).join('\n');
  const entries = (['predict', 'trainStep', 'evaluate'] as const)
    .filter((k) => p.entries[k])
    .map((k) => `    ${k}: ${entryText(p.entries[k]!, '    ', forms)},`)
    .join('\n');
  const lines = [
    `{`,
    `  format: 1,`,
    `  name: ${lit(p.name)},`,
    `  signature: ${sigName},`,
    `  params: [${params ? `\n${params}\n  ` : ''}],`,
    ...(p.state?.length ? [`  state: [\n${p.state.map((t) => `    { path: ${lit(t.path)}, dtype: '${t.dtype}', shape: ${lit(t.shape)}, init: ${lit(t.init)} },`).join('\n')}\n  ],`] : []),
    `  entries: {\n${entries}\n  },`,
  ];
  if (p.train) {
    const t = p.train;
    const state = t.state.map((s) => `      { path: ${lit(s.path)}, dtype: '${s.dtype}', shape: ${lit(s.shape)}, init: ${lit(s.init)} },`).join('\n');
    lines.push(
      `  train: {`,
      `    optimizer: ${lit(t.optimizer)},`,
      `    schedule: ${lit(t.schedule)},`,
      `    batch: ${t.batch},`,
      `    epochs: ${t.epochs},`,
      `    metrics: ${lit(t.metrics)},`,
      `    state: [${state ? `\n${state}\n    ` : ''}],`,
      ...(t.data ? [`    data: ${lit(t.data)},`] : []),
      ...(t.validate ? [`    validate: ${lit(t.validate)},`] : []),
      ...(t.test ? [`    test: ${lit(t.test)},`] : []),
      ...(t.seed !== undefined ? [`    seed: ${t.seed},`] : []),
      `  },`,
    );
  }
  lines.push('}');
  return lines.join('\n');
}

/** The fields of an inputs/outputs type: each typed by its dtype (`TensorInputOf<'i32'>`: an Int32Array, not a Float32Array). */
function typeFields(specs: IOSpec[], type: 'TensorInputOf' | 'TensorOf'): string {
  return specs.map((s) => `  /** ${s.dtype}${shapeText(s.shape)} */\n  ${prop(s.name)}: ${type}<'${s.dtype}'>;`).join('\n');
}

/** A causal language model: token ids i32[B, T] in, next-token logits f32[B, T, V] out. */
function isLMModel(m: CompiledFile['models'][number]): boolean {
  return m.inputs.length === 1 && m.inputs[0].dtype === 'i32' && m.inputs[0].shape.length === 2 && m.outputs.some((o) => o.dtype === 'f32' && o.shape.length === 3);
}

/** Build the TypeScript module text. */
export function emitModuleSource(file: CompiledFile, options: Omit<EmitOptions, 'emit'>): string {
  return emitModuleText(file, options).text;
}

/** The TypeScript module text, and the identifier of each model and trainer in it. */
function emitModuleText(file: CompiledFile, options: Omit<EmitOptions, 'emit'>): { text: string; ids: Record<string, string> } {
  const runtime = options.runtimeImport ?? 'dnnc';
  if (file.models.length === 0) throw new Error(`${file.file}: no model to emit`);
  const pool = new KernelPool();
  const plan = options.optimize === false ? { fuse: false, reuse: false } : {};
  const planned = file.models.map((m) => planModel(m, pool, plan));
  const trainers = file.trainers ?? [];
  const trainerSteps = trainers.map((t) => t.steps.map((st) => planEntry(st.graph, pool, plan)));
  const project = new Project({ useInMemoryFileSystem: true, manipulationSettings: { indentationText: IndentationText.TwoSpaces, quoteKind: QuoteKind.Single } });
  const names = file.models.map((m) => m.name);
  const header = [`// Generated by dnnc from ${commentText(file.file)}; do not edit.`, `// Models: ${commentText(names.join(', '))}. Kernels: ${pool.kernels.length} (CPU), ${pool.wgsl.size} (WGSL).`, ''].join('\n');
  const sf = project.createSourceFile(`${options.sourceName}.ts`, header);
  // added in one call at the end: ts-morph re-parses the file on every insertion
  const statements: string[] = [];
  const types = ['CreateOptions', 'Dims', 'GpujsKernelSpec', 'Model', 'PredictOptions', 'Program', 'Signature', 'StepResult', 'TensorInputOf', 'TensorOf', 'TypedArray', 'WasmModuleSpec', 'WgslKernelSpec', ...(trainers.length ? ['Trainer', 'TrainerProgram'] : [])];
  const anyLM = file.models.some(isLMModel);
  if (anyLM) types.push('GenerateOptions');
  // the extra parameter and the query result of split kernels (codegen/cpu/split.ts)
  if (pool.kernels.some((k) => k.split)) types.push('KernelPart', 'SplitRows');
  statements.push(`import { instantiate, ${trainers.length ? 'instantiateTrainer, ' : ''}${anyLM ? 'generate, ' : ''}${types.map((t) => `type ${t}`).join(', ')} } from ${lit(runtime)};`);
  if (pool.wgsl.size) {
    // constants: defined before the programs that reference them
    statements.push(...[
      `\n// ---------------------------------------------------------------- WGSL kernels (webgpu backend)`,
      `// One compute shader per pass; bindings: reads (storage, read), writes (storage, read_write; an update in place reads the old value there), then the dims uniform.`,
      `// Storage: f32, i32, and u32 for bool (0/1).`,
      ...pool.kernels.filter((k) => pool.wgsl.has(k.name)).map((k) => wgslText(k.name, pool.wgsl.get(k.name)!, k.comment)),
    ]);
  }
  if (pool.gpujs.size) {
    statements.push(...[
      `\n// ---------------------------------------------------------------- gpu.js kernels (gpujs backend)`,
      `// ${pool.gpujs.size} kernels. One kernel function per buffer written; one thread per output element (i = this.thread.x).`,
      `// Parameters: the buffers read, flat; values are floats on the device (i32 exact below 2^24, bool 0/1); @{B} is a bound dim.`,
      ...pool.kernels.filter((k) => pool.gpujs.has(k.name)).map((k) => gpujsText(k.name, pool.gpujs.get(k.name)!, k.comment)),
    ]);
  }
  const wasmModule = pool.wasmModuleSpec();
  if (wasmModule) {
    const b64 = bytesBase64(wasmModule.spec.bytes as Uint8Array);
    statements.push(...[
      `\n// ---------------------------------------------------------------- wasm kernels (cpu backend)`,
      `// One WebAssembly module (SIMD128; ${(wasmModule.spec.bytes as Uint8Array).length} bytes) importing the model's memory; each export`,
      `// takes the byte offsets of its arguments, the symbolic dims, a scratch area and rows [r0, r1):`,
      ...[...pool.wasm.keys()].map((k) => `//   ${k}: ${pool.kernels.find((x) => x.name === k)?.comment ?? ''}`),
      `const ${WASM_CONST}: WasmModuleSpec = {\n  sharedFlagAt: ${wasmModule.spec.sharedFlagAt},\n  bytes:\n    '${b64.replace(/(.{120})/g, "$1' +\n    '")}',\n};`,
    ]);
  }
  const forms: Forms = { wgsl: pool.wgsl, ...(pool.gpujs.size ? { gpujs: pool.gpujs } : {}), ...(wasmModule ? { wasm: pool.wasm } : {}) };
  // every identifier the module declares is handed out once: kernels first, then models and trainers with all their forms
  const table = new NameTable();
  table.reserve(WASM_CONST);
  for (const k of pool.kernels) for (const x of [k.name, wgslConst(k.name), gpujsConst(k.name)]) table.reserve(x);
  const ids: Record<string, string> = {};
  const modelIds = file.models.map((m) => (ids[m.name] = table.claim(m.name, modelForms)));

  // causal language models (token ids in, next-token logits out) get a sampling helper
  const isLM = isLMModel;
  file.models.forEach((m, k) => {
    const id = modelIds[k];
    const p = planned[k];
    const sig = p.signature;
    const batchSpecs = [...sig.inputs, ...sig.trainInputs];
    statements.push(...[
      `\n// ---------------------------------------------------------------- model ${m.name}`,
      `/** The inputs and outputs of model ${m.name} (shapes: numbers, or symbolic dims bound at run time). */`,
      `export const ${id}Signature: Signature = {\n  inputs: ${ioList(sig.inputs)},\n  outputs: ${ioList(sig.outputs)},\n  trainInputs: ${ioList(sig.trainInputs)},\n};`,
      `/** Inputs of ${m.name}.predict: typed arrays (flat, row-major), nested arrays, or { data, shape }. */`,
      `export type ${id}Inputs = {\n${typeFields(sig.inputs, 'TensorInputOf')}\n};`,
      `/** Outputs of ${m.name}.predict. */`,
      `export type ${id}Outputs = {\n${typeFields(sig.outputs, 'TensorOf')}\n};`,
      `/** A training batch of ${m.name}: the inputs and the train inputs. */`,
      `export type ${id}TrainBatch = {\n${typeFields(batchSpecs, 'TensorInputOf')}\n};`,
      `/** Model ${m.name} with typed predict and trainStep. */`,
      `export interface ${id}Model extends Model {\n  predict(inputs: ${id}Inputs, options?: PredictOptions): Promise<${id}Outputs>;\n  trainStep(batch: ${id}TrainBatch): Promise<StepResult>;\n}`,
      `const ${id}Program: Program = ${programText(p, `${id}Signature`, forms)};`,
      `/** Create model ${m.name} (weights initialised from options.seed, default ${p.train?.seed ?? 0}, or given by options.weights). */`,
      `export async function create${id}(options: CreateOptions = {}): Promise<${id}Model> {\n  return (await instantiate(${id}Program, options)) as ${id}Model;\n}`,
      `/** Model ${m.name}. */`,
      `export const ${id} = { signature: ${id}Signature, create: create${id} };`,
      ...(isLM(m)
        ? [
            `/** Sample from ${m.name}, a causal language model: the prompt followed by \`steps\` tokens (temperature, topK, seed). */`,
            `export function generate${id}(model: ${id}Model, options: GenerateOptions): Promise<number[]> {\n  return generate(model, options);\n}`,
          ]
        : []),
    ]);
  });

  const trainerIds: string[] = [];
  trainers.forEach((t, k) => {
    const id = (ids[t.name] = table.claim(t.name, trainerForms));
    trainerIds.push(id);
    const steps = t.steps
      .map((st, j) => {
        const state = st.state.map((x) => `        { path: ${lit(x.path)}, dtype: '${x.dtype}', shape: ${lit(x.shape)}, init: ${lit(x.init)} },`).join('\n');
        return [
          `    {`,
          `      name: ${lit(st.name)},`,
          `      trains: ${lit(st.trains)},`,
          `      inputs: ${ioList(st.inputs).replace(/\n/g, '\n    ')},`,
          `      optimizer: ${lit(st.optimizer)},`,
          `      schedule: ${lit(st.schedule)},`,
          `      metrics: ${lit(st.metrics.map((m) => m.name))},`,
          `      state: [${state ? `\n${state}\n      ` : ''}],`,
          `      entry: ${entryText(trainerSteps[k][j], '      ', { ...(pool.wgsl.size ? { wgsl: pool.wgsl } : {}), ...(pool.gpujs.size ? { gpujs: pool.gpujs } : {}), ...(wasmModule ? { wasm: pool.wasm } : {}) })},`,
          `    },`,
        ].join('\n');
      })
      .join('\n');
    const programs = t.models.map((name) => `${modelIds[file.models.findIndex((m) => m.name === name)]}Program`);
    statements.push(...[
      `\n// ---------------------------------------------------------------- trainer ${t.name}`,
      `/** Train block ${t.name}: steps ${t.steps.map((st) => `'${st.name}' (trains ${st.trains.join(', ')})`).join(', ')}${t.syncs.length ? `; ${t.syncs.map((sy) => `sync ${sy.from} -> ${sy.to} every ${sy.every}${sy.tau !== undefined ? ` tau ${sy.tau}` : ''}`).join(', ')}` : ''}. */`,
      `const ${id}TrainerProgram: TrainerProgram = {`,
      `  format: 1,`,
      `  kind: 'trainer',`,
      `  name: ${lit(t.name)},`,
      `  models: [${programs.join(', ')}],`,
      `  steps: [\n${steps}\n  ],`,
      `  syncs: ${lit(t.syncs)},`,
      `  batch: ${t.batch},`,
      `  epochs: ${t.epochs},`,
      ...(t.data ? [`  data: ${lit(t.data)},`] : []),
      ...(t.validate ? [`  validate: ${lit(t.validate)},`] : []),
      ...(t.test ? [`  test: ${lit(t.test)},`] : []),
      ...(t.seed !== undefined ? [`  seed: ${t.seed},`] : []),
      `};`,
      `/** Create trainer ${t.name}: its models (${t.models.join(', ')}) share weights with its steps. */`,
      `export async function create${id}(options: CreateOptions = {}): Promise<Trainer> {\n  return instantiateTrainer(${id}TrainerProgram, options);\n}`,
      `/** Trainer ${t.name}. */`,
      `export const ${id} = { create: create${id} };`,
    ]);
  });

  // the default: the first model with a train block, else the first trainer, else the first model
  const main = file.models.findIndex((m) => m.train);
  if (main < 0 && trainers.length) {
    statements.push(...[
      `\n// ---------------------------------------------------------------- default: trainer ${trainers[0].name}`,
      `/** Create trainer ${trainers[0].name}. */`,
      `export async function create(options: CreateOptions = {}): Promise<Trainer> {\n  return create${trainerIds[0]}(options);\n}`,
    ]);
  } else {
    const mi = Math.max(0, main);
    const mainId = modelIds[mi];
    statements.push(...[
      `\n// ---------------------------------------------------------------- default model: ${file.models[mi].name}`,
      `/** The signature of ${file.models[mi].name}. */`,
      `export const signature: Signature = ${mainId}Signature;`,
      `/** Create ${file.models[mi].name}. */`,
      `export async function create(options: CreateOptions = {}): Promise<${mainId}Model> {\n  return create${mainId}(options);\n}`,
    ]);
  }
  statements.push(...[
    `\n// ---------------------------------------------------------------- kernels`,
    ...pool.kernels.map((k) => renderKernel(k, { ts: true })),
  ]);
  // one insertion puts a blank line after a function declaration by itself: a section's leading newline would double it
  const tidy = statements.map((st, i) => (i > 0 && st.startsWith('\n') && /^(export )?(async )?function /.test(statements[i - 1]) ? st.slice(1) : st));
  sf.addStatements(tidy);
  return { text: sf.getFullText(), ids };
}

/** Emit the module as TS, or as JS with its .d.ts. */
export function emitModule(file: CompiledFile, options: EmitOptions): EmitResult {
  const { text, ids } = emitModuleText(file, options);
  const name = options.sourceName;
  const listing = options.wasmListing ? wasmListing(file, options) : undefined;
  const extra = listing ? [{ name: `${name}.wat`, text: listing }] : [];
  if (options.emit === 'ts') return { files: [{ name: `${name}.ts`, text }, ...extra], ids };
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: { target: ScriptTarget.ES2022, module: ModuleKind.ESNext, declaration: true, strict: true, skipLibCheck: true, noResolve: true },
  });
  project.createSourceFile(`/${name}.ts`, text);
  const out = project.emitToMemory();
  const files = out.getFiles().map((f) => ({ name: f.filePath.replace(/^.*\//, ''), text: f.text }));
  const js = files.find((f) => f.name === `${name}.js`);
  const dts = files.find((f) => f.name === `${name}.d.ts`);
  if (!js || !dts) throw new Error(`internal: emitting ${name}.js failed`);
  const header = text.slice(0, text.indexOf('import '));
  if (!dts.text.startsWith('//')) dts.text = header + dts.text;
  return { files: [js, dts, ...extra], ids };
}

/** The WAT text of the module's wasm kernels (what its embedded bytes were assembled from), or undefined when it has none. */
export function wasmListing(file: CompiledFile, options: Pick<EmitOptions, 'optimize'> = {}): string | undefined {
  const pool = new KernelPool();
  const plan = options.optimize === false ? { fuse: false, reuse: false } : {};
  for (const m of file.models) planModel(m, pool, plan);
  for (const t of file.trainers ?? []) for (const st of t.steps) planEntry(st.graph, pool, plan);
  return pool.wasmModuleSpec()?.text;
}

