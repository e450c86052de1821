/**
 * reduce_sum as wasm (f32): one output element at a time, its reduced
 * elements summed in float64 (like the JS kernel, so long sums stay
 * accurate); when the innermost axis is reduced it is read 4 floats at a
 * time into two f64x2 accumulators.
 *
 * Algorithm: drop static size-1 axes, merge adjacent axes of the same kind
 * (kept / reduced): a bias gradient [B, C, H, W] -> [1, C, 1, 1] is
 * reduced B, kept C, reduced H*W. Loops: kept axes outside (in order: the
 * output is written contiguously), reduced axes inside.
 */
import { dimEq, dimMul, type Dim } from '../../../compiler/dims.js';
import type { KernelBuilder } from '../builder.js';
import { iget, type IVal } from '../wat.js';
import type { WasmOpContext, WasmOpKernel } from './types.js';

type Axis = { size: Dim; reduced: boolean; stride: Dim };

/** `for (i = 0; i < n; i++) { body; ptr += stride }` over a saved copy of the pointer */
function nest(b: KernelBuilder, id: string, axis: Axis, ptr: string, body: string[]): string[] {
  const f = b.f;
  const i = f.local(`$${id}_i`);
  const save = f.local(`$${id}_p`);
  const n: IVal = b.ival(axis.size, `${id}_n`);
  return [
    `(local.set ${save} (local.get ${ptr}))`,
    `(local.set ${i} (i32.const 0))`,
    `(block $${id}_done (loop $${id}_next`,
    `  (br_if $${id}_done (i32.ge_s (local.get ${i}) ${iget(n)}))`,
    `  (local.set ${ptr} (local.get ${save}))`,
    ...body.map((l) => `  ${l}`),
    `  (local.set ${save} (i32.add (local.get ${save}) ${b.dimExpr(dimMul(axis.stride, 4))}))`,
    `  (local.set ${i} (i32.add (local.get ${i}) (i32.const 1)))`,
    `  (br $${id}_next)))`,
  ];
}

export function reduceSumWasm(ctx: WasmOpContext): WasmOpKernel | undefined {
  const node = ctx.node;
  if (node.inputs[0].type.dtype !== 'f32' || node.outputs[0].type.dtype !== 'f32') return undefined;
  const shape = ctx.inShape[0];
  const rank = shape.length;
  const raw = ctx.attrs.axes as number[] | undefined;
  const axes = !raw || raw.length === 0 ? shape.map((_, i) => i) : raw.map((a) => (a < 0 ? a + rank : a));
  const merged: Axis[] = [];
  for (let d = 0; d < rank; d++) {
    if (dimEq(shape[d], 1)) continue;
    const reduced = axes.includes(d);
    const last = merged[merged.length - 1];
    if (last && last.reduced === reduced) last.size = dimMul(last.size, shape[d]);
    else merged.push({ size: shape[d], reduced, stride: 1 });
  }
  for (let j = merged.length - 1, s: Dim = 1; j >= 0; j--) {
    merged[j].stride = s;
    s = dimMul(s, merged[j].size);
  }
  const b = ctx.b;
  const f = b.f;
  const x = f.local('$rs_x');
  const y = f.local('$rs_y');
  const acc = f.local('$rs_acc', 'f64');
  const a0 = f.local('$rs_v0', 'v128');
  const a1 = f.local('$rs_v1', 'v128');
  const v = f.local('$rs_v', 'v128');
  const kept = merged.filter((a) => !a.reduced);
  const red = merged.filter((a) => a.reduced);
  const innerVec = red.length > 0 && merged[merged.length - 1].reduced;
  // the sum of one output element, x at its first reduced element
  let sum: string[];
  if (!red.length) sum = [`(local.set ${acc} (f64.add (local.get ${acc}) (f64.promote_f32 (f32.load (local.get ${x})))))`];
  else {
    const last = red[red.length - 1];
    let inner: string[];
    if (innerVec) {
      const i = f.local('$rs_k');
      const n = iget(b.ival(last.size, 'rs_len'));
      inner = [
        `(local.set ${i} (i32.const 0))`,
        `(block $rs_vec_done (loop $rs_vec`,
        `  (br_if $rs_vec_done (i32.gt_s (i32.add (local.get ${i}) (i32.const 4)) ${n}))`,
        `  (local.set ${v} (v128.load (local.get ${x})))`,
        `  (local.set ${a0} (f64x2.add (local.get ${a0}) (f64x2.promote_low_f32x4 (local.get ${v}))))`,
        `  (local.set ${a1} (f64x2.add (local.get ${a1}) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get ${v}) (local.get ${v})))))`,
        `  (local.set ${x} (i32.add (local.get ${x}) (i32.const 16)))`,
        `  (local.set ${i} (i32.add (local.get ${i}) (i32.const 4)))`,
        `  (br $rs_vec)))`,
        `(block $rs_tail_done (loop $rs_tail`,
        `  (br_if $rs_tail_done (i32.ge_s (local.get ${i}) ${n}))`,
        `  (local.set ${acc} (f64.add (local.get ${acc}) (f64.promote_f32 (f32.load (local.get ${x})))))`,
        `  (local.set ${x} (i32.add (local.get ${x}) (i32.const 4)))`,
        `  (local.set ${i} (i32.add (local.get ${i}) (i32.const 1)))`,
        `  (br $rs_tail)))`,
      ];
    } else inner = nest(b, 'rs_r_last', last, x, [`(local.set ${acc} (f64.add (local.get ${acc}) (f64.promote_f32 (f32.load (local.get ${x})))))`]);
    for (let j = red.length - 2; j >= 0; j--) inner = nest(b, `rs_r${j}`, red[j], x, inner);
    sum = inner;
  }
  const zero2 = '(v128.const f64x2 0 0)';
  let perOutput = [
    `(local.set ${acc} (f64.const 0))`,
    `(local.set ${a0} ${zero2})`,
    `(local.set ${a1} ${zero2})`,
    ...sum,
    `(f32.store (local.get ${y}) (f32.demote_f64 (f64.add (local.get ${acc}) (f64.add (f64.add (f64x2.extract_lane 0 (local.get ${a0})) (f64x2.extract_lane 1 (local.get ${a0}))) (f64.add (f64x2.extract_lane 0 (local.get ${a1})) (f64x2.extract_lane 1 (local.get ${a1})))))))`,
    `(local.set ${y} (i32.add (local.get ${y}) (i32.const 4)))`,
  ];
  for (let j = kept.length - 1; j >= 0; j--) perOutput = nest(b, `rs_k${j}`, kept[j], x, perOutput);
  return {
    body: [`;; reduce_sum over axes [${axes.join(', ')}] of [${shape.join(', ')}]`, `(local.set ${x} (local.get ${ctx.in[0]}))`, `(local.set ${y} (local.get ${ctx.out[0]}))`, ...perOutput],
    scratch: 0,
    rows: { extent: 1, align: 1, flops: 0 },
  };
}
