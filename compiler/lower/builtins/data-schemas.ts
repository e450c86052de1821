/**
 * What the compiler knows about the fields of built-in data sets, so a train
 * step can name them (`data.image`) with static shapes. The batch axis is
 * the symbolic dim B. (The loaders themselves live in runtime/data.)
 */
import type { DataSpec } from '../../compiled.js';
import type { Dim } from '../../dims.js';
import type { DType } from '../../ir.js';

export type DataFields = Map<string, { dtype: DType; shape: Dim[] }>;

const schemas: Record<string, () => [string, DType, number[]][]> = {
  mnist: () => [
    ['image', 'f32', [1, 28, 28]],
    ['label', 'i32', []],
  ],
  ring: () => [
    ['point', 'f32', [2]],
    ['mode', 'i32', []],
  ],
  loans: () => [
    ['features', 'f32', [8]],
    ['label', 'i32', []],
  ],
};

/** The fields of a data set, each with the batch axis B in front; undefined when unknown at compile time (csv). */
export function dataFields(spec: DataSpec): DataFields | undefined {
  const schema = schemas[spec.name];
  if (!schema) return undefined;
  return new Map(schema().map(([name, dtype, sample]) => [name, { dtype, shape: ['B', ...sample] }]));
}
