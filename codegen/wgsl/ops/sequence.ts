/**
 * WGSL kernels of the sequence ops, one thread per output element, no
 * atomics (WGSL has no float atomics), deterministic:
 *
 *   gather:       y[i, d] = table[clamp(indices[i], 0, V - 1), d].
 *                 A shader cannot throw: an id outside [0, V) reads the
 *                 nearest row (0 or V - 1) instead of being reported. The
 *                 cpu backend (and the reference) report such an id as an
 *                 Error naming the input and the position; on webgpu the
 *                 caller must keep ids in range (the ids of a model's inputs
 *                 are data, so check them with the cpu backend or in the
 *                 data pipeline).
 *   scatter_add:  out[r, d] = Σ updates[i, d] over the i with indices[i] = r,
 *                 i ascending: each thread owns one table element and scans all
 *                 N indices, adding in the order the CPU kernel adds them
 *                 (from 0.0, in f32), so the sums are the CPU's bit for bit.
 *                 Out-of-range ids match no row (skipped, as on the CPU).
 *                 The indices are staged through workgroup memory in tiles
 *                 (every thread of a workgroup scans the same indices).
 *   iota:         out[idx] = (idx / inner) % size, as f32 or i32.
 */
import { dimProduct } from '../../../compiler/dims.js';
import { numAttr } from '../../../compiler/ops/kernel-util.js';
import { wgslMul, wgslPerElement, WGSL_ELEMENTWISE_WG } from '../util.js';
import type { WgslKernel, WgslKernelContext } from '../types.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { WgslRenderer } from '../types.js';

export function gatherWgsl(ctx: WgslKernelContext): WgslKernel {
  const [V, D] = ctx.inShape[0];
  const body = [
    `let D = ${D};`,
    `let i = idx / D;`,
    `let d = idx - i * D;`,
    `let id = u32(clamp(${ctx.load(1, 'i')}, 0i, i32(${V}) - 1i));`,
    ctx.store(0, 'idx', ctx.load(0, 'id * D + d')),
  ];
  return wgslPerElement(dimProduct(ctx.outDims[0]), body.join('\n'));
}

/** Indices staged per tile of the scatter_add scan (one per thread of the workgroup). */
const TILE = WGSL_ELEMENTWISE_WG;

export function scatterAddWgsl(ctx: WgslKernelContext): WgslKernel {
  const [, D] = ctx.outShape[0];
  const N = wgslMul(ctx.inShape[1]);
  const total = dimProduct(ctx.outDims[0]);
  // uniform control flow around the barriers: every thread runs every tile; only stores are guarded
  const body = [
    `let total = ${wgslMul(ctx.outShape[0])};`,
    `let N = ${N};`,
    `let D = ${D};`,
    `let live = idx < total;`,
    `let row = i32(idx / D);`,
    `let d = idx - (idx / D) * D;`,
    `var acc = 0.0;`,
    `for (var t0 = 0u; t0 < N; t0 = t0 + ${TILE}u) {`,
    `  let k = t0 + li;`,
    `  tileIds[li] = select(-1i, ${ctx.load(1, 'min(k, N - 1u)')}, k < N);`,
    `  workgroupBarrier();`,
    `  let m = min(${TILE}u, N - t0);`,
    `  if (live) {`,
    `    for (var j = 0u; j < m; j = j + 1u) {`,
    `      if (tileIds[j] == row) { acc = acc + ${ctx.load(0, '(t0 + j) * D + d')}; }`,
    `    }`,
    `  }`,
    `  workgroupBarrier();`,
    `}`,
    `if (live) { ${ctx.store(0, 'idx', 'acc')} }`,
  ];
  return {
    decls: `var<workgroup> tileIds: array<i32, ${TILE}>;`,
    body: body.join('\n'),
    workgroupSize: [TILE],
    workgroups: [{ items: total, per: TILE }],
  };
}

export function iotaWgsl(ctx: WgslKernelContext): WgslKernel {
  const shape = ctx.outShape[0];
  const rank = shape.length;
  const a = numAttr(ctx.attrs, 'axis', 0);
  const ax = a < 0 ? a + rank : a;
  const inner = wgslMul(shape.slice(ax + 1));
  const size = shape[ax];
  const v = `(idx / ${inner}) % ${size}`;
  const conv = ctx.outType[0] === 'i32' ? `i32(${v})` : `f32(${v})`;
  return wgslPerElement(dimProduct(ctx.outDims[0]), ctx.store(0, 'idx', conv));
}

/** op name -> WGSL renderer */
export const sequenceWgslRenderers: OpTable<WgslRenderer> = {
  gather: {
    kernel: gatherWgsl,
    fuses: { load: true, store: true },
  },
  scatter_add: {
    kernel: scatterAddWgsl,
    fuses: { load: true, store: true },
  },
  iota: {
    kernel: iotaWgsl,
    fuses: { load: true, store: true },
  },
};
