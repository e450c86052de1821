/**
 * What the compiler knows about the fields of built-in data sets, so a train
 * step can name them (`data.image`) with static shapes, and a loss can check
 * its classes against the labels (5 logits for MNIST's 10 digits). The batch
 * axis is the symbolic dim B. (The loaders themselves live in runtime/data;
 * a test checks that every schema matches what its loader returns.)
 */
import type { DataArg, DataSpec } from '../../compiled.js';
import type { Dim } from '../../dims.js';
import type { DType } from '../../ir.js';

export interface DataField {
  dtype: DType;
  shape: Dim[];
  /** integer fields whose values are class or token ids: they lie in [0, below) */
  below?: number;
}
export type DataFields = Map<string, DataField>;

type Args = Record<string, DataArg>;
const int = (args: Args, name: string, dflt: number): number => (typeof args[name] === 'number' ? (args[name] as number) : dflt);

/** Per data set: its fields as [name, dtype, sample shape, values below]. */
const schemas: Record<string, (args: Args) => [string, DType, number[], number?][]> = {
  mnist: () => [
    ['image', 'f32', [1, 28, 28]],
    ['label', 'i32', [], 10],
  ],
  ring: (a) => [
    ['point', 'f32', [2]],
    ['mode', 'i32', [], int(a, 'modes', 8)],
  ],
  loans: () => [
    ['features', 'f32', [8]],
    ['label', 'i32', [], 2],
  ],
  reversal: () => [
    ['tokens', 'i32', [16], 11],
    ['mask', 'f32', [16]],
    ['label', 'i32', [16], 11],
  ],
  adding: (a) => [
    ['x', 'f32', [int(a, 'length', 50), 2]],
    ['target', 'f32', [1]],
  ],
  seasonal: (a) => [
    ['x', 'f32', [int(a, 'window', 48), 1]],
    ['target', 'f32', [int(a, 'horizon', 8)]],
    ['last', 'f32', [int(a, 'horizon', 8)]],
    ['persistence_mse', 'f32', []],
  ],
  grammar: (a) => [
    ['tokens', 'i32', [int(a, 'length', 32)], 28],
    ['label', 'i32', [int(a, 'length', 32)], 28],
  ],
};

/** The fields of a data set, each with the batch axis B in front; undefined when unknown at compile time (csv). */
export function dataFields(spec: DataSpec): DataFields | undefined {
  const schema = Object.prototype.hasOwnProperty.call(schemas, spec.name) ? schemas[spec.name] : undefined;
  if (!schema) return undefined;
  return new Map(schema(spec.args).map(([name, dtype, sample, below]) => [name, { dtype, shape: ['B', ...sample], ...(below !== undefined ? { below } : {}) }]));
}

/** A data spec as the user wrote it, for messages: mnist(split: train). */
export function describeData(spec: DataSpec): string {
  const args = Object.entries(spec.args).map(([k, v]) => (/^\d+$/.test(k) ? JSON.stringify(v) : `${k}: ${Array.isArray(v) ? `[${v.join(', ')}]` : v}`));
  return `${spec.name}(${args.join(', ')})`;
}
