/**
 * The WGSL renderers of the ops of compiler/ops/unary.ts.
 */
import type { Attrs, DType } from '../../../compiler/ir.js';
import { wgslNum } from '../util.js';
import { alphaOf, SQRT_2_OVER_PI, GELU_C, castTarget } from '../../../compiler/ops/unary.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { WgslRenderer } from '../types.js';

/** a unary op's renderer from its WGSL scalar expression over the operand (logical type of `dtype`: f32, i32 or bool) */
const unary = (wgsl: (x: string, attrs: Attrs, dtype: DType) => string): WgslRenderer => ({ scalar: (args, attrs, dtypes) => wgsl(args[0], attrs, dtypes[0] ?? 'f32') });

/** op name -> WGSL renderer */
export const unaryWgslRenderers: OpTable<WgslRenderer> = {
  neg: unary((x) => `(-${x})`),
  exp: unary((x) => `exp(${x})`),
  log: unary((x) => `log(${x})`),
  sqrt: unary((x) => `sqrt(${x})`),
  rsqrt: unary((x) => `(1.0 / sqrt(${x}))`),
  abs: unary((x) => `abs(${x})`),
  sign: unary((x, _a, d) => `select(select(${wgslNum(0, d)}, ${wgslNum(-1, d)}, ${x} < ${wgslNum(0, d)}), ${wgslNum(1, d)}, ${x} > ${wgslNum(0, d)})`),
  square: unary((x) => `(${x} * ${x})`),
  reciprocal: unary((x) => `(1.0 / ${x})`),
  relu: unary((x) => `select(${x}, 0.0, ${x} <= 0.0)`),
  step: unary((x) => `select(0.0, 1.0, ${x} > 0.0)`),
  sigmoid: unary((x) => `(1.0 / (1.0 + exp(-${x})))`),
  tanh: unary((x) => `tanh(clamp(${x}, -15.0, 15.0))`),
  softplus: unary((x) => `(max(${x}, 0.0) + log(1.0 + exp(-abs(${x}))))`),
  leaky_relu: unary((x, a) => `select(${wgslNum(alphaOf(a, 0.01))} * ${x}, ${x}, ${x} > 0.0)`),
  elu: unary((x, a) => `select(${wgslNum(alphaOf(a, 1))} * (exp(${x}) - 1.0), ${x}, ${x} > 0.0)`),
  gelu: unary((x) => `(0.5 * ${x} * (1.0 + tanh(clamp(${wgslNum(SQRT_2_OVER_PI)} * (${x} + ${wgslNum(GELU_C)} * ${x} * ${x} * ${x}), -15.0, 15.0))))`),
  cast: unary((x, attrs, from) => {
    const to = castTarget(attrs);
    if (to === from) return x;
    if (to === 'bool') return from === 'f32' ? `(${x} != 0.0)` : `(${x} != 0)`;
    if (to === 'f32') return `f32(${x})`;
    return from === 'bool' ? `select(0, 1, ${x})` : `i32(${x})`;
  }),
  logical_not: unary((x) => `(!${x})`),
};
