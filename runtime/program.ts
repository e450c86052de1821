/**
 * The program format: what a generated module hands to `instantiate`.
 *
 * A program describes one model: its signature, its parameters (with their
 * initialisers), and up to three entries (predict, trainStep, evaluate). An
 * entry is a fixed schedule of kernel calls over a table of buffers:
 *
 *   buffers  storage slots (dtype + symbolic shape); several graph values may
 *            share one slot (reshape views, liveness-based reuse)
 *   inputs   which slot each named input is copied into
 *   steps    kernel name + input slots + output slots, run in order;
 *            `once` steps (constants) run when the slots are allocated
 *   outputs  which slot holds each named output after the steps
 *   updates  which slot holds the new value of each param/state path (the
 *            tensor's own slot when a kernel updates it in place: it reads
 *            each element before it writes it, and nothing later reads the
 *            old value; a backend then copies nothing)
 *
 * Kernels are plain functions `(ins, outs, dims) => void` over typed arrays
 * (Float32Array for f32, Int32Array for i32, Uint8Array for bool); `dims`
 * binds the symbolic dims ({ B: 32 }). A kernel that needs scratch gets it
 * after its outputs in `outs` (ProgramStep.scratch, ProgramScratch): kernels
 * allocate nothing.
 *
 * WebGPU: an entry may also carry `wgsl`, one compute shader per kernel name
 * (the same names as the CPU kernels, see WgslKernelSpec), and `wgslMissing`,
 * the ops that have no WGSL kernel (the webgpu backend refuses such an
 * entry with an error naming them). Programs without `wgsl` run on cpu only.
 *
 * gpu.js: likewise `gpujs` (GpujsKernelSpec per kernel name) and `gpujsMissing`.
 */
import type { Dim } from '../compiler/dims.js';
import type { InitSpec } from '../compiler/ir.js';
import type { DType, IOSpec, Signature, TypedArray } from './types.js';

export type Dims = Record<string, number>;
export type KernelFn = (ins: TypedArray[], outs: TypedArray[], dims: Dims) => void;

/**
 * The part of a split kernel (codegen/cpu/split.ts) that one call runs; a
 * call without a part runs the whole kernel.
 *   query   computes nothing: returns the rows of the split phase (SplitRows)
 *   before  the fused phases before the split one
 *   rows    rows [lo, hi) of the split phase
 *   after   the fused phases after it
 * A threaded call is: before; rows over every chunk, on all threads; after.
 */
export type KernelPart = { part: 'query' } | { part: 'before' } | { part: 'rows'; lo: number; hi: number } | { part: 'after' };

/** What a split kernel's query returns: its rows (`extent`), the multiple chunk bounds keep (`align`), and its floating-point work. */
export interface SplitRows {
  extent: number;
  align: number;
  flops: number;
}

/** A split kernel: a kernel that also takes the part to run. */
export type SplitKernelFn = (ins: TypedArray[], outs: TypedArray[], dims: Dims, run?: KernelPart) => SplitRows | void;

/** The parts without arguments, one object each (a warm step allocates nothing). */
export const QUERY: KernelPart = Object.freeze({ part: 'query' });
export const BEFORE: KernelPart = Object.freeze({ part: 'before' });
export const AFTER: KernelPart = Object.freeze({ part: 'after' });

export interface ProgramTensor {
  path: string;
  dtype: DType;
  shape: number[];
  init: InitSpec;
}

export interface ProgramBuffer {
  dtype: DType;
  shape: Dim[];
  /**
   * temp: written by a step; input: filled from a named input; const: written
   * by a `once` step; param/state: the model's persistent tensor `ref`
   */
  kind: 'temp' | 'input' | 'const' | 'param' | 'state';
  /** input name (kind input) or param/state path */
  ref?: string;
  /** readable name of the (first) value held, for comments and debugging */
  name?: string;
  /**
   * temp slots with the same pack number share one device buffer on webgpu
   * (each at an offset aligned to 256 bytes), so that one multi-tensor kernel
   * can address all of them (WgslKernelSpec.packed); other backends ignore it
   */
  pack?: number;
}

export interface ProgramStep {
  kernel: string;
  ins: number[];
  outs: number[];
  /** run once after allocation (constants), not on every call */
  once?: boolean;
  /**
   * the kernel's scratch (CPU kernels only): slots of the entry's `scratch`
   * table, passed to the kernel after its outputs (`outs` = outs, then these)
   */
  scratch?: number[];
}

/**
 * A scratch slot of an entry (CPU kernels: im2col and packing panels,
 * float64 accumulators, index tables): planned like a temporary, sized at
 * compile time, shared by the steps whose kernels need scratch (a step's
 * scratch is dead after it). GPU backends ignore it.
 */
export interface ProgramScratch {
  dtype: 'f64' | 'f32' | 'i32';
  /** elements */
  size: Dim;
}

/**
 * One WGSL compute shader (entry point `main`) of a kernel. Bindings in group
 * 0: the buffers of `reads` (read-only storage), then those of `writes`
 * (storage), then, when `dims` is not empty, a uniform buffer holding those
 * symbolic dims as u32 in that order. Storage holds f32, i32, and u32 for
 * bool. `reads`/`writes` index the kernel's arguments: the step's `ins`, then
 * its `outs`, then the kernel's own `temps`.
 */
export interface WgslPass {
  code: string;
  reads: number[];
  writes: number[];
  dims: string[];
  workgroupSize: [number, number, number];
  /**
   * workgroups per dispatch axis: ceil(items / per), items evaluated with the
   * bound dims; a 1-D count above the device limit is folded into x * y (the
   * shader's `wg` is the linear workgroup index, and it guards the excess).
   */
  workgroups: { items: Dim; per: number }[];
}

/** The WGSL form of one kernel: its passes in order (one dispatch each), and temporaries only it uses. */
export interface WgslKernelSpec {
  passes: WgslPass[];
  temps: { dtype: DType; shape: Dim[] }[];
  /** a multi-tensor kernel's single dispatch, used instead of `passes` when its operands are co-located */
  packed?: WgslPackedPass;
}

/**
 * A multi-tensor kernel as one dispatch over all its members (tensors): each
 * binding serves one role (the gradients, the first moments, ...) and must
 * hold that role's argument of every member in ONE device buffer (a pack or
 * the store arena); when they do not, the runtime runs `passes` instead.
 * Bindings in group 0: `reads` (read-only storage), `writes` (storage), then
 * `table`: u32 element offsets, [member][binding], that the runtime fills
 * from where each argument lies in its buffer. Workgroups: x over the
 * elements of the longest member (`workgroupSize` each), y over members.
 */
export interface WgslPackedPass {
  code: string;
  /** per binding, per member: the argument (step ins, then outs) */
  reads: number[][];
  writes: number[][];
  /** elements of each member */
  lengths: number[];
  workgroupSize: number;
  /**
   * per role (reads, then writes) the binding it is accessed through, when
   * roles share one (the in-place updates, all in the store arena); absent:
   * binding i serves role i. The table has one entry per role either way.
   */
  bindings?: number[];
}

/**
 * One gpu.js kernel of a kernel (the gpujs backend): a kernel function that
 * computes one element of one buffer per thread. `source` is the function's
 * text, `function (in0, ..., d0, ...) { const i = this.thread.x; ... return v; }`,
 * with symbolic dims written `@{B}` (replaced by the bound values before the
 * kernel is made: gpu.js loops need constant bounds, so kernels are made per
 * binding of the dims). Its parameters are the arguments of `reads` (the
 * step's `ins`, then its `outs`, then the kernel's `temps`), then the
 * constant arrays of `data`. It writes argument `write`, `size` elements.
 * Values are floats on the device: i32 and bool (0/1) included.
 */
export interface GpujsPass {
  source: string;
  reads: number[];
  write: number;
  size: Dim;
  data?: number[][];
}

/** The gpu.js form of one kernel: its passes in order, and temporaries only it uses. */
export interface GpujsKernelSpec {
  passes: GpujsPass[];
  temps: { dtype: DType; shape: Dim[] }[];
}

/**
 * The WebAssembly module of a program's CPU kernels (codegen/wasm/module.ts):
 * its bytes (base64 in a generated module) assembled for a shared memory
 * imported as `env.memory`; `sharedFlagAt` is the byte of that import's
 * limits (3: shared), set to 1 for an ordinary memory.
 */
export interface WasmModuleSpec {
  bytes: Uint8Array | string;
  sharedFlagAt: number;
}

/**
 * The wasm form of one CPU kernel: an export of the module under the
 * kernel's name, `(pointers..., dims..., scratch, r0, r1)`, all i32: the
 * byte offsets of the kernel arguments `args` (the step's ins, then outs),
 * the symbolic `dims`, this thread's `scratch` area (`scratch` bytes) and the
 * rows [r0, r1) of `rows.extent` to compute. Any split of the rows gives the
 * same results. `phases`: the JS kernel's phases before and after the wasm
 * one (its parts `before` and `after`, KernelPart) run around it (a fused group); `pre`/`post`: the exports
 * `<name>__pre` and `<name>__post` (same arguments, rows ignored) run them
 * instead.
 */
export interface WasmKernelSpec {
  args: number[];
  dims: string[];
  scratch: Dim;
  rows: { extent: Dim; align: number; flops: Dim };
  phases?: boolean;
  pre?: boolean;
  post?: boolean;
}

export interface ProgramEntry {
  /** symbolic dims with a largest allowed value (e.g. T of a positional table), checked when inputs bind them */
  limits?: { dim: string; max: number; what: string }[];
  /** integer inputs whose values must lie in [0, below) (token ids), checked before any backend runs */
  ranges?: { input: string; below: number; what: string; kind?: 'classes' }[];
  buffers: ProgramBuffer[];
  inputs: { name: string; dtype: DType; shape: Dim[]; role: 'data' | 'train' | 'hyper'; buffer: number }[];
  outputs: { name: string; buffer: number; dtype: DType; shape: Dim[] }[];
  updates: { path: string; buffer: number }[];
  steps: ProgramStep[];
  /** kernel scratch slots (ProgramStep.scratch); absent when no kernel needs scratch */
  scratch?: ProgramScratch[];
  kernels: Record<string, KernelFn>;
  /** WGSL kernels by kernel name (the webgpu backend); absent in programs made for cpu only */
  wgsl?: Record<string, WgslKernelSpec>;
  /** ops of this entry with no WGSL kernel: the webgpu backend refuses the entry, naming them */
  wgslMissing?: string[];
  /** the wasm forms of CPU kernels (the cpu backend's wasm kernels) and their module */
  wasm?: { module: WasmModuleSpec; kernels: Record<string, WasmKernelSpec> };
  /** gpu.js kernels by kernel name (the gpujs backend); absent in programs made without them */
  gpujs?: Record<string, GpujsKernelSpec>;
  /** ops of this entry with no gpu.js kernel: the gpujs backend refuses the entry, naming them */
  gpujsMissing?: string[];
}

export interface ProgramTrain {
  optimizer: { kind: string; lr: number; options: Record<string, number> };
  schedule: { kind: 'constant' | 'step' | 'exponential' | 'cosine' | 'warmup'; options: Record<string, number> };
  batch: number;
  epochs: number;
  metrics: string[];
  /** optimizer moments and counters */
  state: ProgramTensor[];
  data?: { name: string; args: Record<string, unknown> };
  validate?: { name: string; args: Record<string, unknown> };
  test?: { name: string; args: Record<string, unknown> };
  seed?: number;
}

export interface Program {
  /** program format version */
  format: 1;
  name: string;
  signature: Signature;
  params: ProgramTensor[];
  /** non-trainable tensors the model owns (batchnorm running statistics); saved with the weights */
  state?: ProgramTensor[];
  entries: {
    predict: ProgramEntry;
    trainStep?: ProgramEntry;
    evaluate?: ProgramEntry;
  };
  train?: ProgramTrain;
}

/** One optimizer step of a trainer: its entry and how to drive it. */
export interface TrainerStepProgram {
  name: string;
  entry: ProgramEntry;
  /** the models whose parameters the step updates */
  trains: string[];
  /** the inputs the caller (or the data set) supplies */
  inputs: IOSpec[];
  optimizer: ProgramTrain['optimizer'];
  schedule: ProgramTrain['schedule'];
  /** this step's optimizer moments */
  state: ProgramTensor[];
  metrics: string[];
}

/** Parameters copied (or blended with `tau`) from one model to another every `every` steps that train `from`. */
export interface SyncProgram {
  from: string;
  to: string;
  every: number;
  tau?: number;
  pairs: { from: string; to: string }[];
}

/** A train block over several models or steps: the models' programs plus the steps, sharing one set of weights. */
export interface TrainerProgram {
  format: 1;
  kind: 'trainer';
  name: string;
  /** each model's program (predict only) */
  models: Program[];
  steps: TrainerStepProgram[];
  syncs: SyncProgram[];
  batch: number;
  epochs: number;
  data?: ProgramTrain['data'];
  validate?: ProgramTrain['validate'];
  test?: ProgramTrain['test'];
  seed?: number;
}
