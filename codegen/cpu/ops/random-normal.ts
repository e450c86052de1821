/**
 * The CPU renderers of the ops of compiler/ops/random-normal.ts.
 */
import { mulExpr, num } from '../util.js';
import { numAttr } from '../../../compiler/ops/kernel-util.js';
import { TWO_PI } from '../../../compiler/ops/random-normal.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { CpuRenderer } from '../types.js';

const MIX_JS = (v: string) => `${v} ^= ${v} >>> 16; ${v} = Math.imul(${v}, 0x85ebca6b); ${v} ^= ${v} >>> 13; ${v} = Math.imul(${v}, 0xc2b2ae35); ${v} ^= ${v} >>> 16;`;

/** op name -> CPU renderer */
export const randomNormalCpuRenderers: OpTable<CpuRenderer> = {
  random_normal: {
    kernel(ctx) {
      const [step, seed] = ctx.in;
      const y = ctx.out[0];
      const salt = numAttr(ctx.attrs, 'salt', 0) | 0;
      const mean = numAttr(ctx.attrs, 'mean', 0);
      const std = numAttr(ctx.attrs, 'std', 1);
      const draw = (k: string) => `{
    let h = (key + Math.imul(${k}, 0x9e3779b9)) | 0;
    ${MIX_JS('h')}
    u = (h >>> 8) / 16777216;
  }`;
      return `let key = (${seed}[0] | 0) ^ 0x3c6ef372;
${MIX_JS('key')}
key ^= ${step}[0] | 0;
${MIX_JS('key')}
key ^= ${salt};
${MIX_JS('key')}
const n = ${mulExpr(ctx.outShape[0])};
for (let i = 0; i < n; i++) {
  let u = 0;
  ${draw('2 * i')}
  const r = Math.sqrt(-2 * Math.log(1 - u));
  ${draw('2 * i + 1')}
  ${y}[i] = ${num(mean)} + ${num(std)} * (r * Math.cos(${TWO_PI} * u));
}`;
    },
  },
};
