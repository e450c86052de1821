/**
 * The gpu.js backend: runs an entry's gpu.js kernels (program `gpujs`, one
 * kernel function per buffer written, one thread per output element) for
 * portability: WebGL2 / WebGL in browsers without WebGPU, headless-gl in
 * Node, and gpu.js's own webgpu, webasm and cpu modes.
 *
 * - gpu.js: in browsers the global `GPU` (dist/gpu-browser.js loaded by a
 *   script tag); elsewhere the `gpu.js` package, imported on first use. One
 *   gpu.js instance per mode is shared by all models of the process (each
 *   WebGL instance holds a context, and browsers allow few).
 * - Kernels per binding: gpu.js loops need constant bounds, so the symbolic
 *   dims (`@{B}` in the sources) are replaced by their bound values and the
 *   kernels made once per binding (per batch size; the last 4 are kept).
 *   Every pass of every step gets its own kernel: a pipeline kernel writes
 *   the same output (texture or array) on every call, so a kernel shared by
 *   two steps would overwrite the value the first one produced.
 * - Pipeline mode: kernel outputs stay on the device (textures in WebGL) and
 *   feed later kernels directly; only the entry's outputs are read back, when
 *   asked (`output()`).
 * - Residency: params and state live as device values (made from the host
 *   arrays by an immutable copy kernel); at the end of a training step each
 *   update is copied into a fresh device value (the step's own outputs are
 *   rewritten by the next step). The host arrays are refreshed by `download`.
 * - Numbers: gpu.js computes in float32 (GL textures hold floats): i32 values
 *   are exact only below 2^24 in magnitude (indices, labels and counts are),
 *   i32 arithmetic does not wrap at 2^31 as the cpu backend's does, and bool
 *   is 0 or 1. Transcendental functions are the GPU's (results agree with cpu
 *   to about 1e-5 relative, not bit for bit). gpu.js's cpu mode computes in
 *   float64 inside a kernel and rounds to float32 on store.
 */
import { evalDim, evalShape } from '../../compiler/dims.js';
import type { Backend, PreparedEntry } from '../backend.js';
import type { Dims, GpujsKernelSpec, GpujsPass, ProgramEntry } from '../program.js';
import type { DType, GpujsMode, TypedArray } from '../types.js';
import { isMissingPackage, missingPackageMessage } from '../optional-package.js';
import { BindingCache, inputSlots } from '../bindings.js';


/** gpu.js modes that run on a GPU (the others are webasm and cpu) */
export const GPU_MODES: readonly string[] = ['webgl2', 'webgl', 'headlessgl', 'webgpu'];

// ---------------------------------------------------------------- gpu.js, loosely typed

interface GpuKernel {
  (...args: unknown[]): unknown;
  destroy?(removeCanvasReferences?: boolean): void;
}
interface GpuInstance {
  mode: string;
  createKernel(source: string, settings: Record<string, unknown>): GpuKernel;
  destroy(): unknown;
}
type GpuConstructor = (new (settings?: { mode?: string }) => GpuInstance) & { isWebGL2Supported?: boolean };

/** a device value: a gpu.js Texture (GL modes), or an array (cpu mode), or what other modes return */
type DeviceValue = unknown;

let ctorPromise: Promise<GpuConstructor> | undefined;

/** The GPU class: the browser global from gpu-browser.js, else the gpu.js package. */
async function gpuConstructor(): Promise<GpuConstructor> {
  const g = (globalThis as { GPU?: unknown }).GPU as (GpuConstructor & { GPU?: GpuConstructor }) | undefined;
  // WebGPU also defines a global `GPU` (its navigator.gpu interface): take gpu.js's only
  const ctor = typeof g === 'function' ? (g.GPU ?? g) : undefined;
  if (ctor && typeof (ctor as { prototype?: { createKernel?: unknown } }).prototype?.createKernel === 'function') return ctor;
  ctorPromise ??= (async () => {
    const spec = 'gpu.js';
    let mod: { GPU?: GpuConstructor; default?: { GPU?: GpuConstructor } };
    try {
      mod = (await import(/* @vite-ignore */ spec)) as typeof mod;
    } catch (e) {
      if (isMissingPackage(e, spec)) throw new Error(`${missingPackageMessage(spec, 'the gpujs backend')} (in a browser, load its dist/gpu-browser.js with a script tag instead)`);
      throw new Error(`the gpujs backend cannot load the 'gpu.js' package (in a browser, load its dist/gpu-browser.js with a script tag first): ${(e as Error).message}`);
    }
    const ctor = mod.GPU ?? mod.default?.GPU;
    if (!ctor) throw new Error(`the 'gpu.js' package does not export GPU`);
    return ctor;
  })();
  ctorPromise.catch(() => (ctorPromise = undefined));
  return ctorPromise;
}

const instances = new Map<string, Promise<GpuInstance>>();

/** The shared gpu.js instance of a mode ('default': gpu.js picks the best it finds). */
function gpuInstance(mode: GpujsMode | undefined): Promise<GpuInstance> {
  const key = mode ?? 'default';
  let p = instances.get(key);
  if (!p) {
    p = (async () => {
      const GPU = await gpuConstructor();
      const gpu = new GPU(mode ? { mode } : {});
      if (mode && mode !== 'gpu' && gpu.mode !== mode) throw new Error(`gpu.js mode '${mode}' is not available here (gpu.js chose '${gpu.mode}')`);
      return gpu;
    })();
    instances.set(key, p);
    p.catch(() => instances.delete(key));
  }
  return p;
}

/**
 * Whether gpu.js finds a mode that runs on a GPU here (webgl2, webgl,
 * headlessgl); what `backend: 'auto'` asks before it picks gpujs.
 */
export async function gpujsGpuMode(): Promise<{ ok: true; mode: string } | { ok: false; reason: string }> {
  try {
    const gpu = await gpuInstance(undefined);
    if (GPU_MODES.includes(gpu.mode)) return { ok: true, mode: gpu.mode };
    return { ok: false, reason: `gpu.js found no GPU mode here (it would run in '${gpu.mode}' mode)` };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

/** Create the backend in `mode` (default: gpu.js's choice); throws an Error explaining why when gpu.js cannot run. */
export async function createGpujsBackend(mode?: GpujsMode): Promise<GpujsBackend> {
  return new GpujsBackend(await gpuInstance(mode));
}

// ---------------------------------------------------------------- helpers

const isThenable = (x: unknown): x is Promise<unknown> => typeof (x as { then?: unknown } | null)?.then === 'function';

/** a device value as floats on the host */
async function readFloats(v: DeviceValue): Promise<ArrayLike<number>> {
  const t = v as { toArray?: () => unknown };
  let a: unknown = typeof t?.toArray === 'function' ? t.toArray() : v;
  if (isThenable(a)) a = await a;
  return a as ArrayLike<number>;
}

function fromFloats(src: ArrayLike<number>, dtype: DType, n: number, into?: TypedArray): TypedArray {
  if (dtype === 'f32') {
    const out = (into as Float32Array | undefined) ?? new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = src[i];
    return out;
  }
  if (dtype === 'i32') {
    const out = (into as Int32Array | undefined) ?? new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.round(src[i]);
    return out;
  }
  const out = (into as Uint8Array | undefined) ?? new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = src[i] !== 0 ? 1 : 0;
  return out;
}

function deleteValue(v: DeviceValue): void {
  const t = v as { delete?: () => void } | undefined;
  if (t && typeof t.delete === 'function') t.delete();
}

/** The source of a pass with the dims bound: `@{B}` → 32. */
function bindSource(pass: GpujsPass, dims: Dims): string {
  return pass.source.trim().replace(/@\{([^}]+)\}/g, (_, d: string) => {
    const v = evalDim(/^-?\d+$/.test(d) ? Number(d) : d, dims);
    return String(v);
  });
}

/** the largest integer literal in a source: loops up to it must not be cut short by gpu.js's loop cap */
function largestLiteral(src: string): number {
  let m = 0;
  for (const x of src.matchAll(/\b\d+\b/g)) m = Math.max(m, Number(x[0]));
  return m;
}

// ---------------------------------------------------------------- one entry

interface PassCall {
  kernel: GpuKernel;
  reads: number[];
  write: number;
  data: Float32Array[];
}
interface StepCall {
  /** argument -> slot (>= 0) or temp (-1 - k) */
  args: number[];
  /** how many of `args` are the step's inputs */
  ins: number;
  passes: PassCall[];
  temps: DeviceValue[];
}
interface Binding {
  dims: Dims;
  sizes: number[];
  /** current value of each slot */
  vals: DeviceValue[];
  /** input slots: host float arrays, refilled each run */
  inputs: Map<number, Float32Array>;
  calls: StepCall[];
  kernels: GpuKernel[];
  /** param/state slots written in place during the current run (their new values are in `vals` until the run ends) */
  written: Map<number, StepCall>;
}

class GpujsEntry implements PreparedEntry {
  private bindings = new BindingCache<Promise<Binding>>((p) => void p.then((b) => b.kernels.forEach((k) => k.destroy?.(false)), () => undefined));
  private last?: Binding;
  private inputIndex: Map<string, number>;
  private hyperIndex: Map<string, number>;
  private outputIndex: Map<string, number>;
  private readback = new Map<string, TypedArray>();

  constructor(
    private backend: GpujsBackend,
    private entry: ProgramEntry,
  ) {
    ({ data: this.inputIndex, hyper: this.hyperIndex } = inputSlots(entry));
    this.outputIndex = new Map(entry.outputs.map((o) => [o.name, o.buffer]));
    const missing = entry.gpujsMissing ?? [];
    if (missing.length) throw new Error(`the gpujs backend has no gpu.js kernel for op(s): ${missing.join(', ')}`);
    if (!entry.gpujs) throw new Error('this program has no gpu.js kernels (it was generated without them); regenerate it with this version of dnnc');
    for (const s of entry.steps) if (!entry.gpujs[s.kernel]) throw new Error(`internal: gpu.js kernel '${s.kernel}' is missing from the program`);
  }

  private bind(dims: Dims): Promise<Binding> {
    return this.bindings.get(dims, (frozen) => {
      const made = this.createBinding(frozen);
      // a binding that failed is made again next time
      made.catch(() => this.bindings.forget(frozen, made));
      return made;
    });
  }

  private async createBinding(dims: Dims): Promise<Binding> {
    const e = this.entry;
    const sizes = e.buffers.map((b) => evalShape(b.shape, dims).reduce((a, c) => a * c, 1));
    const vals: DeviceValue[] = new Array(e.buffers.length).fill(undefined);
    const inputs = new Map<number, Float32Array>();
    e.buffers.forEach((b, i) => {
      if (b.kind === 'input') {
        const a = new Float32Array(Math.max(1, sizes[i]));
        inputs.set(i, a);
        vals[i] = a;
      }
    });
    const kernels: GpuKernel[] = [];
    const calls: StepCall[] = [];
    const once: StepCall[] = [];
    for (const step of e.steps) {
      const spec: GpujsKernelSpec = e.gpujs![step.kernel];
      const args = [...step.ins, ...step.outs, ...spec.temps.map((_, k) => -1 - k)];
      const passes: PassCall[] = [];
      for (const pass of spec.passes) {
        const n = evalDim(pass.size, dims);
        if (n === 0) continue;
        const source = bindSource(pass, dims);
        const kernel = this.backend.kernel(source, n, false);
        kernels.push(kernel);
        passes.push({ kernel, reads: pass.reads, write: pass.write, data: (pass.data ?? []).map((d) => Float32Array.from(d.length ? d : [0])) });
      }
      const call: StepCall = { args, ins: step.ins.length, passes, temps: spec.temps.map(() => undefined) };
      (step.once ? once : calls).push(call);
    }
    const b: Binding = { dims, sizes, vals, inputs, calls, kernels, written: new Map() };
    for (const c of once) await this.runCall(b, c);
    return b;
  }

  private slot(b: Binding, s: number): DeviceValue {
    const buf = this.entry.buffers[s];
    if ((buf.kind === 'param' || buf.kind === 'state') && !b.written.has(s)) return this.backend.storeValue(buf.ref!);
    return b.vals[s];
  }

  private value(b: Binding, c: StepCall, a: number): DeviceValue {
    const s = c.args[a];
    if (s < 0) return c.temps[-1 - s];
    // an input argument of a step that updates its slot in place is the value before the step (a pass
    // may recompute from it after another pass wrote the new value); an output argument, the new value
    const buf = this.entry.buffers[s];
    if (a < c.ins && (buf.kind === 'param' || buf.kind === 'state') && b.written.get(s) === c) return this.backend.storeValue(buf.ref!);
    return this.slot(b, s);
  }

  private async runCall(b: Binding, c: StepCall): Promise<void> {
    for (const p of c.passes) {
      const args = p.reads.map((a) => this.value(b, c, a));
      let r = p.kernel(...args, ...p.data);
      if (isThenable(r)) r = await r;
      const s = c.args[p.write];
      if (s < 0) c.temps[-1 - s] = r;
      else {
        // an update written in place (the plan put it in the tensor's own slot): later passes read the new value; the store takes it when the run ends
        const kind = this.entry.buffers[s].kind;
        if (kind === 'param' || kind === 'state') b.written.set(s, c);
        b.vals[s] = r;
      }
    }
  }

  async run(dims: Dims, inputs: Map<string, TypedArray>, hyper?: Record<string, number>): Promise<void> {
    const b = await this.bind(dims);
    for (const [name, data] of inputs) {
      const i = this.inputIndex.get(name);
      if (i === undefined) continue;
      const dst = b.inputs.get(i)!;
      for (let k = 0; k < data.length; k++) dst[k] = data[k];
    }
    if (hyper)
      for (const name in hyper) {
        const i = this.hyperIndex.get(name);
        if (i !== undefined) b.inputs.get(i)![0] = hyper[name];
      }
    b.written.clear();
    for (const c of b.calls) await this.runCall(b, c);
    for (const u of this.entry.updates) {
      const buf = this.entry.buffers[u.buffer];
      // the tensor's own slot, not written this run: unchanged
      if ((buf.kind === 'param' || buf.kind === 'state') && buf.ref === u.path && !b.written.has(u.buffer)) continue;
      this.backend.setStore(u.path, this.slot(b, u.buffer), b.sizes[u.buffer]);
    }
    b.written.clear();
    this.readback.clear();
    this.last = b;
  }

  async output(name: string): Promise<TypedArray> {
    const b = this.last;
    if (!b) throw new Error('internal: output read before the entry ran');
    const i = this.outputIndex.get(name);
    if (i === undefined) throw new Error(`internal: no output '${name}'`);
    let hit = this.readback.get(name);
    if (!hit) {
      const v = this.slot(b, i);
      hit = fromFloats(await readFloats(v), this.entry.outputs.find((o) => o.name === name)!.dtype, b.sizes[i]);
      this.readback.set(name, hit);
    }
    return hit;
  }

  dispose(): void {
    this.bindings.clear();
    this.last = undefined;
    this.readback.clear();
  }
}

// ---------------------------------------------------------------- the backend

export class GpujsBackend implements Backend {
  readonly name = 'gpujs' as const;
  /** persistent tensors live on the device: the host arrays are refreshed only by download() */
  readonly resident = true;
  private gpu: GpuInstance | undefined;
  private stores: Map<string, TypedArray> | undefined;
  private device = new Map<string, DeviceValue>();
  private copies = new Map<string, GpuKernel>();
  private entries: GpujsEntry[] = [];

  constructor(gpu: GpuInstance) {
    this.gpu = gpu;
  }

  /** the gpu.js mode kernels run in: webgl2, webgl, headlessgl, webgpu, webasm or cpu */
  get mode(): string {
    return this.gpu?.mode ?? 'disposed';
  }

  prepare(entry: ProgramEntry, stores: Map<string, TypedArray>): PreparedEntry {
    if (!this.gpu) throw new Error('the gpujs backend has been disposed');
    this.stores = stores;
    const e = new GpujsEntry(this, entry);
    this.entries.push(e);
    return e;
  }

  /** A pipeline kernel over `n` output elements (`immutable`: a fresh output per call). */
  kernel(source: string, n: number, immutable: boolean): GpuKernel {
    if (!this.gpu) throw new Error('the gpujs backend has been disposed');
    try {
      return this.gpu.createKernel(source, {
        output: [n],
        pipeline: true,
        immutable,
        precision: 'single',
        tactic: 'precision',
        loopMaxIterations: Math.max(1000, largestLiteral(source) + 1),
        dynamicOutput: false,
        dynamicArguments: false,
      });
    } catch (e) {
      throw new Error(`internal: gpu.js rejected a kernel: ${(e as Error).message}\n${source}`);
    }
  }

  /** A copy of a device value or host array into a fresh device value (`from`: which kind, one kernel each). */
  private copy(v: DeviceValue, n: number): DeviceValue {
    // one kernel per kind of argument: gpu.js fixes a kernel's argument types on its first call
    const key = `${ArrayBuffer.isView(v) ? 'host' : 'device'}:${n}`;
    let k = this.copies.get(key);
    if (!k) {
      k = this.kernel('function (a) { return a[this.thread.x]; }', Math.max(1, n), true);
      this.copies.set(key, k);
    }
    return k(v);
  }

  /** The device value of a param/state tensor, uploaded from the host array on first use. */
  storeValue(path: string): DeviceValue {
    let v = this.device.get(path);
    if (v !== undefined) return v;
    const host = this.stores?.get(path);
    if (!host) throw new Error(`internal: no tensor for '${path}'`);
    v = this.copy(Float32Array.from(host.length ? host : [0]), host.length);
    this.device.set(path, v);
    return v;
  }

  /** A training step's new value of `path`: copied (the step's kernels rewrite their outputs next time). */
  setStore(path: string, v: DeviceValue, n: number): void {
    const next = this.copy(v, n);
    deleteValue(this.device.get(path));
    this.device.set(path, next);
  }

  /** The host array of `path` changed (setWeights): send it on first use. */
  upload(path: string): void {
    const old = this.device.get(path);
    if (old === undefined) return;
    deleteValue(old);
    this.device.delete(path);
  }

  /** Read the device values of `paths` back into their host arrays. */
  async download(paths: string[]): Promise<void> {
    for (const path of paths) {
      const v = this.device.get(path);
      const host = this.stores?.get(path);
      if (v === undefined || !host) continue;
      const dtype: DType = host instanceof Float32Array ? 'f32' : host instanceof Int32Array ? 'i32' : 'bool';
      fromFloats(await readFloats(v), dtype, host.length, host);
    }
  }

  dispose(): void {
    for (const e of this.entries) e.dispose();
    this.entries = [];
    for (const v of this.device.values()) deleteValue(v);
    this.device.clear();
    for (const k of this.copies.values()) k.destroy?.(false);
    this.copies.clear();
    this.stores = undefined;
    this.gpu = undefined;
  }
}
