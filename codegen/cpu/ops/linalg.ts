/**
 * The CPU renderers of the ops of compiler/ops/linalg.ts.
 */
import { type CpuKernelContext } from '../types.js';
import { boolAttr } from '../../../compiler/ops/kernel-util.js';
import { emitStrides, nestedLoops, paren } from '../util.js';
import { matDims } from '../../../compiler/ops/linalg.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { CpuRenderer } from '../types.js';

/**
 * The 2-D kernel body for C[M,N] = op(A) op(B) at offsets aO, bO, cO: a 4x4
 * register-blocked micro-kernel (16 float64 accumulators, 8 loads per 16
 * multiply-adds), column blocks outermost so a strip of B stays in cache
 * while every block of rows of A passes over it; scalar loops for the edges.
 * The transposes only change the offsets and the per-k increments.
 */
function gemmBody(A: string, B: string, C: string, transA: boolean, transB: boolean): string {
  const aks = transA ? 'M' : '1';
  const bks = transB ? '1' : 'N';
  const aBase = (i: string) => (transA ? `aO + ${i}` : `aO + ${i} * K`);
  const bBase = (j: string) => (transB ? `bO + ${j} * K` : `bO + ${j}`);
  const aLoads = transA
    ? `const a0 = ${A}[pa], a1 = ${A}[pa + 1], a2 = ${A}[pa + 2], a3 = ${A}[pa + 3];`
    : `const a0 = ${A}[pa], a1 = ${A}[pa + K], a2 = ${A}[pa + 2 * K], a3 = ${A}[pa + 3 * K];`;
  const bLoads = transB
    ? `const b0 = ${B}[pb], b1 = ${B}[pb + K], b2 = ${B}[pb + 2 * K], b3 = ${B}[pb + 3 * K];`
    : `const b0 = ${B}[pb], b1 = ${B}[pb + 1], b2 = ${B}[pb + 2], b3 = ${B}[pb + 3];`;
  return `const M4 = M - (M % 4), N4 = N - (N % 4);
for (let j = 0; j < N4; j += 4) {
  for (let i = 0; i < M4; i += 4) {
    let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
    let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
    for (let k = 0, pa = ${aBase('i')}, pb = ${bBase('j')}; k < K; k++, pa += ${aks}, pb += ${bks}) {
      ${aLoads}
      ${bLoads}
      s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
      s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
      s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2; s23 += a2 * b3;
      s30 += a3 * b0; s31 += a3 * b1; s32 += a3 * b2; s33 += a3 * b3;
    }
    const q0 = cO + i * N + j, q1 = q0 + N, q2 = q1 + N, q3 = q2 + N;
    ${C}[q0] = s00; ${C}[q0 + 1] = s01; ${C}[q0 + 2] = s02; ${C}[q0 + 3] = s03;
    ${C}[q1] = s10; ${C}[q1 + 1] = s11; ${C}[q1 + 2] = s12; ${C}[q1 + 3] = s13;
    ${C}[q2] = s20; ${C}[q2 + 1] = s21; ${C}[q2 + 2] = s22; ${C}[q2 + 3] = s23;
    ${C}[q3] = s30; ${C}[q3 + 1] = s31; ${C}[q3 + 2] = s32; ${C}[q3 + 3] = s33;
  }
}
// edges: the last M % 4 rows (all columns) and the last N % 4 columns of the other rows
for (let i = 0; i < M; i++) {
  for (let j = i < M4 ? N4 : 0; j < N; j++) {
    let s = 0;
    for (let k = 0, pa = ${aBase('i')}, pb = ${bBase('j')}; k < K; k++, pa += ${aks}, pb += ${bks}) s += ${A}[pa] * ${B}[pb];
    ${C}[cO + i * N + j] = s;
  }
}`;
}

function cpuMatmul(ctx: CpuKernelContext): string {
  const transA = boolAttr(ctx.attrs, 'transA', false);
  const transB = boolAttr(ctx.attrs, 'transB', false);
  const [aS, bS] = ctx.inShape;
  const cS = ctx.outShape[0];
  const d = matDims<string>(aS, bS, transA, transB);
  const [A, B] = ctx.in;
  const C = ctx.out[0];
  const lines = [`const M = ${d.M}, K = ${d.K}, N = ${d.N};`];
  const batch = cS.slice(0, -2);
  if (batch.length === 0) {
    lines.push('{ const aO = 0, bO = 0, cO = 0;', gemmBody(A, B, C, transA, transB), '}');
    return lines.join('\n');
  }
  const as = emitStrides(aS, 'as', lines);
  const bs = emitStrides(bS, 'bs', lines);
  const cs = emitStrides(cS, 'cs', lines);
  // stride per output batch dim for an operand: 0 where it is missing or broadcast (size 1)
  const batchStrides = (shape: string[], strides: string[], tag: string) =>
    batch.map((_, k) => {
      const j = k - (batch.length - (shape.length - 2));
      if (j < 0 || shape[j] === '1') return '0';
      if (/^\d+$/.test(shape[j])) return strides[j];
      lines.push(`const ${tag}${k} = ${paren(shape[j])} === 1 ? 0 : ${strides[j]};`);
      return `${tag}${k}`;
    });
  const sa = batchStrides(aS, as, 'ba');
  const sb = batchStrides(bS, bs, 'bb');
  lines.push(`const gemm = (aO, bO, cO) => {\n${gemmBody(A, B, C, transA, transB)}\n};`);
  lines.push(
    nestedLoops(batch, [{ base: '0', strides: sa }, { base: '0', strides: sb }, { base: '0', strides: cs.slice(0, batch.length) }], ([ao, bo, co]) => `gemm(${ao}, ${bo}, ${co});`),
  );
  return lines.join('\n');
}

/** op name -> CPU renderer */
export const linalgCpuRenderers: OpTable<CpuRenderer> = {
  matmul: {
    kernel: cpuMatmul,
  },
};
