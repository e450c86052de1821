/**
 * Linear algebra: matmul (pattern kind 'out-elementwise-fusable': an
 * elementwise epilogue such as bias + relu may be fused into its output).
 *
 * a [..., M, K] @ b [..., K, N] -> [..., M, N]; transA / transB swap the last
 * two dims of that operand before multiplying; batch dims broadcast (numpy
 * matmul rules), so b may be 2-D while a is N-D.
 */
import type { GraphBuilder } from '../builder.js';
import { dimAdd, dimEq, dimProduct, shapeToString, type Dim, type Shape } from '../dims.js';

const dimProductOf = (d: readonly Dim[]): Dim => dimProduct(d);
import type { Attrs, TensorType, Value } from '../ir.js';
import { ShapeError, type CpuKernelContext, type GpujsKernelContext, type OpDef, type WgslKernel, type WgslKernelContext } from './types.js';
import { broadcastIndexMap, broadcastNumeric, broadcastShapes, refTensor, sizeOf } from './util.js';
import { boolAttr, emitStrides, expectArity, gpujsDim, gpujsDot, gpujsIdiv, gpujsMul, gpujsStrides, gpujsUnravel, nestedLoops, paren, wgslDot, wgslLiteral, wgslMul, wgslStrides, wgslUnravel } from './kernel-util.js';

interface MatDims<T> {
  batchA: T[];
  batchB: T[];
  M: T;
  K: T;
  Kb: T;
  N: T;
}

function matDims<T>(a: readonly T[], b: readonly T[], transA: boolean, transB: boolean): MatDims<T> {
  const [a0, a1] = [a[a.length - 2], a[a.length - 1]];
  const [b0, b1] = [b[b.length - 2], b[b.length - 1]];
  return {
    batchA: a.slice(0, -2),
    batchB: b.slice(0, -2),
    M: transA ? a1 : a0,
    K: transA ? a0 : a1,
    Kb: transB ? b1 : b0,
    N: transB ? b0 : b1,
  };
}

function describe(a: Shape, b: Shape, transA: boolean, transB: boolean): string {
  const t = (s: Shape, tr: boolean) => `${shapeToString(s)}${tr ? 'ᵀ' : ''}`;
  return `${t(a, transA)} @ ${t(b, transB)}`;
}

function inferMatmul(inputs: TensorType[], attrs: Attrs): TensorType[] {
  expectArity('matmul', inputs, 2);
  const [a, b] = inputs;
  const transA = boolAttr(attrs, 'transA', false);
  const transB = boolAttr(attrs, 'transB', false);
  if (a.dtype !== b.dtype || a.dtype !== 'f32')
    throw new ShapeError(`matmul: operands must both be f32, got ${a.dtype}${shapeToString(a.shape)} @ ${b.dtype}${shapeToString(b.shape)}`, 'DNN0018');
  if (a.shape.length < 2 || b.shape.length < 2)
    throw new ShapeError(`matmul: operands need rank >= 2: ${describe(a.shape, b.shape, transA, transB)}`, 'DNN0008');
  const d = matDims<Dim>(a.shape, b.shape, transA, transB);
  if (!dimEq(d.K, d.Kb))
    throw new ShapeError(`matmul: inner dims differ: ${describe(a.shape, b.shape, transA, transB)} (${d.K} vs ${d.Kb})`);
  let batch: Shape;
  try {
    batch = broadcastShapes(d.batchA, d.batchB, 'matmul');
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    throw new ShapeError(`matmul: batch dims do not broadcast: ${describe(a.shape, b.shape, transA, transB)}`);
  }
  return [{ dtype: 'f32', shape: [...batch, d.M, d.N] }];
}

/**
 * Gradients. With A' = op(A), B' = op(B) and C = A' B':
 *   dA' = G B'^T, dB' = A'^T G; undoing op() gives, per transpose flag,
 *   dA = transA ? B' G^T : G B'^T,   dB = transB ? G^T A' : A'^T G,
 * each a single matmul with transpose flags (no transpose nodes).
 */
function gradMatmul(bl: GraphBuilder, a: Value, b: Value, g: Value, transA: boolean, transB: boolean): [Value, Value] {
  const mm = (x: Value, y: Value, tA: boolean, tB: boolean) => bl.op('matmul', [x, y], { transA: tA, transB: tB });
  const da = transA ? mm(b, g, transB, true) : mm(g, b, false, !transB);
  let db: Value;
  const aS = a.type.shape;
  if (b.type.shape.length === 2 && aS.length > 2 && !transA) {
    // b is shared by every batch: fold the batch into the rows, one 2-D matmul
    const K = aS[aS.length - 1];
    const rows = dimProduct(aS.slice(0, -1));
    const gS = g.type.shape;
    const a2 = bl.reshape(a, [rows, K]);
    const g2 = bl.reshape(g, [rows, gS[gS.length - 1]]);
    db = transB ? mm(g2, a2, true, false) : mm(a2, g2, true, false);
  } else db = transB ? mm(g, a, true, transA) : mm(a, g, !transA, false);
  return [bl.unbroadcast(da, a.type.shape), bl.unbroadcast(db, b.type.shape)];
}

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
  const [A, B] = ctx.in;
  const C = ctx.out[0];
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
    `    if (gm < M && gk < K) { v = ${A}[${aAt}]; }`,
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
    `    if (gn < N && gk < K) { v = ${B}[${bAt}]; }`,
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
      lines.push(`    { let c = col0 + tx + ${j * WX}u; if (c < N) { ${C}[cO + r * N + c] = c${i}[${j}]; }${extra} }`);
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

export const matmul: OpDef = {
  name: 'matmul',
  kind: 'out-elementwise-fusable',
  doc: 'a [..., M, K] @ b [..., K, N] -> [..., M, N]; attrs transA / transB swap the last two dims of that operand; batch dims broadcast',
  arity: 2,
  attrNames: ['transA', 'transB'],
  infer: inferMatmul,
  reference(inputs, attrs) {
    const [a, b] = inputs;
    const transA = boolAttr(attrs, 'transA', false);
    const transB = boolAttr(attrs, 'transB', false);
    const d = matDims<number>(a.shape, b.shape, transA, transB);
    const { M, K, N } = d;
    const batch = broadcastNumeric(d.batchA, d.batchB);
    const mapA = broadcastIndexMap(d.batchA, batch);
    const mapB = broadcastIndexMap(d.batchB, batch);
    const out = refTensor('f32', [...batch, M, N]);
    const nb = sizeOf(batch);
    for (let t = 0; t < nb; t++) {
      const aO = mapA[t] * M * K;
      const bO = mapB[t] * K * N;
      const cO = t * M * N;
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) {
            const av = a.data[aO + (transA ? k * M + i : i * K + k)];
            const bv = b.data[bO + (transB ? j * K + k : k * N + j)];
            s += av * bv;
          }
          out.data[cO + i * N + j] = s;
        }
    }
    return [out];
  },
  grad({ b, node, dy }) {
    if (!dy[0]) return [undefined, undefined];
    const [x, y] = node.inputs;
    return gradMatmul(b, x, y, dy[0], boolAttr(node.attrs, 'transA', false), boolAttr(node.attrs, 'transB', false));
  },
  cpu: cpuMatmul,
  wgsl: (ctx) => wgslMatmul(ctx),
  // 2-D: A is summed over its K axis, B over its K axis (a dense layer's bias gradient is B's)
  contracts(node) {
    const [a, b] = node.inputs;
    if (a.type.shape.length !== 2 || b.type.shape.length !== 2) return [];
    const tA = boolAttr(node.attrs, 'transA', false);
    const tB = boolAttr(node.attrs, 'transB', false);
    return [
      { input: 0, axes: [tA ? 0 : 1] },
      { input: 1, axes: [tB ? 1 : 0] },
    ];
  },
  wgslSum: (ctx, input, out) => wgslMatmul(ctx, { input, out }),
  gpujs: gpujsMatmul,
  samples: [
    { inputs: [{ shape: [5, 3] }, { shape: [3, 6] }], note: '2-D, edge rows and columns after the 4x4 blocks' },
    { inputs: [{ shape: [3, 5] }, { shape: [4, 3] }], attrs: { transA: true, transB: true } },
    { inputs: [{ shape: [2, 4, 3] }, { shape: [5, 3] }], attrs: { transB: true }, note: 'N-D @ 2-D' },
    { inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 3, 4] }], attrs: { transA: true }, note: 'broadcast batch dims' },
  ],
};
