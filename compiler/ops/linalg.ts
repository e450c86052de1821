/**
 * Linear algebra: matmul (pattern kind 'out-elementwise-fusable': an
 * elementwise epilogue such as bias + relu may be fused into its output).
 *
 * a [..., M, K] @ b [..., K, N] -> [..., M, N]; transA / transB swap the last
 * two dims of that operand before multiplying; batch dims broadcast (numpy
 * matmul rules), so b may be 2-D while a is N-D.
 */
import { dimEq, dimProduct, shapeToString, type Dim, type Shape } from '../dims.js';
import type { Attrs, TensorType, Value } from '../ir.js';
import { ShapeError, type OpDef, type GradBuilder } from './types.js';
import { broadcastIndexMap, broadcastNumeric, broadcastShapes, refTensor, sizeOf } from './util.js';
import { boolAttr, expectArity } from './kernel-util.js';

interface MatDims<T> {
  batchA: T[];
  batchB: T[];
  M: T;
  K: T;
  Kb: T;
  N: T;
}

export function matDims<T>(a: readonly T[], b: readonly T[], transA: boolean, transB: boolean): MatDims<T> {
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
function gradMatmul(bl: GradBuilder, a: Value, b: Value, g: Value, transA: boolean, transB: boolean): [Value, Value] {
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
  samples: [
    { inputs: [{ shape: [5, 3] }, { shape: [3, 6] }], note: '2-D, edge rows and columns after the 4x4 blocks' },
    { inputs: [{ shape: [3, 5] }, { shape: [4, 3] }], attrs: { transA: true, transB: true } },
    { inputs: [{ shape: [2, 4, 3] }, { shape: [5, 3] }], attrs: { transB: true }, note: 'N-D @ 2-D' },
    { inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 3, 4] }], attrs: { transA: true }, note: 'broadcast batch dims' },
  ],
};
