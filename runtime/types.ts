/** The public types of the runtime: what generated modules and apps see. */
import type { Dim } from '../compiler/dims.js';

/** What a checkpoint says about the training run that wrote it. */
export interface CheckpointInfo {
  kind: 'weights' | 'checkpoint';
  /** the model (or trainer) that wrote the file */
  model: string;
  /** optimizer steps taken (a model's); absent in weights files */
  step?: number;
  /** epochs completed, and batches done in the epoch after them */
  epoch?: number;
  batch?: number;
  /** the epochs the run was planned for (schedules that decay over the run use it) */
  epochs?: number;
  /** the batch size and training-set size that epoch and batch refer to */
  batchSize?: number;
  samples?: number;
  seed?: number;
  /** optimizer steps taken by each step of a trainer */
  stepCounts?: Record<string, number>;
  /** every metadata entry, as written */
  metadata: Record<string, string>;
  /** tensors converted to f32 on read (F16, BF16, F64 in the file) */
  converted: string[];
}

export type DType = 'f32' | 'i32' | 'bool';
export type TypedArray = Float32Array | Int32Array | Uint8Array;

export interface IOSpec {
  name: string;
  dtype: DType;
  shape: Dim[];
}

export interface Signature {
  inputs: IOSpec[];
  outputs: IOSpec[];
  /** what a training step needs beyond the inputs (labels, rewards) */
  trainInputs: IOSpec[];
}

/** A tensor returned by the runtime: flat row-major data with its shape. */
export interface Tensor {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

type Nested = number | boolean | readonly Nested[];
/** Accepted as input: flat typed arrays (row-major), nested arrays, or a Tensor. */
export type TensorInput = TypedArray | readonly Nested[] | Tensor | { data: TypedArray | readonly number[]; shape: readonly number[] };

/** The typed array that holds each dtype. */
export interface ArrayOfDType {
  f32: Float32Array;
  i32: Int32Array;
  bool: Uint8Array;
}

/** A Tensor whose dtype is known from the signature (generated modules type their outputs with it). */
export interface TensorOf<D extends DType> extends Tensor {
  dtype: D;
  data: ArrayOfDType[D];
}

/**
 * An input of dtype D, as generated modules type it: the dtype's own typed
 * array (an Int32Array for i32, not a Float32Array), nested numbers, a Tensor
 * of that dtype, or {data, shape}.
 */
export type TensorInputOf<D extends DType> = ArrayOfDType[D] | readonly Nested[] | TensorOf<D> | { data: ArrayOfDType[D] | readonly number[]; shape: readonly number[] };

export type BackendName = 'cpu' | 'webgpu' | 'gpujs';

/**
 * gpu.js's mode for the gpujs backend: 'gpu' (or absent) lets gpu.js pick
 * (webgl2, webgl, headlessgl, then webasm); 'cpu' runs its kernels as plain
 * JS (always available); 'webgpu' and 'webasm' are gpu.js's own.
 */
export type GpujsMode = 'gpu' | 'webgl2' | 'webgl' | 'headlessgl' | 'webgpu' | 'webasm' | 'cpu';

/** the cpu backend's kernels: WebAssembly SIMD (default where available) or plain JS (the reference) */
export type CpuKernels = 'js' | 'wasm';

export interface CreateOptions {
  /**
   * where to run (default 'cpu'): 'auto' takes webgpu when an adapter exists
   * and every op of the model has a WGSL kernel, else gpujs when gpu.js finds
   * a GPU mode (WebGL) and every op has a gpu.js kernel, else cpu; a requested
   * backend that is unavailable is an Error, never a silent fallback
   */
  backend?: 'auto' | BackendName;
  /** options of the gpujs backend: gpu.js's mode (default: gpu.js picks) */
  gpujs?: { mode?: GpujsMode };
  /**
   * cpu backend: threads for the big kernels (matmul, convolutions), the
   * main thread plus worker threads, in Node. Default: env DNNC_THREADS,
   * else 2 where there are 2 cores or more. 1 runs everything on the main
   * thread; results are bit-identical either way. Browsers: always 1.
   */
  threads?: number;
  /**
   * cpu backend: `kernels` 'wasm' runs matmul and the convolutions as
   * WebAssembly SIMD on one memory holding the model's tensors; 'js' runs
   * every kernel as plain JS. Default: env DNNC_CPU_KERNELS (Node), else
   * wasm where WebAssembly SIMD is available, else js; asking for 'wasm'
   * where it is not is an Error.
   */
  cpu?: { kernels?: CpuKernels };
  /** weights initialisation and shuffling seed; the same seed gives the same weights on every backend */
  seed?: number;
  /**
   * initial weights: by parameter path (as returned by getWeights), or the
   * bytes of a safetensors weights file or checkpoint (as saveWeights writes)
   */
  weights?: Record<string, Float32Array | readonly number[]> | Uint8Array | ArrayBuffer;
}

export type Weights = Record<string, Float32Array>;

/** A columnar data set: each field holds `size` samples of `sampleShape`. */
export interface DatasetField {
  dtype: DType;
  sampleShape: number[];
  data: TypedArray;
  /** where each value of a sample comes from, for messages: the CSV column names of `features` */
  columns?: string[];
}
export interface Dataset {
  name: string;
  size: number;
  fields: Record<string, DatasetField>;
  /** where sample `index` comes from, for messages: "data.csv line 7" */
  sampleOrigin?(index: number): string;
}

export interface StepResult {
  loss: number;
  /** per-batch metric values, when the train block declares metrics */
  metrics: Record<string, number>;
}

export interface BatchProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  step: number;
  loss: number;
  samplesPerSecond: number;
}
export interface EpochResult {
  epoch: number;
  loss: number;
  /** train metrics averaged over the epoch, and validation metrics prefixed `val_` */
  metrics: Record<string, number>;
  seconds: number;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  validation?: Dataset;
  /** returning (or resolving to) false stops training */
  onBatch?: (p: BatchProgress) => void | false | Promise<void | false>;
  onEpoch?: (e: EpochResult) => void | false | Promise<void | false>;
  /** keep going when the loss becomes NaN or Inf (default: stop with an Error naming the step) */
  continueOnNaN?: boolean;
  /**
   * resume a run: the epochs already completed, and the batches already done
   * of the epoch after them (CheckpointInfo's `epoch` and `batch`). The data
   * order and the schedule then continue as in an uninterrupted run of
   * `epochs` epochs with the same seed and data set.
   */
  initialEpoch?: number;
  initialBatch?: number;
  /** stops after the batch in progress when aborted (no validation of the cut epoch); the result says `interrupted` */
  signal?: AbortSignal;
}

/** Where a fit stands: epochs completed, batches done of the next epoch, the epochs planned, and the batching that positions refer to. */
export interface TrainingPosition {
  epoch: number;
  batch: number;
  epochs: number;
  batchSize: number;
  /** samples in the training set (batches per epoch follow from it) */
  samples: number;
}

/** Options of loadWeights and loadCheckpoint. */
export interface LoadOptions {
  /** names the bytes in errors (a file path); default 'the weights' */
  source?: string;
  /** ignore tensors the model does not have (another model's, in a trainer's file); missing ones are still errors */
  allowExtra?: boolean;
}

export interface FitResult {
  epochs: number;
  history: EpochResult[];
  /** final metrics: validation metrics when a validation set is given, else training */
  metrics: Record<string, number>;
  seconds: number;
  /** true when `signal` stopped the run in the middle of an epoch */
  interrupted?: boolean;
}

/**
 * Options of predict. In-graph noise (noise(), uniform_noise()) draws anew on
 * every predict call, a sequence reproducible for the model's seed; with
 * `seed` the draw comes from that seed alone, the same on every call
 * (deterministic inference).
 */
export interface PredictOptions {
  /** a non-negative integer: key the in-graph noise of this call by it alone */
  seed?: number;
  /**
   * Throw a NonFiniteError at the first NaN or ±Infinity among the inputs
   * (before running) or else the outputs, naming the tensor and the element.
   * Off by default: non-finite values then flow through as IEEE arithmetic
   * says (relu(NaN) is NaN), and the outputs show them.
   */
  checkFinite?: boolean;
}

export interface Model {
  readonly name: string;
  readonly backend: BackendName;
  readonly signature: Signature;
  /** the outputs for the inputs; in-graph noise draws anew every call unless options.seed fixes it */
  predict(inputs: Record<string, TensorInput>, options?: PredictOptions): Promise<Record<string, Tensor>>;
  /** one optimizer step on a batch holding the inputs and the train inputs */
  trainStep(batch: Record<string, TensorInput>): Promise<StepResult>;
  /** loss and metrics over a whole data set (no update) */
  /** with `signal`: stops after the batch in progress once aborted (the means are then partial) */
  evaluate(data: Dataset, options?: { batchSize?: number; signal?: AbortSignal }): Promise<Record<string, number>>;
  fit(data: Dataset, options?: FitOptions): Promise<FitResult>;
  /**
   * The weights as host arrays. On a device backend (webgpu) they are read
   * back by readWeights() and by fit(); after bare trainStep calls getWeights
   * throws (use `await model.readWeights()`) rather than return stale values.
   */
  getWeights(): Weights;
  /** The current weights, read back from the device when the backend keeps them there (works on every backend). */
  readWeights(): Promise<Weights>;
  setWeights(weights: Record<string, Float32Array | readonly number[]>): void;
  /** The weights (parameters and model state such as batchnorm statistics) as a safetensors file. */
  saveWeights(): Promise<Uint8Array>;
  /** Load a safetensors weights file (or a checkpoint's weights); every tensor is checked before any is loaded. */
  loadWeights(bytes: Uint8Array | ArrayBuffer, options?: LoadOptions): CheckpointInfo;
  /** Weights, optimizer state and the training position (step, epoch, seed) as a safetensors file: resume with loadCheckpoint. */
  saveCheckpoint(): Promise<Uint8Array>;
  /** Restore a checkpoint: weights, optimizer state, step count and seed; returns where the run stood (fit's initialEpoch/initialBatch). */
  loadCheckpoint(bytes: Uint8Array | ArrayBuffer, options?: LoadOptions): CheckpointInfo;
  dispose(): void;
}

/**
 * A train block over several models or optimizer steps (a GAN; DQN with a
 * target network). The models share one set of weights with the trainer:
 * `models.Generator.predict(...)` sees what the steps trained.
 */
export interface Trainer {
  readonly name: string;
  readonly backend: BackendName;
  readonly models: Record<string, Model>;
  /** the steps by name, in the order the train block declares them; each runs one optimizer update */
  readonly steps: Record<string, (batch: Record<string, TensorInput>) => Promise<StepResult>>;
  /** the inputs each step needs (data fields and declared train inputs) */
  readonly stepInputs: Record<string, IOSpec[]>;
  /** run every step on every batch, in order, for the train block's epochs */
  fit(data: Dataset, options?: FitOptions): Promise<FitResult>;
  getWeights(): Weights;
  readWeights(): Promise<Weights>;
  setWeights(weights: Record<string, Float32Array | readonly number[]>): void;
  /** every model's weights (sync targets such as RL target networks and EMA copies included) as a safetensors file */
  saveWeights(): Promise<Uint8Array>;
  loadWeights(bytes: Uint8Array | ArrayBuffer, options?: LoadOptions): CheckpointInfo;
  /** weights, every step's optimizer state and step count, the training position and seed */
  saveCheckpoint(): Promise<Uint8Array>;
  loadCheckpoint(bytes: Uint8Array | ArrayBuffer, options?: LoadOptions): CheckpointInfo;
  dispose(): void;
}
