/**
 * The WebAssembly SIMD GEMM shared by the wasm matmul and convolution
 * kernels: C = A B (or C += A B) with every operand addressed by a byte
 * pointer and element strides, so transposes and im2col layouts need no
 * copies.
 *
 *   A(i, k) = f32 at A + 4 (i*aRow + k*aK)      (M x K)
 *   B(k, j) = f32 at B + 4 (k*bK + j*bCol)      (K x N)
 *   C(i, j) = f32 at C + 4 (i*cRow + j)         (M x N)
 *
 * Algorithm (a BLIS-style blocked GEMM sized for one core):
 *  1. K is cut into blocks of at most KC rows (one block when K is small).
 *  2. Per K block, B's columns [jLo, jHi) are packed into the scratch as
 *     panels of NR = 8 columns: panel p holds, for each k, its 8 values
 *     contiguously (32 bytes; the last panel padded with zeros), so the
 *     micro-kernel reads B with two aligned-stride v128 loads per k.
 *     Row-major B (bCol = 1) is packed with v128 copies.
 *  3. For each block of MC rows of A (it stays in L2), for each panel (it
 *     stays in L1), for each block of MR rows of A: the
 *     micro-kernel keeps MR x 8 outputs in 2*MR f32x4 accumulators, and per
 *     k loads 2 vectors of B and splats MR values of A (v128.load32_splat),
 *     2*MR multiplies and adds; K is unrolled by 4 when A's strides are
 *     static (the A offsets are then load immediates). When A's rows are
 *     contiguous in k (aK = 1) the block is MR_ROWS = 4 rows, and per 4 k
 *     one v128 load per row brings A's values, splat by shuffles: a quarter
 *     of A's loads (the load32_splat mix peaks at ~28 GFLOP/s here, the
 *     shuffle mix at ~33, registers alone at ~42: bench/cpu-peak.ts). Rows left over use
 *     micro-kernels of fewer rows.
 *  4. The first K block stores C (unless accumulating), later blocks add to
 *     it; a panel's padding columns are never stored.
 * Sums are f32, in k order within a block, so any column range (a thread's
 * chunk) computes its elements exactly as the whole GEMM does.
 */
import { dimAdd, dimMul, type Dim } from '../../compiler/dims.js';
import { iget, imul, isStatic, WatFunction, type IVal } from './wat.js';

export interface WasmGemm {
  /** prefix of the names of this GEMM's labels and helpers ('$k03_mm') */
  prefix: string;
  M: IVal;
  N: IVal;
  K: IVal;
  /** byte pointers (i32 locals) and element strides */
  A: string;
  aRow: IVal;
  aK: IVal;
  B: string;
  bK: IVal;
  bCol: IVal;
  C: string;
  cRow: IVal;
  /** C += A B instead of C = A B */
  accumulate: boolean;
  /** local holding the byte pointer of the packing scratch (gemmScratchBytes) */
  scratch: string;
  /** columns [jLo, jHi) of C only (locals; jLo a multiple of NR, jHi a multiple of NR or N); default all */
  jLo?: string;
  jHi?: string;
  /**
   * B is already packed in the scratch as ONE K block: the panel of columns
   * [j, j + 8) at scratch + 4 (j - jLo) K (the caller wrote it: im2col does)
   */
  prepacked?: boolean;
}

export const NR = 8;
/** rows per micro-kernel: 6 x 8 outputs = 12 accumulators, 2 B vectors, 1 splat of A (15 of the 16 SIMD registers) */
export const MR = 6;
/**
 * rows per micro-kernel when A's rows are contiguous in k (aK = 1): 4 x 8
 * outputs = 8 accumulators, 2 B vectors, 4 row vectors of A (4 k each,
 * splat by shuffles) and the splat: 15 registers, no spills. Also when
 * A's rows are contiguous for each k (aRow = 1, a transposed A): one v128
 * load per k holds the 4 rows' values, splat by shuffles.
 */
export const MR_ROWS = 4;
/** rows of A per block (a multiple of MR): 96 x KC floats = 96 KiB, in L2 while every panel sweeps it */
export const MC = 96;
/** K block: a panel of KC x 8 floats is 8 KiB (L1); the packed B of N columns KC * N * 4 bytes (L2) */
export const KC = 256;
/** K up to this is one block */
const ONE_BLOCK_K = 512;
const UNROLL = 4;

/** bytes of packing scratch a GEMM needs for `cols` columns (the whole N, or a chunk's) */
export function gemmScratchBytes(K: number, cols: number, prepacked = false): number {
  const kc = prepacked || K <= ONE_BLOCK_K ? K : KC;
  return Math.ceil(cols / NR) * NR * kc * 4;
}

/** gemmScratchBytes for sizes that may be symbolic (an upper bound then: K blocks of KC, N rounded up by 7) */
export function gemmScratchDim(K: Dim, N: Dim, prepacked = false): Dim {
  if (typeof K === 'number' && typeof N === 'number') return gemmScratchBytes(K, N, prepacked);
  const kc = typeof K === 'number' ? (prepacked || K <= ONE_BLOCK_K ? K : KC) : prepacked ? K : KC;
  const cols = typeof N === 'number' ? Math.ceil(N / NR) * NR : dimAdd(N, NR - 1);
  return dimMul(cols, dimMul(kc, 4));
}

/** The GEMM's statements (inside the calling kernel function `f`); adds its micro-kernels to `funcs`. */
export function emitGemm(f: WatFunction, g: WasmGemm, funcs: WatFunction[]): string[] {
  const L = (n: string) => f.local(`$g_${n}`);
  const k0 = L('k0');
  const kc = L('kc');
  const j = L('j');
  const i = L('i');
  const pb = L('pb');
  const nv = L('nv');
  const jLo = g.jLo ?? L('jLo');
  const jHi = g.jHi ?? L('jHi');
  const mode = L('mode');
  const oneBlock = g.prepacked || (isStatic(g.K) && g.K <= ONE_BLOCK_K);
  const out: string[] = [];
  if (!g.jLo) out.push(`(local.set ${jLo} (i32.const 0))`);
  if (!g.jHi) out.push(`(local.set ${jHi} ${iget(g.N)})`);
  out.push(`(local.set ${k0} (i32.const 0))`);
  const kcExpr = oneBlock ? iget(g.K) : `(select (i32.sub ${iget(g.K)} (local.get ${k0})) (i32.const ${KC}) (i32.lt_s (i32.sub ${iget(g.K)} (local.get ${k0})) (i32.const ${KC})))`;
  const micro = microKernels(g, funcs);
  const mr = isStatic(g.aRow) && isStatic(g.aK) && (g.aK === 1 || g.aRow === 1) ? MR_ROWS : MR;
  const body: string[] = [];
  body.push(`(local.set ${kc} ${kcExpr})`);
  body.push(`(local.set ${mode} ${g.accumulate ? '(i32.const 1)' : `(i32.ne (local.get ${k0}) (i32.const 0))`})`);
  if (!g.prepacked) body.push(...packB(f, g, k0, kc, jLo, jHi));
  // panels outside, row blocks inside: the packed panel stays in L1 while A streams
  const rows: string[] = [];
  const aAt = (row: string) => `(i32.add (local.get ${g.A}) (i32.shl (i32.add ${imul(`(local.get ${row})`, g.aRow)} ${imul(`(local.get ${k0})`, g.aK)}) (i32.const 2)))`;
  const cAt = (row: string) => `(i32.add (local.get ${g.C}) (i32.shl (i32.add ${imul(`(local.get ${row})`, g.cRow)} (local.get ${j})) (i32.const 2)))`;
  const call = (r: number) => `(call ${micro(r)} ${aAt(i)} (local.get ${pb}) ${cAt(i)} (local.get ${kc}) (local.get ${mode}) (local.get ${nv})${micro.extra})`;
  rows.push(`(local.set ${pb} (i32.add (local.get ${g.scratch}) (i32.shl (i32.mul (i32.sub (local.get ${j}) (local.get ${jLo})) (local.get ${kc})) (i32.const 2))))`);
  rows.push(`(local.set ${nv} (select (i32.sub ${iget(g.N)} (local.get ${j})) (i32.const ${NR}) (i32.lt_s (i32.sub ${iget(g.N)} (local.get ${j})) (i32.const ${NR}))))`);
  // rows of the current block [i0, iEnd): blocks of MC rows of A (in L2) swept by every panel
  const i0 = L('i0');
  const iEnd = L('iEnd');
  rows.push(`(local.set ${i} (local.get ${i0}))`);
  rows.push(
    `(block $rows_done`,
    `  (loop $rows`,
    `    (br_if $rows_done (i32.gt_s (i32.add (local.get ${i}) (i32.const ${mr})) (local.get ${iEnd})))`,
    `    ${call(mr)}`,
    `    (local.set ${i} (i32.add (local.get ${i}) (i32.const ${mr})))`,
    `    (br $rows)))`,
  );
  // the rows left over (only in the last block: MC is a multiple of MR and MR_ROWS): one call of a smaller micro-kernel
  const left = `(i32.sub (local.get ${iEnd}) (local.get ${i}))`;
  const remainders = isStatic(g.M) ? (g.M % mr ? [g.M % mr] : []) : Array.from({ length: mr - 1 }, (_, r) => r + 1);
  for (const r of remainders) rows.push(`(if (i32.eq ${left} (i32.const ${r})) (then ${call(r)}))`);
  const panels = [
    `(local.set ${j} (local.get ${jLo}))`,
    `(block $panels_done`,
    `  (loop $panels`,
    `    (br_if $panels_done (i32.ge_s (local.get ${j}) (local.get ${jHi})))`,
    ...rows.map((l) => `    ${l}`),
    `    (local.set ${j} (i32.add (local.get ${j}) (i32.const ${NR})))`,
    `    (br $panels)))`,
  ];
  body.push(
    `(local.set ${i0} (i32.const 0))`,
    `(block $mblocks_done`,
    `  (loop $mblocks`,
    `    (br_if $mblocks_done (i32.ge_s (local.get ${i0}) ${iget(g.M)}))`,
    `    (local.set ${iEnd} (select ${iget(g.M)} (i32.add (local.get ${i0}) (i32.const ${MC})) (i32.lt_s ${iget(g.M)} (i32.add (local.get ${i0}) (i32.const ${MC})))))`,
    ...panels.map((l) => `    ${l}`),
    `    (local.set ${i0} (i32.add (local.get ${i0}) (i32.const ${MC})))`,
    `    (br $mblocks)))`,
  );
  if (oneBlock) out.push(...body);
  else
    out.push(
      `(block $kblocks_done`,
      `  (loop $kblocks`,
      `    (br_if $kblocks_done (i32.ge_s (local.get ${k0}) ${iget(g.K)}))`,
      ...body.map((l) => `    ${l}`),
      `    (local.set ${k0} (i32.add (local.get ${k0}) (i32.const ${KC})))`,
      `    (br $kblocks)))`,
    );
  return out;
}

/** Pack B[k0 : k0 + kc, jLo : jHi] into panels of 8 columns at the scratch. */
function packB(f: WatFunction, g: WasmGemm, k0: string, kc: string, jLo: string, jHi: string): string[] {
  const j = f.local('$p_j');
  const k = f.local('$p_k');
  const src = f.local('$p_src');
  const dst = f.local('$p_dst');
  const nv = f.local('$p_nv');
  const bKb = imul(g.bK, 4);
  const colB = (c: number) => (isStatic(g.bCol) ? { off: c * g.bCol * 4, base: `(local.get ${src})` } : { off: 0, base: `(i32.add (local.get ${src}) ${imul(imul(g.bCol, 4), c)})` });
  const vectorCopy = [
    `(v128.store (local.get ${dst}) (v128.load (local.get ${src})))`,
    `(v128.store offset=16 (local.get ${dst}) (v128.load offset=16 (local.get ${src})))`,
  ];
  const kLoop = (inner: string[]) => [
    `(local.set ${k} (i32.const 0))`,
    `(block $pk_done`,
    `  (loop $pk`,
    `    (br_if $pk_done (i32.ge_s (local.get ${k}) (local.get ${kc})))`,
    ...inner.map((l) => `    ${l}`),
    `    (local.set ${src} (i32.add (local.get ${src}) ${bKb}))`,
    `    (local.set ${dst} (i32.add (local.get ${dst}) (i32.const ${NR * 4})))`,
    `    (local.set ${k} (i32.add (local.get ${k}) (i32.const 1)))`,
    `    (br $pk)))`,
  ];
  // a tail panel reads only its real columns (a guarded load would read past B's end)
  const guarded = Array.from({ length: NR }, (_, c) => {
    const { off, base } = colB(c);
    return `(f32.store offset=${c * 4} (local.get ${dst}) (if (result f32) (i32.gt_s (local.get ${nv}) (i32.const ${c})) (then (f32.load offset=${off} ${base})) (else (f32.const 0))))`;
  });
  const full = g.bCol === 1 ? vectorCopy : Array.from({ length: NR }, (_, c) => {
    const { off, base } = colB(c);
    return `(f32.store offset=${c * 4} (local.get ${dst}) (f32.load offset=${off} ${base}))`;
  });
  return [
    `;; pack B[k0 : k0 + kc, jLo : jHi] into panels of ${NR} columns`,
    `(local.set ${j} (local.get ${jLo}))`,
    `(local.set ${dst} (local.get ${g.scratch}))`,
    `(block $pack_done`,
    `  (loop $pack`,
    `    (br_if $pack_done (i32.ge_s (local.get ${j}) (local.get ${jHi})))`,
    `    (local.set ${src} (i32.add (local.get ${g.B}) (i32.shl (i32.add ${imul(`(local.get ${k0})`, g.bK)} ${imul(`(local.get ${j})`, g.bCol)}) (i32.const 2))))`,
    `    (local.set ${nv} (i32.sub ${iget(g.N)} (local.get ${j})))`,
    `    (if (i32.ge_s (local.get ${nv}) (i32.const ${NR}))`,
    `      (then`,
    ...kLoop(full).map((l) => `        ${l}`),
    `      )`,
    `      (else`,
    ...kLoop(guarded).map((l) => `        ${l}`),
    `      ))`,
    `    (local.set ${j} (i32.add (local.get ${j}) (i32.const ${NR})))`,
    `    (br $pack)))`,
  ];
}

/**
 * The micro-kernels of a GEMM, one function per row count, created on
 * first use: `(pa, pb, pc, kc, mode, nv)` computes rows [0, R) x the 8
 * columns of one panel over kc values of k; mode 0 stores C, 1 adds to it;
 * nv < 8 stores only the first nv columns. Strides that are not static
 * come as extra byte parameters (aRow, aK, cRow).
 */
function microKernels(g: WasmGemm, funcs: WatFunction[]): ((r: number) => string) & { extra: string } {
  const made = new Map<number, string>();
  const dyn = [g.aRow, g.aK, g.cRow].map((v) => !isStatic(v));
  const extra = [
    dyn[0] ? ` (i32.shl ${iget(g.aRow)} (i32.const 2))` : '',
    dyn[1] ? ` (i32.shl ${iget(g.aK)} (i32.const 2))` : '',
    dyn[2] ? ` (i32.shl ${iget(g.cRow)} (i32.const 2))` : '',
  ].join('');
  const get = (r: number): string => {
    const hit = made.get(r);
    if (hit) return hit;
    // named by what it is specialised to: GEMMs with the same strides share it (the module keeps one copy)
    const st = (v: IVal) => (isStatic(v) ? String(v) : 'd');
    const name = `$gemm_${r}x${NR}_a${st(g.aRow)}_${st(g.aK)}_c${st(g.cRow)}`;
    made.set(r, name);
    funcs.push(microKernel(name, r, g, dyn));
    return name;
  };
  return Object.assign(get, { extra });
}

function microKernel(name: string, R: number, g: WasmGemm, dyn: boolean[]): WatFunction {
  const f = new WatFunction(name, `C[${R} x ${NR}] = (mode 0) or += (mode 1) A[${R} x kc] B-panel[kc x ${NR}], strides a ${g.aRow}, ${g.aK}, c ${g.cRow}`);
  const pa = f.param('$pa');
  const pb = f.param('$pb');
  const pc = f.param('$pc');
  const kc = f.param('$kc');
  const mode = f.param('$mode');
  const nv = f.param('$nv');
  const aRowB = dyn[0] ? f.param('$aRowB') : undefined;
  const aKB = dyn[1] ? f.param('$aKB') : undefined;
  const cRowB = dyn[2] ? f.param('$cRowB') : undefined;
  const pe = f.local('$pe');
  const acc = (r: number, v: number) => f.local(`$c${r}_${v}`, 'v128');
  const b0 = f.local('$b0', 'v128');
  const b1 = f.local('$b1', 'v128');
  const a = f.local('$a', 'v128');
  const staticA = !dyn[0] && !dyn[1];
  // with dynamic strides every row has its own pointer
  const rowPtr = (r: number) => (staticA ? pa : f.local(`$pa${r}`));
  const aOff = (r: number, u: number) => (staticA ? r * (g.aRow as number) * 4 + u * (g.aK as number) * 4 : 0);
  for (let r = 0; r < R; r++) for (let v = 0; v < 2; v++) acc(r, v);
  // rows of A contiguous in k: one v128 load per row brings 4 k values, each splat by a shuffle
  // (4x fewer loads of A: the loads, not the arithmetic, bound the load32_splat mix; bench/cpu-peak.ts)
  const rowVectors = staticA && g.aK === 1;
  const av = (r: number) => f.local(`$av${r}`, 'v128');
  const lane = (u: number) => Array.from({ length: 4 }, () => [0, 1, 2, 3].map((b) => u * 4 + b).join(' ')).join(' ');
  // A's 4 rows contiguous for each k (a transposed A, aRow = 1): one v128 load per k brings all 4 rows' values
  const colVectors = staticA && !rowVectors && g.aRow === 1 && R === 4;
  const splatA = (r: number, u: number, fromVector: boolean) =>
    colVectors
      ? `(i8x16.shuffle ${lane(r)} (local.get ${av(0)}) (local.get ${av(0)}))`
      : fromVector
        ? `(i8x16.shuffle ${lane(u)} (local.get ${av(r)}) (local.get ${av(r)}))`
        : `(v128.load32_splat offset=${aOff(r, u)} (local.get ${rowPtr(r)}))`;
  const step = (u: number, fromVector = false): string[] => {
    const s = [`(local.set ${b0} (v128.load offset=${u * 32} (local.get ${pb})))`, `(local.set ${b1} (v128.load offset=${u * 32 + 16} (local.get ${pb})))`];
    if (colVectors) s.push(`(local.set ${av(0)} (v128.load offset=${aOff(0, u)} (local.get ${pa})))`);
    for (let r = 0; r < R; r++) {
      s.push(`(local.set ${a} ${splatA(r, u, fromVector)})`);
      for (let v = 0; v < 2; v++) s.push(`(local.set ${acc(r, v)} (f32x4.add (local.get ${acc(r, v)}) (f32x4.mul (local.get ${a}) (local.get ${v ? b1 : b0}))))`);
    }
    return s;
  };
  const advance = (u: number): string[] => {
    const s = [`(local.set ${pb} (i32.add (local.get ${pb}) (i32.const ${u * 32})))`];
    if (staticA) s.push(`(local.set ${pa} (i32.add (local.get ${pa}) (i32.const ${u * (g.aK as number) * 4})))`);
    else {
      const step = aKB ? `(local.get ${aKB})` : `(i32.const ${u * (g.aK as number) * 4})`;
      for (let r = 0; r < R; r++) s.push(`(local.set ${rowPtr(r)} (i32.add (local.get ${rowPtr(r)}) ${step}))`);
    }
    return s;
  };
  f.emit(`(local.set ${pe} (i32.add (local.get ${pb}) (i32.shl (local.get ${kc}) (i32.const 5))))`);
  if (!staticA)
    for (let r = 0; r < R; r++) {
      // a static row stride (with a symbolic k stride) is an immediate
      const rowOff = aRowB ? `(i32.mul (local.get ${aRowB}) (i32.const ${r}))` : `(i32.const ${r * (g.aRow as number) * 4})`;
      f.emit(`(local.set ${rowPtr(r)} ${r === 0 ? `(local.get ${pa})` : `(i32.add (local.get ${pa}) ${rowOff})`})`);
    }
  if (staticA) {
    f.emit(
      `(block $unrolled_done`,
      `  (loop $unrolled`,
      `    (br_if $unrolled_done (i32.gt_u (i32.add (local.get ${pb}) (i32.const ${UNROLL * 32})) (local.get ${pe})))`,
      ...[
        ...(rowVectors ? Array.from({ length: R }, (_, r) => `(local.set ${av(r)} (v128.load offset=${aOff(r, 0)} (local.get ${pa})))`) : []),
        ...Array.from({ length: UNROLL }, (_, u) => step(u, rowVectors)).flat(),
        ...advance(UNROLL),
      ].map((l) => `    ${l}`),
      `    (br $unrolled)))`,
    );
  }
  f.emit(
    `(block $k_done`,
    `  (loop $k`,
    `    (br_if $k_done (i32.ge_u (local.get ${pb}) (local.get ${pe})))`,
    ...[...step(0), ...advance(1)].map((l) => `    ${l}`),
    `    (br $k)))`,
  );
  // stores: rows at pc + r * cRow * 4
  const cRow = (r: number) => (cRowB ? f.local(`$pc${r}`) : pc);
  const cOff = (r: number, byte: number) => (cRowB ? byte : r * (g.cRow as number) * 4 + byte);
  if (cRowB) for (let r = 0; r < R; r++) f.emit(`(local.set ${cRow(r)} ${r === 0 ? `(local.get ${pc})` : `(i32.add (local.get ${pc}) (i32.mul (local.get ${cRowB}) (i32.const ${r})))`})`);
  const full = (add: boolean) => {
    const s: string[] = [];
    for (let r = 0; r < R; r++)
      for (let v = 0; v < 2; v++) {
        const at = `offset=${cOff(r, v * 16)} (local.get ${cRow(r)})`;
        const val = add ? `(f32x4.add (v128.load ${at}) (local.get ${acc(r, v)}))` : `(local.get ${acc(r, v)})`;
        s.push(`(v128.store ${at} ${val})`);
      }
    return s;
  };
  const partial = (add: boolean) => {
    const s: string[] = [];
    for (let r = 0; r < R; r++)
      for (let l = 0; l < NR; l++) {
        const at = `offset=${cOff(r, l * 4)} (local.get ${cRow(r)})`;
        const lane = `(f32x4.extract_lane ${l & 3} (local.get ${acc(r, l >> 2)}))`;
        const val = add ? `(f32.add (f32.load ${at}) ${lane})` : lane;
        s.push(`(if (i32.gt_s (local.get ${nv}) (i32.const ${l})) (then (f32.store ${at} ${val})))`);
      }
    return s;
  };
  const ind = (xs: string[]) => xs.map((l) => `      ${l}`);
  f.emit(
    `(if (i32.eq (local.get ${nv}) (i32.const ${NR}))`,
    `  (then`,
    `    (if (local.get ${mode})`,
    `      (then`,
    ...ind(full(true)),
    `      )`,
    `      (else`,
    ...ind(full(false)),
    `      )))`,
    `  (else`,
    `    (if (local.get ${mode})`,
    `      (then`,
    ...ind(partial(true)),
    `      )`,
    `      (else`,
    ...ind(partial(false)),
    `      ))))`,
  );
  return f;
}
