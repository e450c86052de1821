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
 *   updates  which slot holds the new value of each param/state path
 *
 * Kernels are plain functions `(ins, outs, dims) => void` over typed arrays
 * (Float32Array for f32, Int32Array for i32, Uint8Array for bool); `dims`
 * binds the symbolic dims ({ B: 32 }).
 */
import type { Dim } from '../compiler/dims.js';
import type { InitSpec } from '../compiler/ir.js';
import type { DType, Signature, TypedArray } from './types.js';

export type Dims = Record<string, number>;
export type KernelFn = (ins: TypedArray[], outs: TypedArray[], dims: Dims) => void;

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
}

export interface ProgramStep {
  kernel: string;
  ins: number[];
  outs: number[];
  /** run once after allocation (constants), not on every call */
  once?: boolean;
}

export interface ProgramEntry {
  buffers: ProgramBuffer[];
  inputs: { name: string; dtype: DType; shape: Dim[]; role: 'data' | 'train' | 'hyper'; buffer: number }[];
  outputs: { name: string; buffer: number; dtype: DType; shape: Dim[] }[];
  updates: { path: string; buffer: number }[];
  steps: ProgramStep[];
  kernels: Record<string, KernelFn>;
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
