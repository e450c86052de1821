/**
 * The CPU renderers of the ops of compiler/ops/binary.ts.
 */
import type { OpTable } from '../../../compiler/ops/index.js';
import type { CpuRenderer } from '../types.js';

/** a binary op's renderer from its JS scalar expression over the operands */
const binary = (js: (a: string, b: string) => string): CpuRenderer => ({ scalar: (args) => js(args[0], args[1]) });

/** a comparison's renderer from its operator */
const compare = (sym: string) => binary((a, b) => `(${a} ${sym} ${b} ? 1 : 0)`);

/** op name -> CPU renderer */
export const binaryCpuRenderers: OpTable<CpuRenderer> = {
  add: binary((a, b) => `(${a} + ${b})`),
  sub: binary((a, b) => `(${a} - ${b})`),
  mul: binary((a, b) => `(${a} * ${b})`),
  div: binary((a, b) => `(${a} / ${b})`),
  pow: binary((a, b) => `Math.pow(${a}, ${b})`),
  maximum: binary((a, b) => `(${a} >= ${b} ? ${a} : ${b})`),
  minimum: binary((a, b) => `(${a} <= ${b} ? ${a} : ${b})`),
  equal: compare('==='),
  not_equal: compare('!=='),
  greater: compare('>'),
  greater_equal: compare('>='),
  less: compare('<'),
  less_equal: compare('<='),
  logical_and: binary((a, b) => `(${a} && ${b} ? 1 : 0)`),
  logical_or: binary((a, b) => `(${a} || ${b} ? 1 : 0)`),
  where: {
    scalar: (args) => `(${args[0]} ? ${args[1]} : ${args[2]})`,
  },
};
