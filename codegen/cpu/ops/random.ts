/**
 * The CPU renderers of the ops of compiler/ops/random.ts.
 */
import { mulExpr } from '../util.js';
import { numAttr } from '../../../compiler/ops/kernel-util.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { CpuRenderer } from '../types.js';

const MIX_JS = (v: string) => `${v} ^= ${v} >>> 16; ${v} = Math.imul(${v}, 0x85ebca6b); ${v} ^= ${v} >>> 13; ${v} = Math.imul(${v}, 0xc2b2ae35); ${v} ^= ${v} >>> 16;`;

/** op name -> CPU renderer */
export const randomCpuRenderers: OpTable<CpuRenderer> = {
  random_uniform: {
    kernel(ctx) {
      const [step, seed] = ctx.in;
      const y = ctx.out[0];
      const salt = numAttr(ctx.attrs, 'salt', 0) | 0;
      return `let key = (${seed}[0] | 0) ^ 0x3c6ef372;
${MIX_JS('key')}
key ^= ${step}[0] | 0;
${MIX_JS('key')}
key ^= ${salt};
${MIX_JS('key')}
const n = ${mulExpr(ctx.outShape[0])};
for (let i = 0; i < n; i++) {
  let h = (key + Math.imul(i, 0x9e3779b9)) | 0;
  ${MIX_JS('h')}
  ${y}[i] = (h >>> 8) / 16777216;
}`;
    },
  },
};
