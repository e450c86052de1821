/**
 * Kernel templates: hand-tuned CPU loop nests for ops where the generic
 * snippet is not fast enough. A template returns undefined for a case it
 * does not cover, and the op's own cpu snippet is used instead.
 *
 * matmul: C = op(A) @ op(B), op = transpose when attrs.transA / transB.
 *  1. Batch dims: none (rank 2); A's leading dims folded into M when B is
 *     rank 2 and A is not transposed; else equal batch dims looped outside.
 *  2. The product itself is codegen/cpu/gemm.ts: K blocks, B packed into
 *     float64 strips of 4 columns, a 4x4 register-blocked micro-kernel with
 *     float64 accumulators (closer to the float64 reference than a float32
 *     running sum). Strides are literals when the shapes are static.
 *  3. The split form (cpuSplitTemplates) computes a range of C's columns,
 *     in strips of 4, for threads (codegen/cpu/split.ts).
 */
import type { CpuKernelContext } from './types.js';
import { mulExpr } from './util.js';
import { emitGemmPacked, gemmScratch, gemmScratchSize, type GemmSpec } from './gemm.js';
import { splitPrologue } from './split.js';
import { backpropFilterCpuSplit, backpropInputCpuSplit, convCpuSplit } from './ops/conv.js';

export type CpuTemplate = (ctx: CpuKernelContext) => string | undefined;

/**
 * A split template: the body of a split kernel (codegen/cpu/split.ts), one
 * that can compute a range of its rows so the CPU backend can run a call on
 * several threads; it starts with splitPrologue.
 */
export type CpuSplitTemplate = (ctx: CpuKernelContext) => string | undefined;


const isNum = (s: string) => /^\d+$/.test(s);
/** a * b as JS, folding literals */
const mul = (a: string, b: string): string => {
  if (a === '0' || b === '0') return '0';
  if (a === '1') return b;
  if (b === '1') return a;
  if (isNum(a) && isNum(b)) return String(Number(a) * Number(b));
  return `${a} * ${b}`;
};
function matmul(ctx: CpuKernelContext): string | undefined {
  return matmulBody(ctx, false);
}

/** matmul split by output columns, in strips of 4 (each part of B is packed by one thread only). */
function matmulSplit(ctx: CpuKernelContext): string | undefined {
  return matmulBody(ctx, true);
}

function matmulBody(ctx: CpuKernelContext, split: boolean): string | undefined {
  const transA = Boolean(ctx.attrs.transA);
  const transB = Boolean(ctx.attrs.transB);
  const [sa, sb] = ctx.inShape;
  const sc = ctx.outShape[0];
  if (!sa || !sb || !sc || sa.length < 2 || sb.length < 2 || sc.length < 2) return undefined;
  const [A, B] = ctx.in;
  const C = ctx.out[0];
  const lines: string[] = [];
  let batch = '1';
  let M: string;
  const ra = sa.length;
  const rb = sb.length;
  if (rb === 2 && ra > 2 && !transA) {
    M = mulExpr(sa.slice(0, ra - 1));
  } else if (ra === rb && sc.length === ra) {
    batch = mulExpr(sa.slice(0, ra - 2));
    M = transA ? sa[ra - 1] : sa[ra - 2];
    // batch dims must match exactly (no broadcasting here)
    for (let d = 0; d < ra - 2; d++) if (sa[d] !== sb[d]) return undefined;
  } else return undefined;
  const K = transA ? sa[ra - 2] : sa[ra - 1];
  const N = transB ? sb[rb - 2] : sb[rb - 1];
  const lit = (name: string, e: string) => {
    if (isNum(e)) return e;
    lines.push(`const ${name} = ${e};`);
    return name;
  };
  const m = lit('M', M);
  const n = lit('N', N);
  const k = lit('K', K);
  // element strides: A(i, k) at i*sAi + k*sAk; B(k, j) at k*sBk + j*sBj
  const sAi = transA ? '1' : k;
  const sAk = transA ? m : '1';
  const sBk = transB ? '1' : n;
  const sBj = transB ? k : '1';

  const batched = batch !== '1';
  const spec: GemmSpec = {
    A, B, C, M: m, N: n, K: k,
    aOff: batched ? 'aOff' : '0', aRow: sAi, aK: sAk,
    bOff: batched && rb !== 2 ? 'bOff' : '0', bK: sBk, bCol: sBj,
    cOff: batched ? 'cOff' : '0', cRow: n,
    accumulate: false,
    scratch: 'Bp',
    ...(split ? { jLo: 'rLo', jHi: 'rHi' } : {}),
  };
  if (split) lines.push(splitPrologue(n, 4, mul('2', mul(mul(batch, m), mul(n, k)))));
  const da = ctx.node.inputs[0].type.shape;
  const db = ctx.node.inputs[1].type.shape;
  lines.push(gemmScratch(spec, ctx, gemmScratchSize(transB ? db[rb - 2] : db[rb - 1], transA ? da[ra - 2] : da[ra - 1])));
  const inner = emitGemmPacked(spec);
  if (!batched) {
    lines.push(inner);
  } else {
    const mk = lit('MK', mul(m, k));
    const kn = lit('KN', mul(k, n));
    const mn = lit('MN', mul(m, n));
    const nb = lit('NB', batch);
    lines.push(`for (let bi = 0; bi < ${nb}; bi++) {`);
    lines.push(`  const aOff = bi * ${mk}, cOff = bi * ${mn};`);
    if (rb !== 2) lines.push(`  const bOff = bi * ${kn};`);
    lines.push(inner);
    lines.push('}');
  }
  return lines.join('\n');
}

/** op name -> template (templates are codegen's concern, not the op registry's) */
export const cpuTemplates: Record<string, CpuTemplate> = { matmul };

/** op name -> split template (kernels worth running on several threads) */
export const cpuSplitTemplates: Record<string, CpuSplitTemplate> = {
  matmul: matmulSplit,
  conv2d: (ctx) => convCpuSplit(ctx),
  conv2d_backprop_input: (ctx) => backpropInputCpuSplit(ctx),
  conv2d_backprop_filter: (ctx) => backpropFilterCpuSplit(ctx),
};
