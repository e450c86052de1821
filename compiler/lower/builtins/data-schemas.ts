/**
 * What the compiler knows about the fields of data sets (built-in, or
 * registered: compiler/data/registry.ts), so a train
 * step can name them (`data.image`) with static shapes, and a loss can check
 * its classes against the labels (5 logits for MNIST's 10 digits). The batch
 * axis is the symbolic dim B. (The loaders themselves live in runtime/data;
 * a test checks that every schema matches what its loader returns.)
 */
import type { DataArg, DataSpec } from '../../compiled.js';
import type { Dim } from '../../dims.js';
import type { DType } from '../../ir.js';
import { registeredDataset } from '../../data/registry.js';

export interface DataField {
  dtype: DType;
  shape: Dim[];
  /** integer fields whose values are class or token ids: they lie in [0, below) */
  below?: number;
}
export type DataFields = Map<string, DataField>;

type Args = Record<string, DataArg>;

/** Per built-in data set: its fields as [name, dtype, sample shape, values below]. */
const schemas: Record<string, (args: Args) => [string, DType, number[], number?][]> = {
  mnist: () => [
    ['image', 'f32', [1, 28, 28]],
    ['label', 'i32', [], 10],
  ],
};

/** The fields of a data set, each with the batch axis B in front; undefined when unknown at compile time (csv). */
export function dataFields(spec: DataSpec): DataFields | undefined {
  const builtin = Object.prototype.hasOwnProperty.call(schemas, spec.name) ? schemas[spec.name] : undefined;
  const registered = builtin ? undefined : registeredDataset(spec.name);
  // a registered definition's fields were checked when its call was lowered (registered-data.ts)
  const sample = builtin ? builtin(spec.args) : registered?.fields(spec.args).map((f): [string, DType, number[], number?] => [f.name, f.dtype, f.shape, f.below]);
  if (!sample) return undefined;
  return new Map(sample.map(([name, dtype, shape, below]) => [name, { dtype, shape: ['B', ...shape], ...(below !== undefined ? { below } : {}) }]));
}

/** A data spec as the user wrote it, for messages: mnist(split: train). */
export function describeData(spec: DataSpec): string {
  const args = Object.entries(spec.args).map(([k, v]) => (/^\d+$/.test(k) ? JSON.stringify(v) : `${k}: ${Array.isArray(v) ? `[${v.join(', ')}]` : v}`));
  return `${spec.name}(${args.join(', ')})`;
}
