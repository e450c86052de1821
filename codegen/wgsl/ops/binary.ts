/**
 * The WGSL renderers of the ops of compiler/ops/binary.ts.
 */
import type { DType } from '../../../compiler/ir.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { WgslRenderer } from '../types.js';

/** a binary op's renderer from its WGSL scalar expression over operands of the logical type of `dtype` (f32, i32, bool) */
const binary = (wgsl: (a: string, b: string, dtype: DType) => string): WgslRenderer => ({ scalar: (args, _attrs, dtypes) => wgsl(args[0], args[1], dtypes[0] ?? 'f32') });

/** a comparison's renderer from its operator */
const compare = (sym: string) => binary((a, b) => `(${a} ${sym} ${b})`);

/** op name -> WGSL renderer */
export const binaryWgslRenderers: OpTable<WgslRenderer> = {
  add: binary((a, b) => `(${a} + ${b})`),
  sub: binary((a, b) => `(${a} - ${b})`),
  mul: binary((a, b) => `(${a} * ${b})`),
  div: binary((a, b) => `(${a} / ${b})`),
  pow: binary((a, b) => `pow(${a}, ${b})`),
  maximum: binary((a, b) => `select(${b}, ${a}, ${a} >= ${b})`),
  minimum: binary((a, b) => `select(${b}, ${a}, ${a} <= ${b})`),
  equal: compare('=='),
  not_equal: compare('!='),
  greater: compare('>'),
  greater_equal: compare('>='),
  less: compare('<'),
  less_equal: compare('<='),
  logical_and: binary((a, b) => `(${a} && ${b})`),
  logical_or: binary((a, b) => `(${a} || ${b})`),
  where: {
    scalar: (args) => `select(${args[2]}, ${args[1]}, ${args[0]})`,
  },
};
