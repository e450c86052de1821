/**
 * `instantiateTrainer(program, options)`: the runtime side of a train block
 * with several models or steps. One backend and one store of persistent
 * tensors serve every model and step, so a step's update is what the next
 * step and every model's predict see.
 *
 * Each step keeps its own optimizer step count (Adam's bias correction, the
 * schedule). A sync `A -> B every N` fires after every N-th call of a step
 * that trains A: B's parameters become A's (or tau·A + (1-tau)·B).
 * `fit` runs all steps, in order, on each batch (fitModel over a facade).
 */
import type { Backend, PreparedEntry } from './backend.js';
import { initTensor } from './init.js';
import { bindInputs, checkDims, checkLimits } from './inputs.js';
import { CompiledModel, selectBackend } from './model.js';
import type { TrainerProgram, TrainerStepProgram } from './program.js';
import { learningRate } from './schedule.js';
import { fitModel } from './train.js';
import type { CreateOptions, Dataset, FitOptions, FitResult, LoadOptions, Model, Signature, StepResult, TensorInput, Trainer, TrainingPosition, TypedArray, Weights } from './types.js';
import { assignLoaded, decodeFile, encodeFile, positionMetadata, positionOf, type CheckpointInfo, type NamedTensor } from './checkpoint.js';
import { WeightsError } from './weights-error.js';

interface PreparedStep {
  spec: TrainerStepProgram;
  prepared: PreparedEntry;
  calls: number;
}

class CompiledTrainer implements Trainer {
  readonly name: string;
  readonly backend: Trainer['backend'];
  readonly models: Record<string, Model> = {};
  readonly steps: Trainer['steps'] = {};
  readonly stepInputs: Record<string, TrainerStepProgram['inputs']> = {};
  private readonly stores = new Map<string, TypedArray>();
  private readonly prepared: PreparedStep[] = [];
  private seed: number;
  private plannedSteps: number | undefined;
  private position: TrainingPosition | undefined;
  private disposed = false;

  constructor(
    private program: TrainerProgram,
    private impl: Backend,
    options: CreateOptions,
  ) {
    this.name = program.name;
    this.backend = impl.name;
    this.seed = options.seed ?? program.seed ?? 0;
    const { weights, ...rest } = options;
    for (const m of program.models) this.models[m.name] = new CompiledModel(m, impl, { ...rest, seed: this.seed }, this.stores);
    for (const s of program.steps) {
      for (const t of s.state) if (!this.stores.has(t.path)) this.stores.set(t.path, initTensor(t.init, t.dtype, t.shape, this.seed, t.path));
      const ps: PreparedStep = { spec: s, prepared: impl.prepare(s.entry, this.stores), calls: 0 };
      this.prepared.push(ps);
      this.stepInputs[s.name] = s.inputs;
      this.steps[s.name] = (batch) => this.runStep(ps, batch);
    }
    // a file holds every model's weights, sync targets included
    const fromFile = weights instanceof Uint8Array || weights instanceof ArrayBuffer;
    if (fromFile) this.loadWeights(weights);
    else if (weights) this.setWeights(weights);
    // a sync target starts as a copy of its source (DQN's target network = the online one), unless given
    for (const sy of fromFile ? [] : program.syncs)
      for (const p of sy.pairs) {
        if (weights && p.to in weights) continue;
        this.stores.get(p.to)!.set(this.stores.get(p.from)!);
        this.impl.upload?.(p.to);
      }
  }

  private alive(): void {
    if (this.disposed) throw new Error(`trainer '${this.name}' has been disposed`);
  }

  private async runStep(ps: PreparedStep, batch: Record<string, TensorInput>): Promise<StepResult> {
    this.alive();
    const s = ps.spec;
    const n = ps.calls + 1;
    const specs = s.inputs.map((i) => ({ ...i, role: 'train' as const }));
    const { dims, data } = bindInputs(`${this.name}.${s.name}`, specs, batch, 'batch input');
    checkLimits(`${this.name}.${s.name}`, specs, dims, s.entry.limits, s.entry.ranges, data);
    checkDims(`trainer '${this.name}', step '${s.name}'`, specs, dims, s.entry);
    const lr = learningRate(s.schedule, s.optimizer.lr, n, this.plannedSteps);
    await ps.prepared.run(dims, data, { lr, step: n, seed: this.seed });
    ps.calls = n;
    for (const m of Object.values(this.models)) (m as CompiledModel).deviceChanged();
    await this.applySyncs(s);
    let loss = NaN;
    const metrics: Record<string, number> = {};
    for (const o of s.entry.outputs) {
      const v = (await ps.prepared.output(o.name))[0];
      if (o.name === 'loss') loss = v;
      else metrics[o.name] = v;
    }
    return { loss, metrics };
  }

  /** Syncs whose source this step trains fire every `every` of its calls. */
  private async applySyncs(step: TrainerStepProgram): Promise<void> {
    const calls = this.prepared.find((p) => p.spec === step)!.calls;
    const due = this.program.syncs.filter((sy) => step.trains.includes(sy.from) && calls % sy.every === 0);
    if (due.length === 0) return;
    const paths = due.flatMap((sy) => sy.pairs.flatMap((p) => [p.from, p.to]));
    if (this.impl.resident && this.impl.download) await this.impl.download(paths);
    for (const sy of due)
      for (const p of sy.pairs) {
        const a = this.stores.get(p.from)!;
        const b = this.stores.get(p.to)!;
        if (sy.tau === undefined) b.set(a);
        else for (let i = 0; i < b.length; i++) b[i] = sy.tau * a[i] + (1 - sy.tau) * b[i];
        this.impl.upload?.(p.to);
      }
  }

  /** fit drives every step through one facade whose trainStep runs them in order. */
  async fit(data: Dataset, options: FitOptions = {}): Promise<FitResult> {
    this.alive();
    if (options.validation) throw new Error(`trainer '${this.name}' has no evaluation graph; evaluate its models with predict instead`);
    const inputs = new Map<string, TrainerStepProgram['inputs'][number]>();
    for (const s of this.program.steps) for (const i of s.inputs) if (!inputs.has(i.name)) inputs.set(i.name, i);
    const signature: Signature = { inputs: [...inputs.values()], outputs: [], trainInputs: [] };
    const facade = {
      name: this.name,
      backend: this.backend,
      signature,
      planSteps: (n: number) => {
        this.plannedSteps = Math.max(...this.prepared.map((p) => p.calls)) + n;
      },
      atPosition: (position: TrainingPosition) => {
        this.position = position;
      },
      trainStep: async (batch: Record<string, TensorInput>): Promise<StepResult> => {
        const metrics: Record<string, number> = {};
        let loss = NaN;
        for (const ps of this.prepared) {
          const own: Record<string, TensorInput> = {};
          for (const i of ps.spec.inputs) own[i.name] = batch[i.name];
          const r = await this.runStep(ps, own);
          metrics[`${ps.spec.name}_loss`] = r.loss;
          for (const [k, v] of Object.entries(r.metrics)) metrics[`${ps.spec.name}_${k}`] = v;
          loss = r.loss;
        }
        return { loss, metrics };
      },
    } as unknown as Model;
    return fitModel(facade, data, options, { epochs: this.program.epochs, batchSize: this.program.batch, seed: this.seed });
  }

  getWeights(): Weights {
    this.alive();
    const out: Weights = {};
    for (const m of Object.values(this.models)) Object.assign(out, m.getWeights());
    return out;
  }

  async readWeights(): Promise<Weights> {
    this.alive();
    const out: Weights = {};
    for (const m of Object.values(this.models)) Object.assign(out, await (m as CompiledModel).readWeights());
    return out;
  }

  setWeights(weights: Record<string, Float32Array | readonly number[]>): void {
    this.alive();
    const byModel = new Map<string, Record<string, Float32Array | readonly number[]>>();
    for (const [path, w] of Object.entries(weights)) {
      const model = path.split('.')[0];
      if (!this.models[model]) throw new Error(`setWeights: trainer '${this.name}' has no model '${model}' (parameter '${path}'); its models are: ${Object.keys(this.models).join(', ')}`);
      byModel.set(model, { ...(byModel.get(model) ?? {}), [path]: w });
    }
    for (const [model, ws] of byModel) this.models[model].setWeights(ws);
  }

  /** Every model's weights (params and model state), in model order. */
  private weightTensors(): NamedTensor[] {
    return Object.values(this.models).flatMap((m) => (m as CompiledModel).weightTensors());
  }

  private optimizerTensors(): NamedTensor[] {
    return this.program.steps.flatMap((s) => s.state.map((t) => ({ name: t.path, spec: t, data: this.stores.get(t.path)! })));
  }

  /** The host arrays must hold the device's values before they are written out. */
  private async syncHost(): Promise<void> {
    if (this.impl.resident && this.impl.download) await this.impl.download([...this.stores.keys()]);
  }

  async saveWeights(): Promise<Uint8Array> {
    this.alive();
    await this.syncHost();
    return encodeFile(this.name, 'weights', this.weightTensors(), []);
  }

  loadWeights(bytes: Uint8Array | ArrayBuffer, options?: LoadOptions): CheckpointInfo {
    this.alive();
    const { data, info } = decodeFile(bytes, { what: `trainer '${this.name}'`, weights: this.weightTensors() }, options);
    assignLoaded(this.stores, this.impl, data);
    return info;
  }

  async saveCheckpoint(): Promise<Uint8Array> {
    this.alive();
    await this.syncHost();
    const counts = Object.fromEntries(this.prepared.map((p) => [p.spec.name, p.calls]));
    return encodeFile(this.name, 'checkpoint', this.weightTensors(), this.optimizerTensors(), {
      step: String(Math.max(0, ...Object.values(counts))),
      step_counts: JSON.stringify(counts),
      ...positionMetadata(this.position, this.program.epochs),
      seed: String(this.seed),
      optimizer: JSON.stringify(Object.fromEntries(this.program.steps.map((s) => [s.name, s.optimizer]))),
      schedule: JSON.stringify(Object.fromEntries(this.program.steps.map((s) => [s.name, s.schedule]))),
    });
  }

  loadCheckpoint(bytes: Uint8Array | ArrayBuffer, options?: LoadOptions): CheckpointInfo {
    this.alive();
    const what = `trainer '${this.name}'`;
    const { data, info } = decodeFile(bytes, { what, weights: this.weightTensors(), optimizer: this.optimizerTensors() }, options);
    const counts = info.stepCounts;
    const missing = this.prepared.filter((p) => counts?.[p.spec.name] === undefined).map((p) => p.spec.name);
    if (info.kind !== 'checkpoint' || info.seed === undefined || missing.length)
      throw new WeightsError(`${options?.source ?? 'the checkpoint'} is not a training checkpoint of ${what} (its metadata lacks ${missing.length ? `the step counts of ${missing.join(', ')}` : 'the seed'}); load it with loadWeights (dnnc train --init)`);
    assignLoaded(this.stores, this.impl, data);
    for (const p of this.prepared) p.calls = counts![p.spec.name];
    this.seed = info.seed;
    this.position = positionOf(info, this.program.epochs);
    for (const m of Object.values(this.models)) (m as CompiledModel).reseed(info.seed);
    return info;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.prepared) p.prepared.dispose();
    for (const m of Object.values(this.models)) m.dispose();
    this.impl.dispose();
    this.stores.clear();
  }
}

/** Create a Trainer from a trainer program (what a generated module embeds for GAN-style train blocks). */
export async function instantiateTrainer(program: TrainerProgram, options: CreateOptions = {}): Promise<Trainer> {
  // the backend must run every model and every step
  const entries = [...program.models.map((m) => m.entries.predict), ...program.steps.map((s) => s.entry)];
  const backend = await selectBackend(options.backend, { name: program.name, entries }, options);
  try {
    return new CompiledTrainer(program, backend, options);
  } catch (e) {
    backend.dispose();
    throw e;
  }
}
