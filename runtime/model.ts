/**
 * `instantiate(program, options)`: a Model over one backend.
 *
 * The model owns the persistent tensors (params, then optimizer state) as
 * host typed arrays, initialised from the seed (runtime/init.ts) or from
 * `options.weights`; the backend prepares each entry of the program over
 * them. Inputs are checked and converted by runtime/inputs.ts; the training
 * step feeds the hyper inputs `lr` (from the schedule) and `step` (1-based).
 */
import { CpuBackend } from './backends/cpu.js';
import { createWebGpuBackend } from './backends/webgpu.js';
import { createGpujsBackend, gpujsGpuMode } from './backends/gpujs.js';
import type { Backend, PreparedEntry } from './backend.js';
import { initTensor } from './init.js';
import { requireFinite } from './finite.js';
import { bindInputs, checkDims, checkLimits, type InputSpec } from './inputs.js';
import type { Program, ProgramEntry, ProgramTensor } from './program.js';
import { learningRate } from './schedule.js';
import { evaluateDataset, fitModel } from './train.js';
import type {
  BackendName,
  CreateOptions,
  Dataset,
  FitOptions,
  FitResult,
  Model,
  PredictOptions,
  Signature,
  StepResult,
  LoadOptions,
  Tensor,
  TensorInput,
  TrainingPosition,
  TypedArray,
  Weights,
} from './types.js';
import { evalShape } from '../compiler/dims.js';
import { assignLoaded, decodeFile, encodeFile, positionMetadata, positionOf, type CheckpointInfo, type NamedTensor } from './checkpoint.js';
import { WeightsError } from './weights-error.js';
import { BackendError } from './backend-error.js';

const KNOWN: BackendName[] = ['cpu', 'webgpu', 'gpujs'];

/** Ops of the entries that have no WGSL kernel; undefined when the entries carry no WGSL at all. */
function wgslGaps(entries: ProgramEntry[]): string[] | undefined {
  if (entries.some((e) => !e.wgsl)) return undefined;
  return [...new Set(entries.flatMap((e) => e.wgslMissing ?? []))].sort();
}

/** Ops of the entries that have no gpu.js kernel; undefined when the entries carry no gpu.js kernels at all. */
function gpujsGaps(entries: ProgramEntry[]): string[] | undefined {
  if (entries.some((e) => !e.gpujs)) return undefined;
  return [...new Set(entries.flatMap((e) => e.gpujsMissing ?? []))].sort();
}

/** The backend for a program (or a trainer: `name` and every entry it will run). */
export async function selectBackend(requested: CreateOptions['backend'], program: { name: string; entries: ProgramEntry[] }, options: Pick<CreateOptions, 'gpujs' | 'threads' | 'cpu'> = {}): Promise<Backend> {
  const want = requested ?? 'cpu';
  const cpu = () => CpuBackend.create({ threads: options.threads, kernels: options.cpu?.kernels }, program.entries);
  if (want === 'cpu') return cpu();
  if (want === 'webgpu') {
    const gaps = wgslGaps(program.entries);
    if (!gaps) throw new BackendError(`model '${program.name}' cannot run on the webgpu backend: its program has no WGSL kernels (generated for cpu only); regenerate the module with this version of dnnc`);
    if (gaps.length) throw new BackendError(`model '${program.name}' cannot run on the webgpu backend: no WGSL kernel for op(s) ${gaps.join(', ')}; use backend: 'cpu'`);
    try {
      return await createWebGpuBackend();
    } catch (e) {
      throw new BackendError(`the webgpu backend is not available: ${(e as Error).message}`);
    }
  }
  if (want === 'auto') {
    const gaps = wgslGaps(program.entries);
    if (gaps && gaps.length === 0) {
      try {
        return await createWebGpuBackend();
      } catch {
        // no adapter: the next best
      }
    }
    const gj = gpujsGaps(program.entries);
    if (gj && gj.length === 0) {
      const mode = options.gpujs?.mode;
      // only a real GPU mode beats the cpu backend (gpu.js's own cpu/webasm modes do not)
      const probe = mode ? { ok: mode !== 'cpu' && mode !== 'webasm' } : await gpujsGpuMode();
      if (probe.ok) {
        try {
          return await createGpujsBackend(mode);
        } catch {
          // gpu.js cannot run here: cpu
        }
      }
    }
    return cpu();
  }
  if (want === 'gpujs') {
    const gaps = gpujsGaps(program.entries);
    if (!gaps) throw new BackendError(`model '${program.name}' cannot run on the gpujs backend: its program has no gpu.js kernels; regenerate the module with this version of dnnc`);
    if (gaps.length) throw new BackendError(`model '${program.name}' cannot run on the gpujs backend: no gpu.js kernel for op(s) ${gaps.join(', ')}; use backend: 'cpu' or 'webgpu'`);
    try {
      return await createGpujsBackend(options.gpujs?.mode);
    } catch (e) {
      throw new BackendError(`the gpujs backend is not available: ${(e as Error).message}`);
    }
  }
  throw new BackendError(`unknown backend '${String(want)}'; backends: ${KNOWN.join(', ')}, or 'auto'`);
}

interface Entry {
  spec: ProgramEntry;
  prepared: PreparedEntry;
  /** the inputs the caller supplies (not the hyper ones) */
  inputs: InputSpec[];
}

function copyOf(t: TypedArray): TypedArray {
  return t.slice() as TypedArray;
}

export class CompiledModel implements Model {
  readonly name: string;
  readonly backend: BackendName;
  readonly signature: Signature;
  /**
   * the paths of the params and model state; their arrays are read through
   * `stores` (a backend may move them: the cpu backend's wasm kernels keep
   * them in the model's wasm memory and put views of it in the store)
   */
  private params = new Set<string>();
  private stores = new Map<string, TypedArray>();
  private entries: { predict: Entry; trainStep?: Entry; evaluate?: Entry };
  private steps = 0;
  /** predict calls so far: the step that keys in-graph noise in predict */
  private predictCalls = 0;
  /** the last optimizer step of the current fit, for schedules that decay over the whole run */
  private plannedSteps: number | undefined;
  private disposed = false;
  private seed: number;
  /** where the last fit stood (checkpoints record it) */
  private position: TrainingPosition | undefined;
  /** on a resident backend: the device has trained the weights since the host arrays were last read */
  private hostStale = false;

  constructor(
    private program: Program,
    private impl: Backend,
    options: CreateOptions,
    /** a trainer's store shared by its models and steps (the model then does not own the backend) */
    private shared?: Map<string, TypedArray>,
  ) {
    if (program.format !== 1) throw new Error(`this runtime reads program format 1, but the module has format ${String(program.format)}; regenerate it with this version of dnnc`);
    this.name = program.name;
    this.backend = impl.name;
    this.signature = program.signature;
    this.seed = options.seed ?? program.train?.seed ?? 0;
    if (shared) this.stores = shared;
    const make = (t: ProgramTensor) => this.stores.get(t.path) ?? initTensor(t.init, t.dtype, t.shape, this.seed, t.path);
    // params, and model state (running statistics), travel with the weights; optimizer state does not
    for (const p of [...program.params, ...(program.state ?? [])]) {
      const t = make(p);
      this.params.add(p.path);
      this.stores.set(p.path, t);
    }
    for (const s of program.train?.state ?? []) this.stores.set(s.path, make(s));
    if (options.weights) this.initialWeights(options.weights);
    const prep = (spec: ProgramEntry): Entry => ({
      spec,
      prepared: impl.prepare(spec, this.stores),
      inputs: spec.inputs.filter((i) => i.role !== 'hyper'),
    });
    this.entries = {
      predict: prep(program.entries.predict),
      trainStep: program.entries.trainStep && prep(program.entries.trainStep),
      evaluate: program.entries.evaluate && prep(program.entries.evaluate),
    };
  }

  private alive(): void {
    if (this.disposed) throw new Error(`model '${this.name}' has been disposed`);
  }

  private needTrain(what: string): { step: Entry; evaluate?: Entry } {
    const t = this.entries.trainStep;
    if (!t || !this.program.train) throw new Error(`model '${this.name}' has no train block, so it cannot ${what}; add a train block to the .dnn file`);
    return { step: t, evaluate: this.entries.evaluate };
  }

  private async runEntry(entry: Entry, given: Record<string, TensorInput>, what: string, hyper?: Record<string, number>, checkFinite = false) {
    const { dims, data, shapes } = bindInputs(this.name, entry.inputs, given, what);
    checkLimits(this.name, entry.inputs, dims, entry.spec.limits, entry.spec.ranges, data);
    checkDims(`model '${this.name}'`, entry.inputs, dims, entry.spec);
    if (checkFinite) for (const s of entry.inputs) requireFinite(this.name, 'input', s.name, data.get(s.name)!, shapes.get(s.name) ?? evalShape(s.shape, dims));
    await entry.prepared.run(dims, data, hyper);
    return dims;
  }

  async predict(inputs: Record<string, TensorInput>, options: PredictOptions = {}): Promise<Record<string, Tensor>> {
    this.alive();
    const e = this.entries.predict;
    const checkFinite = options.checkFinite === true;
    // in-graph noise: keyed by the count of predict calls (a fresh draw every call), or by a given seed alone (step 0)
    const seed = options.seed;
    // hyper inputs are f32: integers up to 2^24 are exact
    if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed <= 2 ** 24))
      throw new Error(`predict: options.seed must be an integer from 0 to 2^24 (16777216), got ${String(seed)}`);
    if (seed === undefined) this.predictCalls = (this.predictCalls % 2 ** 24) + 1;
    const hyper = seed !== undefined ? { seed, step: 0 } : { seed: this.seed, step: this.predictCalls };
    const dims = await this.runEntry(e, inputs, 'input', hyper, checkFinite);
    const out: Record<string, Tensor> = {};
    for (const o of e.spec.outputs) {
      const data = copyOf(await e.prepared.output(o.name));
      out[o.name] = { dtype: o.dtype, shape: evalShape(o.shape, dims), data };
    }
    if (checkFinite) for (const [name, t] of Object.entries(out)) requireFinite(this.name, 'output', name, t.data, t.shape);
    return out;
  }

  private async scalars(entry: Entry): Promise<StepResult> {
    let loss = NaN;
    const metrics: Record<string, number> = {};
    for (const o of entry.spec.outputs) {
      const v = (await entry.prepared.output(o.name))[0];
      if (o.name === 'loss') loss = v;
      else metrics[o.name] = v;
    }
    return { loss, metrics };
  }

  async trainStep(batch: Record<string, TensorInput>): Promise<StepResult> {
    this.alive();
    const { step } = this.needTrain('train');
    const train = this.program.train!;
    const n = this.steps + 1;
    const lr = learningRate(train.schedule, train.optimizer.lr, n, this.plannedSteps);
    await this.runEntry(step, batch, 'batch input', { lr, step: n, seed: this.seed });
    this.steps = n;
    if (this.impl.resident) this.hostStale = true;
    return this.scalars(step);
  }

  async evaluate(data: Dataset, options?: { batchSize?: number; signal?: AbortSignal }): Promise<Record<string, number>> {
    this.alive();
    const { evaluate } = this.needTrain('evaluate');
    if (!evaluate) throw new Error(`model '${this.name}' has no evaluation graph`);
    const batchSize = options?.batchSize ?? this.program.train!.batch;
    return evaluateDataset(
      async (batch) => {
        const dims = await this.runEntry(evaluate, batch, 'batch input', { seed: this.seed, step: 0 });
        const r = await this.scalars(evaluate);
        const first = evaluate.inputs[0];
        const count = first && first.shape.length ? evalShape([first.shape[0]], dims)[0] : 1;
        return { ...r, count };
      },
      this.signature,
      data,
      batchSize,
      options?.signal,
    );
  }

  async fit(data: Dataset, options: FitOptions = {}): Promise<FitResult> {
    this.alive();
    this.needTrain('fit');
    const t = this.program.train!;
    const result = await fitModel(this, data, options, { epochs: t.epochs, batchSize: t.batch, seed: this.seed });
    await this.syncHost();
    return result;
  }

  /** Read the device's persistent tensors back into the host arrays (resident backends). */
  private async syncHost(): Promise<void> {
    if (!this.impl.resident || !this.hostStale || !this.impl.download) return;
    await this.impl.download([...this.stores.keys()]);
    this.hostStale = false;
  }

  async readWeights(): Promise<Weights> {
    this.alive();
    await this.syncHost();
    return this.getWeights();
  }

  /** A trainer's steps changed the weights on the device: the host arrays must be read back before use. */
  deviceChanged(): void {
    if (this.impl.resident) this.hostStale = true;
  }

  /** Called by fit before training: schedules like cosine decay until this step. */
  planSteps(moreSteps: number): void {
    this.plannedSteps = this.steps + moreSteps;
  }

  /** A trainer restored its seed from a checkpoint: its models' predict draws noise from it too. */
  reseed(seed: number): void {
    this.seed = seed;
  }

  /** Called by fit after each step: the position a checkpoint records. */
  atPosition(position: TrainingPosition): void {
    this.position = position;
  }

  /** options.weights of create: by path, or safetensors bytes */
  private initialWeights(weights: NonNullable<CreateOptions['weights']>): void {
    if (weights instanceof Uint8Array || weights instanceof ArrayBuffer) this.loadWeights(weights);
    else this.setWeights(weights);
  }

  /** The weights (params, then model state) as named in files. */
  weightTensors(): NamedTensor[] {
    return [...this.program.params, ...(this.program.state ?? [])].map((p) => ({ name: p.path, spec: p, data: this.stores.get(p.path)! }));
  }

  private optimizerTensors(): NamedTensor[] {
    return (this.program.train?.state ?? []).map((s) => ({ name: s.path, spec: s, data: this.stores.get(s.path)! }));
  }

  async saveWeights(): Promise<Uint8Array> {
    this.alive();
    await this.syncHost();
    return encodeFile(this.name, 'weights', this.weightTensors(), []);
  }

  loadWeights(bytes: Uint8Array | ArrayBuffer, options?: LoadOptions): CheckpointInfo {
    this.alive();
    const { data, info } = decodeFile(bytes, { what: `model '${this.name}'`, weights: this.weightTensors() }, options);
    assignLoaded(this.stores, this.impl, data);
    return info;
  }

  async saveCheckpoint(): Promise<Uint8Array> {
    this.alive();
    this.needTrain('save a checkpoint');
    const train = this.program.train!;
    await this.syncHost();
    return encodeFile(this.name, 'checkpoint', this.weightTensors(), this.optimizerTensors(), {
      step: String(this.steps),
      ...positionMetadata(this.position, train.epochs),
      seed: String(this.seed),
      optimizer: JSON.stringify(train.optimizer),
      schedule: JSON.stringify(train.schedule),
    });
  }

  loadCheckpoint(bytes: Uint8Array | ArrayBuffer, options?: LoadOptions): CheckpointInfo {
    this.alive();
    this.needTrain('load a checkpoint');
    const what = `model '${this.name}'`;
    const { data, info } = decodeFile(bytes, { what, weights: this.weightTensors(), optimizer: this.optimizerTensors() }, options);
    if (info.kind !== 'checkpoint' || info.step === undefined || info.seed === undefined)
      throw new WeightsError(`${options?.source ?? 'the checkpoint'} is not a training checkpoint of ${what} (its metadata has no step and seed); load it with loadWeights (dnnc train --init)`);
    assignLoaded(this.stores, this.impl, data);
    this.hostStale = false; // every persistent tensor was just written to the device
    this.steps = info.step;
    this.seed = info.seed;
    this.position = positionOf(info, this.program.train!.epochs);
    return info;
  }

  getWeights(): Weights {
    this.alive();
    if (this.hostStale)
      throw new Error(
        `getWeights: model '${this.name}' runs on the ${this.backend} backend, which keeps the weights on the device, and it has trained since they were last read; use \`await model.readWeights()\``,
      );
    const out: Weights = {};
    for (const path of this.params) out[path] = Float32Array.from(this.stores.get(path)!);
    return out;
  }

  setWeights(weights: Record<string, Float32Array | readonly number[]>): void {
    this.alive();
    if (weights === null || typeof weights !== 'object') throw new Error('setWeights expects an object mapping parameter paths to arrays');
    const known = () => [...this.params].join(', ');
    for (const [path, w] of Object.entries(weights)) {
      const dst = this.params.has(path) ? this.stores.get(path) : undefined;
      if (!dst) throw new Error(`setWeights: model '${this.name}' has no parameter '${path}'; its parameters are: ${known()}`);
      const spec = [...this.program.params, ...(this.program.state ?? [])].find((p) => p.path === path)!;
      if (!Array.isArray(w) && !(ArrayBuffer.isView(w) && !(w instanceof DataView) && !(w instanceof BigInt64Array) && !(w instanceof BigUint64Array)))
        throw new Error(`setWeights: '${path}' must be a Float32Array or an array of numbers`);
      if (w.length !== dst.length)
        throw new Error(`setWeights: '${path}' is ${spec.dtype}[${spec.shape.join(', ')}] (${dst.length} values), but ${w.length} values were given`);
      if (Array.isArray(w)) {
        // flat numbers only: a nested array or a string would be read as NaN
        const bad = w.findIndex((v) => typeof v !== 'number');
        if (bad >= 0) throw new Error(`setWeights: '${path}' holds ${Array.isArray(w[bad]) ? 'a nested array' : w[bad] === null ? 'null' : `a ${typeof w[bad]}`} at index ${bad}; expected a flat array of numbers`);
      }
    }
    for (const [path, w] of Object.entries(weights)) {
      this.stores.get(path)!.set(w);
      this.impl.upload?.(path);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.shared) return; // the trainer owns the backend and the store
    this.impl.dispose();
    this.params.clear();
    this.stores.clear();
  }
}

/** Create a Model from a program (what a generated module embeds). */
export async function instantiate(program: Program, options: CreateOptions = {}): Promise<Model> {
  const entries = Object.values(program.entries).filter((e): e is ProgramEntry => Boolean(e));
  const backend = await selectBackend(options.backend, { name: program.name, entries }, options);
  try {
    return new CompiledModel(program, backend, options);
  } catch (e) {
    backend.dispose();
    throw e;
  }
}
