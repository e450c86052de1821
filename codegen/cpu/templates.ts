/**
 * Kernel templates: hand-tuned CPU loop nests for ops where the generic
 * snippet is not fast enough. A template returns undefined for a case it
 * does not cover, and the op's own cpu snippet is used instead.
 *
 * matmul: C = op(A) @ op(B), op = transpose when attrs.transA / transB.
 *  1. Batch dims: none (rank 2); A's leading dims folded into M when B is
 *     rank 2 and A is not transposed; else equal batch dims looped outside.
 *  2. Register blocking: 4 rows x 4 columns of C are accumulated in 16 local
 *     doubles over the whole K loop (8 loads per 16 multiply-adds), with one
 *     moving pointer per operand; remainder rows/columns use 4x1, 1x4, 1x1
 *     blocks. Strides are literals when the shapes are static.
 *  Accumulating in doubles and storing once also makes the result closer to
 *  the float64 reference than a float32 running sum.
 */
import type { CpuKernelContext } from '../../compiler/ops/types.js';
import { mulExpr } from '../../compiler/ops/kernel-util.js';

export type CpuTemplate = (ctx: CpuKernelContext) => string | undefined;

const isNum = (s: string) => /^\d+$/.test(s);
/** a * b as JS, folding literals */
const mul = (a: string, b: string): string => {
  if (a === '0' || b === '0') return '0';
  if (a === '1') return b;
  if (b === '1') return a;
  if (isNum(a) && isNum(b)) return String(Number(a) * Number(b));
  return `${a} * ${b}`;
};
const add = (a: string, b: string): string => {
  if (a === '0') return b;
  if (b === '0') return a;
  if (isNum(a) && isNum(b)) return String(Number(a) + Number(b));
  return `${a} + ${b}`;
};

function matmul(ctx: CpuKernelContext): string | undefined {
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
  const mk = lit('MK', mul(m, k));
  const kn = lit('KN', mul(k, n));
  const mn = lit('MN', mul(m, n));
  const m4 = lit('M4', isNum(m) ? String(Number(m) - (Number(m) % 4)) : `${m} - (${m} & 3)`);
  const n4 = lit('N4', isNum(n) ? String(Number(n) - (Number(n) % 4)) : `${n} - (${n} & 3)`);

  const block = (R: number, Cn: number, i: string, j: string, aOff: string, bOff: string, cOff: string): string => {
    const out: string[] = [];
    const accs: string[] = [];
    for (let r = 0; r < R; r++) for (let c = 0; c < Cn; c++) accs.push(`c${r}${c} = 0`);
    out.push(`let ${accs.join(', ')};`);
    out.push(`let pa = ${add(aOff, mul(i, sAi))}, pb = ${add(bOff, mul(j, sBj))};`);
    out.push(`for (let kk = 0; kk < ${k}; kk++) {`);
    const loads: string[] = [];
    for (let r = 0; r < R; r++) loads.push(`a${r} = ${A}[${add('pa', mul(String(r), sAi))}]`);
    for (let c = 0; c < Cn; c++) loads.push(`b${c} = ${B}[${add('pb', mul(String(c), sBj))}]`);
    out.push(`  const ${loads.join(', ')};`);
    for (let r = 0; r < R; r++) out.push('  ' + Array.from({ length: Cn }, (_, c) => `c${r}${c} += a${r} * b${c};`).join(' '));
    out.push(`  pa += ${sAk}; pb += ${sBk};`);
    out.push('}');
    for (let r = 0; r < R; r++) {
      const row = add(cOff, mul(r === 0 ? i : `(${i} + ${r})`, n));
      out.push(`{ const pc = ${row} + ${j}; ${Array.from({ length: Cn }, (_, c) => `${C}[pc + ${c}] = c${r}${c};`).join(' ')} }`);
    }
    return out.join('\n');
  };
  const indent = (s: string, d = 1) =>
    s
      .split('\n')
      .map((l) => '  '.repeat(d) + l)
      .join('\n');
  const batched = batch !== '1';
  const aOff = batched ? 'aOff' : '0';
  const bOff = batched ? (rb === 2 ? '0' : 'bOff') : '0';
  const cOff = batched ? 'cOff' : '0';
  // loops that statically run zero times are left out
  const some = (from: string, to: string) => !(from === to || (isNum(to) && to === '0'));
  const cols = (R: number) =>
    [
      some('0', n4) ? indent(`for (let j = 0; j < ${n4}; j += 4) {\n${indent(block(R, 4, 'i', 'j', aOff, bOff, cOff))}\n}`) : '',
      some(n4, n) ? indent(`for (let j = ${n4}; j < ${n}; j++) {\n${indent(block(R, 1, 'i', 'j', aOff, bOff, cOff))}\n}`) : '',
    ].filter((x) => x);
  const inner = [
    ...(some('0', m4) ? [`for (let i = 0; i < ${m4}; i += 4) {`, ...cols(4), '}'] : []),
    ...(some(m4, m) ? [`for (let i = ${m4}; i < ${m}; i++) {`, ...cols(1), '}'] : []),
  ].join('\n');
  if (!batched) {
    lines.push(inner);
  } else {
    const nb = lit('NB', batch);
    lines.push(`for (let bi = 0; bi < ${nb}; bi++) {`);
    lines.push(`  const aOff = bi * ${mk}, cOff = bi * ${mn};`);
    if (rb !== 2) lines.push(`  const bOff = bi * ${kn};`);
    lines.push(indent(inner));
    lines.push('}');
  }
  return lines.join('\n');
}

/** op name -> template (templates are codegen's concern, not the op registry's) */
export const cpuTemplates: Record<string, CpuTemplate> = { matmul };
