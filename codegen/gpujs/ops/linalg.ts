/**
 * The gpu.js renderers of the ops of compiler/ops/linalg.ts.
 */
import { type Dim } from '../../../compiler/dims.js';
import { type GpujsKernelContext } from '../types.js';
import { boolAttr } from '../../../compiler/ops/kernel-util.js';
import { gpujsDim, gpujsDot, gpujsIdiv, gpujsMul, gpujsStrides, gpujsUnravel } from '../util.js';
import { matDims } from '../../../compiler/ops/linalg.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { GpujsRenderer } from '../types.js';

/**
 * gpu.js matmul: one thread per element of C, a dot product over K (gpu.js
 * kernels have no workgroup memory, so no tiling: near naive speed, see
 * docs/performance.md). Batch offsets as in the WGSL kernel.
 */
function gpujsMatmul(ctx: GpujsKernelContext): string {
  const transA = boolAttr(ctx.attrs, 'transA', false);
  const transB = boolAttr(ctx.attrs, 'transB', false);
  const [aS, bS] = ctx.inDims;
  const cS = ctx.outDims[0];
  const d = matDims<Dim>(aS, bS, transA, transB);
  const [A, B] = ctx.in;
  const [M, K, N] = [gpujsDim(d.M), gpujsDim(d.K), gpujsDim(d.N)];
  const lines: string[] = [];
  const MN = gpujsMul([d.M, d.N]);
  const batch = cS.slice(0, -2);
  lines.push(`const t = ${gpujsIdiv('i', MN)};`, `const e = i - t * ${MN};`, `const r = ${gpujsIdiv('e', N)};`, `const c = e - r * ${N};`);
  let aO = '0';
  let bO = '0';
  if (batch.length) {
    const bc = gpujsUnravel('t', batch, 'bt', lines);
    const batchStrides = (shape: readonly Dim[]): string[] => {
      const st = gpujsStrides(shape);
      return batch.map((_, k) => {
        const j = k - (batch.length - (shape.length - 2));
        if (j < 0 || shape[j] === 1) return '0';
        if (typeof shape[j] === 'number') return st[j];
        return `(${gpujsDim(shape[j])} === 1 ? 0 : ${st[j]})`;
      });
    };
    aO = gpujsDot(bc, batchStrides(aS));
    bO = gpujsDot(bc, batchStrides(bS));
  }
  lines.push(`const ar = ${aO === '0' ? '' : `${aO} + `}${transA ? 'r' : `r * ${K}`};`);
  lines.push(`const bc = ${bO === '0' ? '' : `${bO} + `}${transB ? `c * ${K}` : 'c'};`);
  const aAt = transA ? `ar + k * ${M}` : 'ar + k';
  const bAt = transB ? 'bc + k' : `bc + k * ${N}`;
  lines.push('let s = 0;', `for (let k = 0; k < ${K}; k++) {`, `s = s + ${A}[${aAt}] * ${B}[${bAt}];`, '}', 'return s;');
  return lines.join('\n');
}

/** op name -> gpu.js renderer */
export const linalgGpujsRenderers: OpTable<GpujsRenderer> = {
  matmul: {
    kernel: gpujsMatmul,
  },
};
