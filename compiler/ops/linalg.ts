/**
 * Linear algebra: matmul (pattern kind 'out-elementwise-fusable': an
 * elementwise epilogue such as bias + relu may be fused into its output).
 *
 * a [..., M, K] @ b [..., K, N] -> [..., M, N]; transA / transB swap the last
 * two dims of that operand before multiplying; batch dims broadcast (numpy
 * matmul rules), so b may be 2-D while a is N-D.
 */
import type { GraphBuilder } from '../builder.js';
import { dimEq, dimProduct, shapeToString, type Dim, type Shape } from '../dims.js';
import type { Attrs, TensorType, Value } from '../ir.js';
import { ShapeError, type CpuKernelContext, type OpDef } from './types.js';
import { broadcastIndexMap, broadcastNumeric, broadcastShapes, refTensor, sizeOf } from './util.js';
import { boolAttr, emitStrides, expectArity, nestedLoops } from './kernel-util.js';

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

/** The 2-D kernel body for C[M,N] = op(A) op(B) at offsets aO, bO, cO. */
function gemmBody(A: string, B: string, C: string, transA: boolean, transB: boolean): string {
  // A'(i, k) offset from the row base of i: k * aks
  const aRow = (i: string) => (transA ? `aO + ${i}` : `aO + ${i} * K`);
  const aks = transA ? 'M' : '1';
  const at = (r: string, k: string) => (aks === '1' ? `${A}[${r} + ${k}]` : `${A}[${r} + ${k} * M]`);
  if (!transB) {
    // i-k-j: rows of B are streamed; four rows of C at a time, A'(i..i+3, k) hoisted
    return `let i = 0;
for (; i + 4 <= M; i += 4) {
  const c0 = cO + i * N, c1 = c0 + N, c2 = c1 + N, c3 = c2 + N;
  const r0 = ${aRow('i')}, r1 = ${aRow('(i + 1)')}, r2 = ${aRow('(i + 2)')}, r3 = ${aRow('(i + 3)')};
  for (let j = 0; j < N; j++) { ${C}[c0 + j] = 0; ${C}[c1 + j] = 0; ${C}[c2 + j] = 0; ${C}[c3 + j] = 0; }
  for (let k = 0, bb = bO; k < K; k++, bb += N) {
    const a0 = ${at('r0', 'k')}, a1 = ${at('r1', 'k')}, a2 = ${at('r2', 'k')}, a3 = ${at('r3', 'k')};
    if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
    for (let j = 0; j < N; j++) {
      const bv = ${B}[bb + j];
      ${C}[c0 + j] += a0 * bv; ${C}[c1 + j] += a1 * bv; ${C}[c2 + j] += a2 * bv; ${C}[c3 + j] += a3 * bv;
    }
  }
}
for (; i < M; i++) {
  const c0 = cO + i * N, r0 = ${aRow('i')};
  for (let j = 0; j < N; j++) ${C}[c0 + j] = 0;
  for (let k = 0, bb = bO; k < K; k++, bb += N) {
    const a0 = ${at('r0', 'k')};
    if (a0 === 0) continue;
    for (let j = 0; j < N; j++) ${C}[c0 + j] += a0 * ${B}[bb + j];
  }
}`;
  }
  // B stored [N, K]: C(i, j) is a dot product of A'(i, :) and a contiguous row of B; 4 rows of A' at a time
  return `let i = 0;
for (; i + 4 <= M; i += 4) {
  const c0 = cO + i * N;
  const r0 = ${aRow('i')}, r1 = ${aRow('(i + 1)')}, r2 = ${aRow('(i + 2)')}, r3 = ${aRow('(i + 3)')};
  for (let j = 0, bb = bO; j < N; j++, bb += K) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let k = 0; k < K; k++) {
      const bv = ${B}[bb + k];
      s0 += ${at('r0', 'k')} * bv; s1 += ${at('r1', 'k')} * bv; s2 += ${at('r2', 'k')} * bv; s3 += ${at('r3', 'k')} * bv;
    }
    ${C}[c0 + j] = s0; ${C}[c0 + N + j] = s1; ${C}[c0 + 2 * N + j] = s2; ${C}[c0 + 3 * N + j] = s3;
  }
}
for (; i < M; i++) {
  const c0 = cO + i * N, r0 = ${aRow('i')};
  for (let j = 0, bb = bO; j < N; j++, bb += K) {
    let s = 0;
    for (let k = 0; k < K; k++) s += ${at('r0', 'k')} * ${B}[bb + k];
    ${C}[c0 + j] = s;
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
      lines.push(`const ${tag}${k} = ${shape[j]} === 1 ? 0 : ${strides[j]};`);
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
  samples: [
    { inputs: [{ shape: [5, 3] }, { shape: [3, 6] }], note: '2-D, a leftover row after the blocks of 4' },
    { inputs: [{ shape: [3, 5] }, { shape: [4, 3] }], attrs: { transA: true, transB: true } },
    { inputs: [{ shape: [2, 4, 3] }, { shape: [2, 3] }], attrs: { transB: true }, note: 'N-D @ 2-D' },
    { inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 3, 2] }], attrs: { transA: true }, note: 'broadcast batch dims' },
  ],
};
