/**
 * The CPU renderers of the ops of compiler/ops/unary.ts.
 */
import type { Attrs } from '../../../compiler/ir.js';
import { num } from '../util.js';
import { alphaOf, SQRT_2_OVER_PI, GELU_C, castTarget } from '../../../compiler/ops/unary.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { CpuRenderer } from '../types.js';

/** a unary op's renderer from its JS scalar expression over the operand */
const unary = (js: (x: string, attrs: Attrs) => string): CpuRenderer => ({ scalar: (args, attrs) => js(args[0], attrs) });

/** op name -> CPU renderer */
export const unaryCpuRenderers: OpTable<CpuRenderer> = {
  neg: unary((x) => `(-${x})`),
  exp: unary((x) => `Math.exp(${x})`),
  log: unary((x) => `Math.log(${x})`),
  sqrt: unary((x) => `Math.sqrt(${x})`),
  rsqrt: unary((x) => `(1 / Math.sqrt(${x}))`),
  abs: unary((x) => `Math.abs(${x})`),
  sign: unary((x) => `(${x} > 0 ? 1 : ${x} < 0 ? -1 : 0)`),
  square: unary((x) => `(${x} * ${x})`),
  reciprocal: unary((x) => `(1 / ${x})`),
  relu: unary((x) => `(${x} <= 0 ? 0 : ${x})`),
  step: unary((x) => `(${x} > 0 ? 1 : 0)`),
  sigmoid: unary((x) => `(1 / (1 + Math.exp(-${x})))`),
  tanh: unary((x) => `Math.tanh(${x})`),
  softplus: unary((x) => `(Math.max(${x}, 0) + Math.log1p(Math.exp(-Math.abs(${x}))))`),
  leaky_relu: unary((x, a) => `(${x} > 0 ? ${x} : ${num(alphaOf(a, 0.01))} * ${x})`),
  elu: unary((x, a) => `(${x} > 0 ? ${x} : ${num(alphaOf(a, 1))} * Math.expm1(${x}))`),
  gelu: unary((x) => `(0.5 * ${x} * (1 + Math.tanh(${SQRT_2_OVER_PI} * (${x} + ${GELU_C} * ${x} * ${x} * ${x}))))`),
  cast: unary((x, attrs) => {
    const to = castTarget(attrs);
    return to === 'f32' ? `(${x})` : to === 'i32' ? `(${x} | 0)` : `(${x} !== 0 ? 1 : 0)`;
  }),
  logical_not: unary((x) => `(${x} ? 0 : 1)`),
};
