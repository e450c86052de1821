/**
 * An implicit-GEMM WGSL kernel: C[g] (M x N) = A[g] (M x K) · B[g] (K x N)
 * where A and B are never materialised: the caller says how to load one
 * element of each (convolutions gather the im2col matrix on the fly) and how
 * to store one element of C. The tiling is the matmul's (compiler/ops/linalg.ts):
 *
 *  1. One workgroup per TM x TN tile of C (grid x over N, y over M, z over the
 *     groups `g`); each thread accumulates RM x RN outputs in registers (rows
 *     ty + i*TM/RM, columns tx + j*TN/RN).
 *  2. Per K-tile of TK, the threads stage TM x TK of A and TK x TN of B in
 *     workgroup memory (zero outside the matrices and where the loader says
 *     so, e.g. in the padding); consecutive threads load consecutive elements
 *     along the operand's contiguous index (`aFast`, `bFast`), so the global
 *     reads coalesce.
 *  3. Split-K inside the workgroup (S > 1, for long reductions onto few
 *     outputs such as a filter gradient): S slices of threads take K-tiles
 *     k0 + s*TK, k0 + (S+1)*TK, ...; at the end slices 1..S-1 leave their
 *     partial sums in workgroup memory and slice 0 adds them in order
 *     (deterministic).
 *  4. Stores are guarded, so M, N, K need not be tile multiples.
 *  Barriers stay in uniform control flow (the K loop bound is a literal or a
 *  dims read; nothing returns early).
 */
import { dimAdd, type Dim } from '../../../compiler/dims.js';
import type { WgslKernel } from '../types.js';

export interface GemmTiling {
  TM: number;
  TN: number;
  RM: number;
  RN: number;
  TK: number;
  /** K slices per workgroup (split-K inside the workgroup) */
  S: number;
}

export interface ImplicitGemm {
  /** WGSL u32 expressions of the problem size (per group) */
  M: string;
  N: string;
  K: string;
  /** the same as Dims, for the dispatch size */
  mItems: Dim;
  nItems: Dim;
  /** independent problems (convolution groups): workgroup grid z, `grp` in the loaders */
  groups: number;
  /** statements that set `v` (a `var f32`, 0 before) to A(m, k); run only for m < M, k < K */
  loadA(m: string, k: string): string;
  /** statements that set `v` to B(k, n); run only for k < K, n < N */
  loadB(k: string, n: string): string;
  /** statements that store `acc` at C(m, n); run only for m < M, n < N */
  store(m: string, n: string, acc: string): string;
  /**
   * also compute the row sums of A (sum over k of A(m, k)) as one more
   * column n = N of ones in B, and store each with these statements (`acc`
   * holds it; run only for m < M)
   */
  rowSums?(m: string, acc: string): string;
  /** the index along which A / B are contiguous in memory */
  aFast: 'm' | 'k';
  bFast: 'k' | 'n';
  tiling: GemmTiling;
}

/** Workgroup memory of a tiling, in bytes. */
export function gemmWorkgroupBytes(t: GemmTiling): number {
  return 4 * (t.S * t.TK * (t.TM + t.TN) + (t.S - 1) * t.TM * t.TN);
}

/** The WebGPU default (and minimum) limit of workgroup memory. */
const WG_BYTES = 16384;

/**
 * A tiling for a problem: tile sides from the static sizes (a small M, e.g.
 * 6 filters, gets 8-row tiles instead of wasting 58 of 64 rows), and with
 * `splitK` as many K slices as fit 256 threads and the workgroup memory.
 */
export function pickGemmTiling(M: Dim, N: Dim, splitK: boolean): GemmTiling {
  const m = typeof M === 'number' ? M : Infinity;
  const n = typeof N === 'number' ? N : Infinity;
  const [TM, RM] = m <= 8 ? [8, 1] : m <= 16 ? [16, 2] : m <= 32 ? [32, 4] : [64, 4];
  const [TN, RN] = n <= 16 ? [16, 1] : n <= 32 ? [32, 2] : [64, 4];
  const threads = (TM / RM) * (TN / RN);
  let S = splitK ? Math.max(1, Math.min(8, Math.floor(256 / threads))) : 1;
  let TK = 16;
  const fits = () => gemmWorkgroupBytes({ TM, TN, RM, RN, TK, S }) <= WG_BYTES;
  while (!fits() && TK > 8) TK /= 2;
  while (!fits() && S > 1) S--;
  return { TM, TN, RM, RN, TK, S };
}

export function implicitGemmWgsl(g: ImplicitGemm): WgslKernel {
  const { TM, TN, RM, RN, TK, S } = g.tiling;
  const WX = TN / RN;
  const WY = TM / RM;
  const TPS = WX * WY; // threads per slice
  const threads = TPS * S;
  if (threads > 256 || !Number.isInteger(WX) || !Number.isInteger(WY)) throw new Error(`internal: bad GEMM tiling ${JSON.stringify(g.tiling)}`);
  if (gemmWorkgroupBytes(g.tiling) > WG_BYTES) throw new Error(`internal: GEMM tiling ${JSON.stringify(g.tiling)} needs more than ${WG_BYTES} bytes of workgroup memory`);
  // with row sums the GEMM is one column wider: B(k, N) = 1
  const sums = g.rowSums;
  const L: string[] = [
    `let M = ${g.M};`,
    `let N = ${g.N};`,
    `let K = ${g.K};`,
    ...(sums ? [`let NS = N + 1u;`] : []),
    `let grp = wid.z;`,
    `let row0 = wid.y * ${TM}u;`,
    `let col0 = wid.x * ${TN}u;`,
    `let tl = li % ${TPS}u;`,
    `let tx = tl % ${WX}u;`,
    `let ty = tl / ${WX}u;`,
    S > 1 ? `let sl = li / ${TPS}u;` : `let sl = 0u;`,
  ];
  for (let i = 0; i < RM; i++) L.push(`var c${i}: array<f32, ${RN}>;`);
  // one operand tile: `count` elements, e -> (outer, inner) along the fast index
  const tileLoad = (count: number, idx: [string, string], guard: string, load: string, dst: string): string[] => {
    const loads = Math.ceil(count / TPS);
    const exact = count % TPS === 0;
    return [
      `for (var l = 0u; l < ${loads}u; l = l + 1u) {`,
      `  let e = tl + l * ${TPS}u;`,
      ...(exact ? [] : [`  if (e < ${count}u) {`]),
      `  let ${idx[0]};`,
      `  let ${idx[1]};`,
      ...guardedLoad(guard, load),
      `  ${dst} = v;`,
      ...(exact ? [] : [`  }`]),
      `}`,
    ];
  };
  const guardedLoad = (guard: string, load: string) => [`  var v = 0.0;`, `  if (${guard}) {`, ...load.split('\n').map((s) => `    ${s}`), `  }`];
  // A tile [TK][TM] per slice: As[(sl*TK + k)*TM + m]
  const aIdx: [string, string] = g.aFast === 'k' ? [`m = e / ${TK}u`, `k = e % ${TK}u`] : [`m = e % ${TM}u`, `k = e / ${TM}u`];
  const bIdx: [string, string] = g.bFast === 'n' ? [`n = e % ${TN}u`, `k = e / ${TN}u`] : [`n = e / ${TK}u`, `k = e % ${TK}u`];
  L.push(`for (var k0 = 0u; k0 < K; k0 = k0 + ${S * TK}u) {`, `  let kb = k0 + sl * ${TK}u;`);
  L.push(
    ...tileLoad(TM * TK, aIdx, 'row0 + m < M && kb + k < K', g.loadA('(row0 + m)', '(kb + k)'), `As[(sl * ${TK}u + k) * ${TM}u + m]`).map((s) => '  ' + s),
    ...tileLoad(
      TK * TN,
      bIdx,
      'col0 + n < N && kb + k < K',
      g.loadB('(kb + k)', '(col0 + n)') + (sums ? `\n}\nif (col0 + n == N && kb + k < K) {\n  v = 1.0;` : ''),
      `Bs[(sl * ${TK}u + k) * ${TN}u + n]`,
    ).map((s) => '  ' + s),
    `  workgroupBarrier();`,
    `  for (var kk = 0u; kk < ${TK}u; kk = kk + 1u) {`,
    `    let ab = (sl * ${TK}u + kk) * ${TM}u + ty;`,
    `    let bb = (sl * ${TK}u + kk) * ${TN}u + tx;`,
  );
  for (let i = 0; i < RM; i++) L.push(`    let a${i} = As[ab${i ? ` + ${i * WY}u` : ''}];`);
  for (let j = 0; j < RN; j++) L.push(`    let b${j} = Bs[bb${j ? ` + ${j * WX}u` : ''}];`);
  for (let i = 0; i < RM; i++) for (let j = 0; j < RN; j++) L.push(`    c${i}[${j}] = fma(a${i}, b${j}, c${i}[${j}]);`);
  L.push(`  }`, `  workgroupBarrier();`, `}`);
  if (S > 1) {
    // slices 1..S-1 leave their sums; slice 0 adds them in slice order
    const red = (s: string, i: number, j: number) => `Red[((${s}) * ${TM}u + ty + ${i * WY}u) * ${TN}u + tx + ${j * WX}u]`;
    L.push(`if (sl > 0u) {`);
    for (let i = 0; i < RM; i++) for (let j = 0; j < RN; j++) L.push(`  ${red('sl - 1u', i, j)} = c${i}[${j}];`);
    L.push(`}`, `workgroupBarrier();`, `if (sl == 0u) {`, `  for (var s = 0u; s < ${S - 1}u; s = s + 1u) {`);
    for (let i = 0; i < RM; i++) for (let j = 0; j < RN; j++) L.push(`    c${i}[${j}] = c${i}[${j}] + ${red('s', i, j)};`);
    L.push(`  }`, `}`);
  }
  // guarded stores
  L.push(S > 1 ? `if (sl == 0u) {` : `{`);
  for (let i = 0; i < RM; i++) {
    L.push(`  { let gm = row0 + ty + ${i * WY}u;`, `  if (gm < M) {`);
    for (let j = 0; j < RN; j++) {
      L.push(`    { let gn = col0 + tx + ${j * WX}u; if (gn < N) {`, `      let acc = c${i}[${j}];`, ...g.store('gm', 'gn', 'acc').split('\n').map((s) => `      ${s}`), `    }`);
      if (sums) L.push(`    else if (gn == N) {`, `      let acc = c${i}[${j}];`, ...sums('gm', 'acc').split('\n').map((s) => `      ${s}`), `    }`);
      L.push(`    }`);
    }
    L.push(`  }`, `  }`);
  }
  L.push(`}`);
  const decls = [`var<workgroup> As: array<f32, ${S * TK * TM}>;`, `var<workgroup> Bs: array<f32, ${S * TK * TN}>;`];
  if (S > 1) decls.push(`var<workgroup> Red: array<f32, ${(S - 1) * TM * TN}>;`);
  return {
    decls: decls.join('\n'),
    body: L.join('\n'),
    workgroupSize: [threads],
    workgroups: [
      { items: sums ? dimAdd(g.nItems, 1) : g.nItems, per: TN },
      { items: g.mItems, per: TM },
      { items: g.groups, per: 1 },
    ],
  };
}
