/**
 * The WGSL renderers of the ops of compiler/ops/linalg.ts.
 */
import { dimAdd, dimProduct, type Dim } from '../../../compiler/dims.js';
import { type WgslKernel, type WgslKernelContext } from '../types.js';
import { boolAttr } from '../../../compiler/ops/kernel-util.js';
import { wgslDot, wgslLiteral, wgslMul, wgslStrides, wgslUnravel } from '../util.js';
import { matDims } from '../../../compiler/ops/linalg.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { WgslRenderer } from '../types.js';

const dimProductOf = (d: readonly Dim[]): Dim => dimProduct(d);

/** Tiling of the WGSL matmul: output tile TM x TN per workgroup, RM x RN per thread, K-tile TK. */
export interface MatmulTiling {
  TM: number;
  TN: number;
  RM: number;
  RN: number;
  TK: number;
}

/** 64 x 64 tiles, 4 x 4 outputs per thread (16 x 16 threads), K-tile 16: 8 KiB of workgroup memory. */
export const DEFAULT_MATMUL_TILING: MatmulTiling = { TM: 64, TN: 64, RM: 4, RN: 4, TK: 16 };

/** 128 x 128 tiles, 8 x 8 outputs per thread (16 x 16 threads), K-tile 8: 8 KiB; twice the multiply-adds per workgroup load. */
export const LARGE_MATMUL_TILING: MatmulTiling = { TM: 128, TN: 128, RM: 8, RN: 8, TK: 8 };

let tilingOverride: MatmulTiling | undefined;

/**
 * Forces one tiling on every WGSL matmul rendered until it is reset with
 * `undefined`: for tiling sweeps in bench/gpu.bench.ts, not for models.
 */
export function overrideMatmulTiling(t: MatmulTiling | undefined): void {
  tilingOverride = t;
}

/**
 * The tiling for a matmul whose output is M x N: the large tiles only when
 * both sizes are static and ≥ 1024 (enough tiles to fill a big GPU; on a
 * small or symbolic problem a 128 x 128 tile would leave most threads idle).
 */
export function pickMatmulTiling(M: Dim, N: Dim): MatmulTiling {
  if (tilingOverride) return tilingOverride;
  const big = (d: Dim) => typeof d === 'number' && d >= 1024;
  return big(M) && big(N) ? LARGE_MATMUL_TILING : DEFAULT_MATMUL_TILING;
}

/**
 * The WGSL matmul: C[b] = op(A[b]) op(B[b]), one workgroup per TM x TN tile of
 * C (workgroup grid: x over N, y over M, z over the batch).
 *  1. Batch: wid.z is split over the output batch dims; A's and B's offsets
 *     use stride 0 on broadcast dims (size 1, or a symbolic dim bound to 1).
 *  2. Per K-tile, all threads stage a TM x TK slice of op(A) and a TK x TN
 *     slice of op(B) in workgroup memory (zero outside the matrices; loads
 *     follow the operand's memory order: along K unless transposed).
 *  3. Each thread accumulates RM x RN outputs in registers (rows ty + k*TM/RM,
 *     columns tx + k*TN/RN), RM + RN workgroup loads per RM*RN multiply-adds.
 *  4. Stores are guarded at the edges, so M, N, K need not be tile multiples.
 */
function wgslMatmul(ctx: WgslKernelContext, sum?: { input: number; out: string }): WgslKernel {
  const transA = boolAttr(ctx.attrs, 'transA', false);
  const transB = boolAttr(ctx.attrs, 'transB', false);
  // the sum of B over K (column sums: one more row of ones in A) or of A (row sums: one more column of ones in B)
  const colSums = sum?.input === 1;
  const rowSums = sum?.input === 0;
  if (sum && ctx.outShape[0].length !== 2) throw new Error('internal: a matmul with operand sums must be 2-D');
  const od0 = ctx.outDims[0];
  const { TM, TN, RM, RN, TK } = pickMatmulTiling(od0[od0.length - 2], od0[od0.length - 1]);
  const WX = TN / RN;
  const WY = TM / RM;
  const threads = WX * WY;
  const [aS, bS] = ctx.inShape;
  const cS = ctx.outShape[0];
  const d = matDims<string>(aS, bS, transA, transB);
  const lines = [`let M = ${d.M};`, `let K = ${d.K};`, `let N = ${d.N};`];
  // 1. batch offsets
  const batch = cS.slice(0, -2);
  const batchStrides = (shape: string[]): string[] => {
    const st = wgslStrides(shape);
    return batch.map((_, k) => {
      const j = k - (batch.length - (shape.length - 2));
      if (j < 0 || shape[j] === '1u') return '0u';
      if (wgslLiteral(shape[j]) !== undefined) return st[j];
      return `select(${st[j]}, 0u, ${shape[j]} == 1u)`;
    });
  };
  if (batch.length) {
    const bc = wgslUnravel('wid.z', batch, 'bt', lines);
    lines.push(`let aO = ${wgslDot(bc, batchStrides(aS))};`);
    lines.push(`let bO = ${wgslDot(bc, batchStrides(bS))};`);
    lines.push(`let cO = wid.z * ${wgslMul([d.M, d.N])};`);
  } else lines.push('let aO = 0u;', 'let bO = 0u;', 'let cO = 0u;');
  lines.push(`let row0 = wid.y * ${TM}u;`, `let col0 = wid.x * ${TN}u;`, 'let tx = lid.x;', 'let ty = lid.y;');
  for (let i = 0; i < RM; i++) lines.push(`var c${i}: array<f32, ${RN}>;`);
  // 2. tile loads: element e of the tile, coalesced along the operand's contiguous dim
  const aLoads = (TM * TK) / threads;
  const bLoads = (TK * TN) / threads;
  const aIdx = transA ? ['e % ' + TM + 'u', 'e / ' + TM + 'u'] : ['e / ' + TK + 'u', 'e % ' + TK + 'u']; // [m, k]
  const bIdx = transB ? ['e / ' + TK + 'u', 'e % ' + TK + 'u'] : ['e % ' + TN + 'u', 'e / ' + TN + 'u']; // [n, k]
  const aAt = transA ? 'aO + gk * M + gm' : 'aO + gm * K + gk';
  const bAt = transB ? 'bO + gn * K + gk' : 'bO + gk * N + gn';
  const fma: string[] = [];
  for (let i = 0; i < RM; i++) fma.push(`let a${i} = As[kk][ty + ${i * WY}u];`);
  for (let j = 0; j < RN; j++) fma.push(`let b${j} = Bs[kk][tx + ${j * WX}u];`);
  for (let i = 0; i < RM; i++) for (let j = 0; j < RN; j++) fma.push(`c${i}[${j}] = fma(a${i}, b${j}, c${i}[${j}]);`);
  lines.push(
    `for (var k0 = 0u; k0 < K; k0 = k0 + ${TK}u) {`,
    `  for (var l = 0u; l < ${aLoads}u; l = l + 1u) {`,
    `    let e = li + l * ${threads}u;`,
    `    let m = ${aIdx[0]};`,
    `    let k = ${aIdx[1]};`,
    `    let gm = row0 + m;`,
    `    let gk = k0 + k;`,
    `    var v = 0.0;`,
    `    if (gm < M && gk < K) { v = ${ctx.load(0, aAt)}; }`,
    ...(colSums ? [`    if (gm == M && gk < K) { v = 1.0; }`] : []),
    `    As[k][m] = v;`,
    `  }`,
    `  for (var l = 0u; l < ${bLoads}u; l = l + 1u) {`,
    `    let e = li + l * ${threads}u;`,
    `    let n = ${bIdx[0]};`,
    `    let k = ${bIdx[1]};`,
    `    let gn = col0 + n;`,
    `    let gk = k0 + k;`,
    `    var v = 0.0;`,
    `    if (gn < N && gk < K) { v = ${ctx.load(1, bAt)}; }`,
    ...(rowSums ? [`    if (gn == N && gk < K) { v = 1.0; }`] : []),
    `    Bs[k][n] = v;`,
    `  }`,
    `  workgroupBarrier();`,
    `  for (var kk = 0u; kk < ${TK}u; kk = kk + 1u) {`,
    ...fma.map((l) => `    ${l}`),
    `  }`,
    `  workgroupBarrier();`,
    `}`,
  );
  // 4. guarded stores
  for (let i = 0; i < RM; i++) {
    lines.push(`{ let r = row0 + ty + ${i * WY}u;`, `  if (r < M) {`);
    for (let j = 0; j < RN; j++) {
      const extra = rowSums ? ` else if (c == N) { ${sum!.out}[r] = c${i}[${j}]; }` : '';
      lines.push(`    { let c = col0 + tx + ${j * WX}u; if (c < N) { ${ctx.store(0, 'cO + r * N + c', `c${i}[${j}]`)} }${extra} }`);
    }
    lines.push('  }');
    if (colSums) {
      lines.push('  else if (r == M) {');
      for (let j = 0; j < RN; j++) lines.push(`    { let c = col0 + tx + ${j * WX}u; if (c < N) { ${sum!.out}[c] = c${i}[${j}]; } }`);
      lines.push('  }');
    }
    lines.push('}');
  }
  const batchItems = dimProductOf(ctx.outDims[0].slice(0, -2));
  const od = ctx.outDims[0];
  return {
    decls: `var<workgroup> As: array<array<f32, ${TM}>, ${TK}>;\nvar<workgroup> Bs: array<array<f32, ${TN}>, ${TK}>;`,
    body: lines.join('\n'),
    workgroupSize: [WX, WY],
    workgroups: [
      { items: rowSums ? dimAdd(od[od.length - 1], 1) : od[od.length - 1], per: TN },
      { items: colSums ? dimAdd(od[od.length - 2], 1) : od[od.length - 2], per: TM },
      { items: batchItems, per: 1 },
    ],
  };
}

/** op name -> WGSL renderer */
export const linalgWgslRenderers: OpTable<WgslRenderer> = {
  matmul: {
    kernel: (ctx) => wgslMatmul(ctx),
    sum: (ctx, input, out) => wgslMatmul(ctx, { input, out }),
    fuses: { load: true, store: true },
  },
};
