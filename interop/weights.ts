/**
 * The weights an exporter writes: read from a dnnc safetensors file (weights
 * or checkpoint, checked against the model exactly as loadWeights checks
 * them), or the model's initial weights from its seed when none is given.
 */
import type { CompiledModel, TensorSpec } from '../compiler/compiled.js';
import { decodeFile, type NamedTensor } from '../runtime/checkpoint.js';
import { initTensor } from '../runtime/init.js';
import type { TypedArray } from '../runtime/types.js';

/** Parameters then model state: the order of files and of params_hash. */
export function weightSpecs(model: CompiledModel): TensorSpec[] {
  return [...model.params, ...model.state];
}

/**
 * The model's tensors from the bytes of a safetensors file. A file of
 * another model, or with a tensor missing, misshapen or extra, is a
 * WeightsError listing every mismatch. `allowExtra`: the file may hold other
 * models' tensors too (a trainer's file, when the .dnn has several models).
 */
export function weightsFromFile(model: CompiledModel, bytes: Uint8Array, source: string, allowExtra: boolean): Map<string, TypedArray> {
  const named: NamedTensor[] = weightSpecs(model).map((s) => ({ name: s.path, spec: s, data: new Float32Array(0) }));
  const { data } = decodeFile(bytes, { what: `model '${model.name}'`, weights: named }, { source, allowExtra });
  return data;
}

/** The initial weights `create({ seed })` would give the model. */
export function initialWeights(model: CompiledModel, seed: number): Map<string, TypedArray> {
  return new Map(weightSpecs(model).map((s) => [s.path, initTensor(s.init, s.dtype, s.shape, seed, s.path)]));
}
