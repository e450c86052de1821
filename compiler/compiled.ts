/**
 * What the compiler hands to code generation: per model, the predict graph
 * and (when a train block names it) the training step and evaluation graphs,
 * plus everything the runtime needs to know about parameters, data and
 * optimisation. Graph leaves reference params/state by `path`.
 */
import type { Dim } from './dims.js';
import type { DType, Graph, InitSpec } from './ir.js';

export interface IOSpec {
  name: string;
  dtype: DType;
  /** numbers or symbolic names ("B", "T") */
  shape: Dim[];
}

export interface TensorSpec {
  path: string;
  dtype: DType;
  shape: number[];
  init: InitSpec;
}

export interface OptimizerSpec {
  kind: 'sgd' | 'momentum' | 'nesterov' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad';
  lr: number;
  /** every other hyperparameter as written or defaulted (beta1, beta2, eps, momentum, weight_decay, ...) */
  options: Record<string, number>;
}

export interface ScheduleSpec {
  kind: 'constant' | 'step' | 'exponential' | 'cosine' | 'warmup';
  options: Record<string, number>;
}

export type DataArg = string | number | boolean | number[];

/** A data source named in a train block: `loans(split: train)`, `csv("f.csv", label: "y")`. */
export interface DataSpec {
  name: string;
  args: Record<string, DataArg>;
}

export interface MetricSpec {
  /** output name in the eval/train graphs, e.g. "accuracy" */
  name: string;
  /** how batches combine: weighted mean over samples */
  reduce: 'mean';
}

export interface TrainSpec {
  name: string;
  /**
   * forward + backward + optimizer update. Inputs: the model inputs, the train
   * inputs, and hyper inputs (role 'hyper': `lr` f32[], `step` f32[] counting from 1).
   * Outputs: `loss` (f32[]) and one per metric. Updates: new values of params and state.
   */
  step: Graph;
  /** forward only: outputs `loss` and the metrics; no updates */
  evaluate: Graph;
  trainInputs: IOSpec[];
  /** optimizer moments and counters, initialised by the runtime */
  state: TensorSpec[];
  optimizer: OptimizerSpec;
  schedule: ScheduleSpec;
  batch: number;
  epochs: number;
  data?: DataSpec;
  validate?: DataSpec;
  /** the data set reported once at the end (the test split) */
  test?: DataSpec;
  metrics: MetricSpec[];
  seed?: number;
  /** `clip = norm(max)`: gradients are scaled by max / max(global norm, max) before the update */
  clip?: number;
}

/** A literal argument of a layer call, as written or defaulted by the call (numbers, names, flags, lists of numbers). */
export type LayerArg = number | string | boolean | number[];

/**
 * One layer instance of a model, as the source called it: `dense(120)` at
 * `LeNet.dense_1`. The graph's nodes of that layer carry `scope === path`;
 * exporters use the record to rebuild the layer as one unit (an ONNX LSTM,
 * a PyTorch module) and fall back to the layer's ops when that does not fit.
 */
export interface LayerRecord {
  path: string;
  /** the builtin called: dense, conv2d, lstm, ... */
  kind: string;
  /** the call's literal arguments by parameter name (tensor arguments and `name` left out) */
  args: Record<string, LayerArg>;
}

export interface CompiledModel {
  name: string;
  inputs: IOSpec[];
  outputs: IOSpec[];
  params: TensorSpec[];
  /** non-trainable tensors the model itself owns (batchnorm running statistics), updated by training steps */
  state: TensorSpec[];
  /** inputs -> outputs, no updates */
  predict: Graph;
  /** the layers of the predict graph, in the order the source calls them */
  layers?: LayerRecord[];
  train?: TrainSpec;
}

/** One optimizer step of a train block that trains several models or several steps (a GAN, DQN with a target network). */
export interface TrainerStep {
  name: string;
  /** inputs: data fields and train inputs (role 'train'), hyper inputs; outputs: loss and metrics; updates: the trained models' params and this step's optimizer state */
  graph: Graph;
  /** the models whose parameters this step updates */
  trains: string[];
  inputs: IOSpec[];
  optimizer: OptimizerSpec;
  schedule: ScheduleSpec;
  state: TensorSpec[];
  metrics: MetricSpec[];
}

/** `sync A -> B every N steps [tau: t]`: copy (or blend, B = tau*A + (1-tau)*B) A's parameters into B's. */
export interface SyncSpec {
  from: string;
  to: string;
  every: number;
  tau?: number;
  /** parameter paths of A and the matching ones of B */
  pairs: { from: string; to: string }[];
}

/** A train block over several models or steps; its models' weights live in one store. */
export interface TrainerSpec {
  name: string;
  /** every model the steps read or train, and sync targets */
  models: string[];
  steps: TrainerStep[];
  syncs: SyncSpec[];
  batch: number;
  epochs: number;
  data?: DataSpec;
  validate?: DataSpec;
  /** the data set reported once at the end (the test split) */
  test?: DataSpec;
  seed?: number;
}

export interface CompiledFile {
  /** the .dnn path as given */
  file: string;
  models: CompiledModel[];
  /** train blocks with steps or syncs (single-model train blocks are CompiledModel.train) */
  trainers?: TrainerSpec[];
}
