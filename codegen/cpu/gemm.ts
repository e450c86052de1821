/**
 * The CPU GEMM emitter shared by the matmul template and the convolution
 * kernels: C = A B (or C += A B), all operands addressed by offset + strides,
 * so transposes and im2col layouts need no copies.
 *
 *   A(i, k) = A[aOff + i*aRow + k*aK]     (M x K)
 *   B(k, j) = B[bOff + k*bK + j*bCol]     (K x N)
 *   C(i, j) = C[cOff + i*cRow + j]        (M x N)
 *
 * Algorithm (the usual blocked GEMM, sized for one core's L1/L2):
 *  1. K is cut into blocks of at most KC (256) rows; a K small enough is one block.
 *  2. Per K block, B is packed into a float64 scratch as strips of 4 columns,
 *     each strip [kc][4] contiguous (the last strip padded with zeros), so the
 *     micro-kernel reads B sequentially and without float32 -> float64
 *     conversions; each strip (8 KiB) stays in L1 while a row block of A
 *     sweeps it. The scratch is KC x N rounded up to 4 (2 MiB at N = 1024),
 *     planned by the memory plan like a temporary (no allocation per call);
 *     also blocking N so it fits L2 measured no faster here.
 *  3. Micro-kernel: 4 rows x 4 columns of C accumulated in 16 local doubles
 *     over the block (4 A loads + 4 B loads per 16 multiply-adds), then
 *     stored (first block, unless accumulating) or added (later blocks).
 *     Remainder rows use 2- and 1-row kernels; the padded last strip stores
 *     only its real columns.
 * Within a K block the sums are float64; with K <= KC (every conv and dense
 * layer of the bench models) the whole dot product is, and the result is
 * rounded once, when it is stored.
 *
 * Sizes and strides are JS expressions: literals when static (the code then
 * folds them), names like `M` when symbolic.
 */

import { dimAdd, dimMul, isStaticDim, type Dim } from '../../compiler/dims.js';
import type { CpuKernelContext } from './types.js';

export interface GemmSpec {
  A: string;
  B: string;
  C: string;
  M: string;
  N: string;
  K: string;
  aOff: string;
  aRow: string;
  aK: string;
  bOff: string;
  bK: string;
  bCol: string;
  cOff: string;
  cRow: string;
  /** C += A B instead of C = A B */
  accumulate: boolean;
  /** the float64 scratch for packed B (declared with gemmScratch, outside loops that repeat the GEMM; planned memory) */
  scratch: string;
  /**
   * B is already in the scratch, packed as one K block (strips of 4 columns,
   * element (k, j) at (j >> 2) * K * 4 + k * 4 + (j & 3), padding zero): the
   * caller wrote it there (im2col does), B and its strides are unused.
   */
  prepacked?: boolean;
  /**
   * Column range [jLo, jHi) of C to compute (JS expressions; default all of
   * N): jLo a multiple of 4, jHi a multiple of 4 or N (the tail strip is
   * computed when jHi > N & ~3). Only the strips of the range are packed
   * (or, prepacked, read), so a GEMM split by columns over threads packs
   * each part of B once. Every element's sum runs in the same order
   * whatever the range: a split GEMM gives bit-identical results.
   */
  jLo?: string;
  jHi?: string;
}

/** K-block size: 256 float64 rows x 4 columns = 8 KiB per packed strip (L1). */
export const GEMM_KC = 256;
/** a static K up to this is one block (no float32 partial sums) */
const ONE_BLOCK_K = 384;

const isNum = (s: string) => /^-?\d+$/.test(s);
const p = (s: string) => (/^[\w.]+$/.test(s) ? s : `(${s})`);
export const mulJs = (a: string, b: string): string => {
  if (a === '0' || b === '0') return '0';
  if (a === '1') return b;
  if (b === '1') return a;
  if (isNum(a) && isNum(b)) return String(Number(a) * Number(b));
  return `${p(a)} * ${p(b)}`;
};
export const addJs = (a: string, b: string): string => {
  if (a === '0') return b;
  if (b === '0') return a;
  if (isNum(a) && isNum(b)) return String(Number(a) + Number(b));
  return `${a} + ${b}`;
};

function kBlock(K: string, prepacked = false): string {
  if (prepacked) return K;
  if (isNum(K)) return Number(K) <= ONE_BLOCK_K ? K : String(GEMM_KC);
  return `(${K} <= ${ONE_BLOCK_K} ? ${K} : ${GEMM_KC})`;
}

/**
 * Elements of the packed-B scratch of a GEMM with N columns over K (dims):
 * KC x N rounded up to 4, an upper bound when K or N is symbolic (a block
 * is at most max(ONE_BLOCK_K, GEMM_KC) rows; ceil4(N) <= N + 3).
 */
export function gemmScratchSize(N: Dim, K: Dim, prepacked = false): Dim {
  const kc: Dim = prepacked ? K : isStaticDim(K) ? (K <= ONE_BLOCK_K ? K : GEMM_KC) : Math.max(ONE_BLOCK_K, GEMM_KC);
  const n4: Dim = isStaticDim(N) ? Math.ceil(N / 4) * 4 : dimAdd(N, 3);
  return isStaticDim(kc) && isStaticDim(n4) ? Math.max(1, kc * n4) : dimMul(kc, n4);
}

/**
 * Declaration of the packed-B scratch of a GEMM (once per kernel call): the
 * planned float64 scratch of `gemmScratchSize` elements (CpuKernelContext.scratch).
 * The packing writes every element the micro-kernel stores from (the padded
 * columns of a last strip only reach accumulators that are never stored).
 */
export function gemmScratch(g: GemmSpec, ctx: Pick<CpuKernelContext, 'scratch'>, size: Dim): string {
  return `const ${g.scratch} = ${ctx.scratch('f64', size)};`;
}

/** The GEMM as a block statement (see the file comment). */
export function emitGemmPacked(g: GemmSpec): string {
  const { A, B, C, M, N, K, scratch: Bp } = g;
  const KC = kBlock(K, g.prepacked);
  const oneBlock = g.prepacked || (isNum(K) && isNum(KC) && Number(K) <= Number(KC));
  const staticN = isNum(N);
  const N4 = staticN ? String(Number(N) - (Number(N) % 4)) : 'N4';
  const nt = staticN ? String(Number(N) % 4) : 'NT';
  const hasTail = staticN ? Number(N) % 4 !== 0 : true;
  const hasFull = staticN ? Number(N) >= 4 : true;
  const kc = oneBlock ? K : 'kc';
  const colRange = g.jLo !== undefined || g.jHi !== undefined;
  const L: string[] = ['{'];
  if (colRange) L.push(`const jLo = ${g.jLo ?? '0'}, jHi = ${g.jHi ?? N};`);
  if (!staticN) L.push(`const N4 = ${p(N)} & ~3, NT = ${p(N)} & 3;`);
  if (oneBlock) L.push('const k0 = 0;');
  else L.push(`for (let k0 = 0; k0 < ${K}; k0 += ${KC}) {`, `const kc = ${K} - k0 < ${KC} ? ${K} - k0 : ${KC};`);
  // 1. pack B[k0 : k0 + kc, :] into strips of 4 columns
  const bStart = (j: string) => addJs(addJs(g.bOff, mulJs('k0', g.bK)), mulJs(j, g.bCol));
  const col = (c: number) => (c === 0 ? 's' : `s + ${mulJs(String(c), g.bCol)}`);
  if (!g.prepacked) L.push(colRange ? `let q = ${mulJs('jLo', kc)};` : 'let q = 0;');
  if (hasFull && !g.prepacked)
    L.push(
      colRange ? `for (let j = jLo, je = jHi < ${N4} ? jHi : ${N4}; j < je; j += 4) {` : `for (let j = 0; j < ${N4}; j += 4) {`,
      `  for (let k = 0, s = ${bStart('j')}; k < ${kc}; k++, s += ${g.bK}, q += 4) {`,
      `    ${[0, 1, 2, 3].map((c) => `${Bp}[q${c ? ` + ${c}` : ''}] = ${B}[${col(c)}];`).join(' ')}`,
      '  }',
      '}',
    );
  if (hasTail && !g.prepacked) {
    const guarded = (c: number) => (c === 0 ? `${B}[s]` : staticN ? (c < Number(nt) ? `${B}[${col(c)}]` : '0') : `${nt} > ${c} ? ${B}[${col(c)}] : 0`);
    const cond = [staticN ? '' : `${nt} > 0`, colRange ? `jHi > ${N4}` : ''].filter((c) => c).join(' && ');
    L.push(
      `${cond ? `if (${cond}) ` : ''}for (let k = 0, s = ${bStart(N4)}; k < ${kc}; k++, s += ${g.bK}, q += 4) {`,
      `  ${[0, 1, 2, 3].map((c) => `${Bp}[q${c ? ` + ${c}` : ''}] = ${guarded(c)};`).join(' ')}`,
      '}',
    );
  }
  // 2. row blocks x column strips
  const stride4 = mulJs(kc, '4');
  const micro = (R: number, tail: boolean): string => {
    const out: string[] = [];
    const accs: string[] = [];
    for (let r = 0; r < R; r++) for (let c = 0; c < 4; c++) accs.push(`c${r}${c} = 0`);
    out.push(`let ${accs.join(', ')};`);
    out.push(`for (let pa = a0, pb = pb0, pe = a0 + ${mulJs(kc, g.aK)}; pa < pe; pa += ${g.aK}, pb += 4) {`);
    const loads = [0, 1, 2, 3].map((c) => `b${c} = ${Bp}[pb${c ? ` + ${c}` : ''}]`);
    out.push(`  const ${loads.join(', ')};`);
    for (let r = 0; r < R; r++) {
      const a = r === 0 ? 'pa' : `pa + ${mulJs(String(r), g.aRow)}`;
      out.push(`  { const a = ${A}[${a}]; ${[0, 1, 2, 3].map((c) => `c${r}${c} += a * b${c};`).join(' ')} }`);
    }
    out.push('}');
    const store = (op: string) => {
      const s: string[] = [];
      for (let r = 0; r < R; r++) {
        const row = r === 0 ? 'pc' : `pc + ${mulJs(String(r), g.cRow)}`;
        const cols = [0, 1, 2, 3].map((c) => {
          const st = `${C}[${row}${c ? ` + ${c}` : ''}] ${op} c${r}${c};`;
          if (!tail || c === 0) return st;
          return staticN ? (c < Number(nt) ? st : '') : `if (${nt} > ${c}) ${st}`;
        });
        s.push(cols.filter((x) => x).join(' '));
      }
      return s.join('\n');
    };
    out.push(`const pc = ${addJs(addJs(g.cOff, mulJs('i', g.cRow)), 'j')};`);
    if (g.accumulate) out.push(store('+='));
    else if (oneBlock) out.push(store('='));
    else out.push(`if (k0 === 0) {\n${store('=')}\n} else {\n${store('+=')}\n}`);
    return out.join('\n');
  };
  const strips = (R: number): string => {
    const parts: string[] = [`const a0 = ${addJs(addJs(g.aOff, mulJs('i', g.aRow)), mulJs('k0', g.aK))};`];
    if (hasFull) {
      const j0 = colRange ? 'jLo' : '0';
      const jEnd = colRange ? `(jHi < ${N4} ? jHi : ${N4})` : N4;
      parts.push(`for (let j = ${j0}, pb0 = ${mulJs(j0, kc)}; j < ${jEnd}; j += 4, pb0 += ${stride4}) {\n${indent(micro(R, false))}\n}`);
    }
    if (hasTail) {
      const cond = [staticN ? '' : `${nt} > 0`, colRange ? `jHi > ${N4}` : ''].filter((c) => c).join(' && ');
      parts.push(`${cond ? `if (${cond}) ` : ''}{\nconst j = ${N4}, pb0 = ${mulJs(N4, kc)};\n${indent(micro(R, true))}\n}`);
    }
    return parts.join('\n');
  };
  const staticM = isNum(M);
  const m = Number(M);
  L.push('let i = 0;');
  if (!staticM || m >= 4) L.push(`for (; i + 4 <= ${M}; i += 4) {\n${indent(strips(4))}\n}`);
  if (!staticM || m % 4 >= 2) L.push(`for (; i + 2 <= ${M}; i += 2) {\n${indent(strips(2))}\n}`);
  if (!staticM || m % 2 === 1) L.push(`for (; i < ${M}; i++) {\n${indent(strips(1))}\n}`);
  if (!oneBlock) L.push('}');
  L.push('}');
  return L.join('\n');
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n');
}
