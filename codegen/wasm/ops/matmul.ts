/**
 * matmul as a wasm kernel: C = op(A) @ op(B) (op = transpose per attrs),
 * batch dims looped outside (equal batch dims), or A's leading dims folded
 * into M when B is rank 2. Split over threads by columns of C, in panels
 * of 8: each chunk packs only its own columns of B.
 */
import { dimEq, dimMul, dimProduct, type Dim } from '../../../compiler/dims.js';
import { emitGemm, gemmScratchDim, NR } from '../gemm.js';
import { imul } from '../wat.js';
import type { WasmOpContext, WasmOpKernel } from './types.js';

export function matmulWasm(ctx: WasmOpContext): WasmOpKernel | undefined {
  const transA = Boolean(ctx.attrs.transA);
  const transB = Boolean(ctx.attrs.transB);
  const [sa, sb] = ctx.inShape;
  const sc = ctx.outShape[0];
  if (!sa || !sb || !sc || sa.length < 2 || sb.length < 2 || sc.length < 2) return undefined;
  const ra = sa.length;
  const rb = sb.length;
  let batch: Dim = 1;
  let M: Dim;
  if (rb === 2 && ra > 2 && !transA) M = dimProduct(sa.slice(0, ra - 1));
  else if (ra === rb && sc.length === ra) {
    for (let d = 0; d < ra - 2; d++) if (!dimEq(sa[d], sb[d])) return undefined;
    batch = dimProduct(sa.slice(0, ra - 2));
    M = transA ? sa[ra - 1] : sa[ra - 2];
  } else return undefined;
  const K = transA ? sa[ra - 2] : sa[ra - 1];
  const N = transB ? sb[rb - 2] : sb[rb - 1];
  const b = ctx.b;
  const f = b.f;
  const m = b.ival(M, 'M');
  const n = b.ival(N, 'N');
  const k = b.ival(K, 'K');
  const nb = b.ival(batch, 'batch');
  const A = f.local('$A');
  const B = f.local('$B');
  const C = f.local('$C');
  const bi = f.local('$bi');
  const gemm = emitGemm(
    f,
    {
      prefix: b.unique(`${f.name}_mm`),
      M: m, N: n, K: k,
      A, aRow: transA ? 1 : k, aK: transA ? m : 1,
      B, bK: transB ? 1 : n, bCol: transB ? k : 1,
      C, cRow: n,
      accumulate: false,
      scratch: '$scratch',
      jLo: '$r0',
      jHi: '$r1',
    },
    b.funcs,
  );
  const [pa, pb] = ctx.in;
  const pc = ctx.out[0];
  const step = (of: string, size: string) => `(i32.add (local.get ${of}) (i32.shl ${imul('(local.get $bi)', size)} (i32.const 2)))`;
  const mk = imul(m, k);
  const kn = imul(k, n);
  const mn = imul(m, n);
  const body = [
    `;; C [${M} x ${N}] = A [${M} x ${K}]${transA ? '^T' : ''} B [${K} x ${N}]${transB ? '^T' : ''}${batch !== 1 ? `, ${batch} times` : ''}; columns [r0, r1)`,
    `(local.set ${bi} (i32.const 0))`,
    `(block $batch_done`,
    `  (loop $batch`,
    `    (br_if $batch_done (i32.ge_s (local.get ${bi}) ${typeof nb === 'number' ? `(i32.const ${nb})` : `(local.get ${nb})`}))`,
    `    (local.set ${A} ${step(pa, mk)})`,
    `    (local.set ${B} ${rb === 2 ? `(local.get ${pb})` : step(pb, kn)})`,
    `    (local.set ${C} ${step(pc, mn)})`,
    ...gemm.map((l) => `    ${l}`),
    `    (local.set ${bi} (i32.add (local.get ${bi}) (i32.const 1)))`,
    `    (br $batch)))`,
  ];
  return {
    body,
    scratch: gemmScratchDim(K, N),
    rows: { extent: N, align: NR, flops: dimMul(2, dimMul(batch, dimMul(M, dimMul(N, K)))) },
  };
}
