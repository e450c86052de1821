/**
 * Fused elementwise/broadcast loops as wasm: a loop phase of a group (a
 * chain of f32 elementwise ops over one domain, intermediates in registers)
 * with f32x4 lanes.
 *
 * Algorithm (as the JS loops of codegen/cpu/elementwise.ts):
 *  1. Pad operand shapes on the left to the domain's rank; drop domain dims
 *     that are statically 1; per dim, an operand is full or broadcast.
 *  2. Merge adjacent dims with the same pattern ([B, 6, 28, 28] + [6, 1, 1]
 *     becomes [B] bcast, [6] full, [784] bcast for the bias).
 *  3. One loop per merged dim; the innermost runs 4 elements at a time
 *     (v128 loads of full operands, broadcast operands splat once before
 *     it), then a scalar tail. Ops that JS computes in float64 with a
 *     library function (exp, log, tanh, pow, sigmoid, rsqrt) run lane by
 *     lane in f64 (the functions imported from JS's Math), so results equal
 *     the JS kernels'; a phase with such an op has no vector loop.
 * Every op rounds to f32 as a store would, like the JS kernels (Math.fround).
 */
import { dimEq, dimMul, type Dim } from '../../compiler/dims.js';
import type { Node, Value } from '../../compiler/ir.js';
import { fillConstant } from '../../compiler/ops/kernel-util.js';
import type { KernelBuilder } from './builder.js';
import { f32Lit, iget, type IVal } from './wat.js';

type Vec = (a: string[]) => string;

interface WasmScalarOp {
  /** f32 expression from f32 operands */
  s: Vec;
  /** v128 (f32x4) expression, when the op has an exact vector form */
  v?: Vec;
}

const zero4 = '(v128.const f32x4 0 0 0 0)';
const one4 = '(v128.const f32x4 1 1 1 1)';
/** float64 through an imported Math function, rounded to f32 */
const viaF64 = (fn: string) => (a: string[]) => `(f32.demote_f64 (call $math_${fn} ${a.map((x) => `(f64.promote_f32 ${x})`).join(' ')}))`;

/** op -> its wasm forms; the semantics are those of the op's CPU scalar expression (codegen/cpu/renderers.ts), rounded to f32 */
export const wasmScalarOps: Record<string, WasmScalarOp> = {
  add: { s: (a) => `(f32.add ${a[0]} ${a[1]})`, v: (a) => `(f32x4.add ${a[0]} ${a[1]})` },
  sub: { s: (a) => `(f32.sub ${a[0]} ${a[1]})`, v: (a) => `(f32x4.sub ${a[0]} ${a[1]})` },
  mul: { s: (a) => `(f32.mul ${a[0]} ${a[1]})`, v: (a) => `(f32x4.mul ${a[0]} ${a[1]})` },
  div: { s: (a) => `(f32.div ${a[0]} ${a[1]})`, v: (a) => `(f32x4.div ${a[0]} ${a[1]})` },
  neg: { s: (a) => `(f32.neg ${a[0]})`, v: (a) => `(f32x4.neg ${a[0]})` },
  abs: { s: (a) => `(f32.abs ${a[0]})`, v: (a) => `(f32x4.abs ${a[0]})` },
  sqrt: { s: (a) => `(f32.sqrt ${a[0]})`, v: (a) => `(f32x4.sqrt ${a[0]})` },
  square: { s: (a) => `(f32.mul ${a[0]} ${a[0]})`, v: (a) => `(f32x4.mul ${a[0]} ${a[0]})` },
  reciprocal: { s: (a) => `(f32.div (f32.const 1) ${a[0]})`, v: (a) => `(f32x4.div ${one4} ${a[0]})` },
  // x > 0 ? x : 0 (NaN -> 0, as in JS)
  // x <= 0 ? 0 : x, as the JS kernel: NaN stays NaN (IEEE, as in PyTorch)
  relu: { s: (a) => `(select (f32.const 0) ${a[0]} (f32.le ${a[0]} (f32.const 0)))`, v: (a) => `(v128.andnot ${a[0]} (f32x4.le ${a[0]} ${zero4}))` },
  step: { s: (a) => `(select (f32.const 1) (f32.const 0) (f32.gt ${a[0]} (f32.const 0)))`, v: (a) => `(v128.and ${one4} (f32x4.gt ${a[0]} ${zero4}))` },
  // a >= b ? a : b, a <= b ? a : b
  maximum: { s: (a) => `(select ${a[0]} ${a[1]} (f32.ge ${a[0]} ${a[1]}))`, v: (a) => `(v128.bitselect ${a[0]} ${a[1]} (f32x4.ge ${a[0]} ${a[1]}))` },
  minimum: { s: (a) => `(select ${a[0]} ${a[1]} (f32.le ${a[0]} ${a[1]}))`, v: (a) => `(v128.bitselect ${a[0]} ${a[1]} (f32x4.le ${a[0]} ${a[1]}))` },
  exp: { s: viaF64('exp') },
  log: { s: viaF64('log') },
  tanh: { s: viaF64('tanh') },
  pow: { s: viaF64('pow') },
  rsqrt: { s: (a) => `(f32.demote_f64 (f64.div (f64.const 1) (f64.sqrt (f64.promote_f32 ${a[0]}))))` },
  sigmoid: { s: (a) => `(f32.demote_f64 (f64.div (f64.const 1) (f64.add (f64.const 1) (call $math_exp (f64.neg (f64.promote_f32 ${a[0]}))))))` },
};

/** Math functions a module imports for the ops above (name -> arity) */
export const mathImports: Record<string, number> = { exp: 1, log: 1, tanh: 1, pow: 2 };

/** true when every node of a loop phase has a wasm form: f32 in and out, an op of the table */
export function loopPhaseSupported(nodes: Node[]): boolean {
  return nodes.every((n) => wasmScalarOps[n.op] && n.outputs.length === 1 && [...n.inputs, ...n.outputs].every((v) => v.type.dtype === 'f32'));
}

/**
 * The loop phase as WAT statements. `ptr(v)` gives the pointer parameter
 * of a value that lives in a buffer; `written` are the values stored (in
 * buffers, the domain's shape).
 */
export function loopPhaseWat(b: KernelBuilder, id: string, nodes: Node[], domain: Dim[], ptr: (v: Value) => string | undefined, written: Value[]): string[] {
  const f = b.f;
  const inside = new Set(nodes.flatMap((n) => n.outputs.map((o) => o.id)));
  const operands: Value[] = [];
  const literals = new Map<number, number>();
  for (const n of nodes)
    for (const v of n.inputs) {
      if (inside.has(v.id) || operands.includes(v) || literals.has(v.id)) continue;
      const c = fillConstant(v);
      if (c !== undefined) literals.set(v.id, Math.fround(c));
      else operands.push(v);
    }
  const vector = nodes.every((n) => wasmScalarOps[n.op].v);
  const rank = domain.length;
  const padded = operands.map((o) => [...new Array<Dim>(Math.max(0, rank - o.type.shape.length)).fill(1), ...o.type.shape]);
  type D = { size: Dim; full: boolean[] };
  const merged: D[] = [];
  for (let d = 0; d < rank; d++) {
    if (dimEq(domain[d], 1)) continue;
    const full = padded.map((p) => !dimEq(p[d], 1));
    const last = merged[merged.length - 1];
    if (last && last.full.every((x, k) => x === full[k])) last.size = dimMul(last.size, domain[d]);
    else merged.push({ size: domain[d], full });
  }
  const m = merged.length;
  const sizes: IVal[] = merged.map((d, j) => b.ival(d.size, `${id}_n${j}`));
  // element stride of operand k along merged dim j (0 when broadcast)
  const strideOf = (k: number, j: number): Dim => {
    if (!merged[j].full[k]) return 0;
    return merged.slice(j + 1).reduce<Dim>((a, d) => (d.full[k] ? dimMul(a, d.size) : a), 1);
  };
  const outStride = (j: number): Dim => merged.slice(j + 1).reduce<Dim>((a, d) => dimMul(a, d.size), 1);
  const oPtr = operands.map((_, k) => f.local(`$${id}_a${k}`));
  const wPtr = written.map((_, k) => f.local(`$${id}_w${k}`));
  const lastFull = operands.map((_, k) => merged.reduce((l, d, j) => (d.full[k] ? j : l), -1));
  const code: string[] = [];
  operands.forEach((v, k) => code.push(`(local.set ${oPtr[k]} (local.get ${ptr(v)!}))`));
  written.forEach((v, k) => code.push(`(local.set ${wPtr[k]} (local.get ${ptr(v)!}))`));

  // the chain on loaded operands (f32 or v128 expressions), intermediates in locals
  const chain = (load: (k: number) => string, vec: boolean, tag: string): { stmts: string[]; results: string[] } => {
    const type = vec ? 'v128' : 'f32';
    const local = new Map<number, string>();
    const stmts: string[] = [];
    operands.forEach((v, k) => {
      const l = f.local(`$${id}_${tag}in${k}`, type);
      stmts.push(`(local.set ${l} ${load(k)})`);
      local.set(v.id, `(local.get ${l})`);
    });
    for (const [vid, c] of literals) local.set(vid, vec ? `(v128.const f32x4 ${f32Lit(c)} ${f32Lit(c)} ${f32Lit(c)} ${f32Lit(c)})` : `(f32.const ${f32Lit(c)})`);
    for (const n of nodes) {
      const op = wasmScalarOps[n.op];
      const expr = (vec ? op.v! : op.s)(n.inputs.map((v) => local.get(v.id)!));
      const l = f.local(`$${id}_${tag}v${n.outputs[0].id}`, type);
      stmts.push(`(local.set ${l} ${expr})`);
      local.set(n.outputs[0].id, `(local.get ${l})`);
    }
    return { stmts, results: written.map((v) => local.get(v.id)!) };
  };

  if (m === 0) {
    const { stmts, results } = chain((k) => `(f32.load (local.get ${oPtr[k]}))`, false, 's');
    code.push(...stmts, ...results.map((r, k) => `(f32.store (local.get ${wPtr[k]}) ${r})`));
    return code;
  }
  // loops over the outer merged dims; pointers saved per level and advanced by their strides
  const open: string[] = [];
  const close: string[] = [];
  for (let j = 0; j < m - 1; j++) {
    const i = f.local(`$${id}_i${j}`);
    const adv: string[] = [];
    operands.forEach((_, k) => {
      const s = strideOf(k, j);
      if (s !== 0) adv.push(`(local.set ${oPtr[k]} (i32.add (local.get ${oPtr[k]}) ${b.dimExpr(dimMul(s, 4))}))`);
    });
    written.forEach((_, k) => adv.push(`(local.set ${wPtr[k]} (i32.add (local.get ${wPtr[k]}) ${b.dimExpr(dimMul(outStride(j), 4))}))`));
    // inner levels move their own copies of the pointers
    const save = [...oPtr, ...wPtr].map((p) => [p, f.local(`${p}_l${j}`)]);
    open.push(`(local.set ${i} (i32.const 0))`, `(block $${id}_d${j}_done (loop $${id}_d${j}`, `(br_if $${id}_d${j}_done (i32.ge_s (local.get ${i}) ${iget(sizes[j])}))`);
    open.push(...save.map(([p, s]) => `(local.set ${s} (local.get ${p}))`));
    close.unshift(
      ...save.map(([p, s]) => `(local.set ${p} (local.get ${s}))`),
      ...adv,
      `(local.set ${i} (i32.add (local.get ${i}) (i32.const 1)))`,
      `(br $${id}_d${j})))`,
    );
  }
  const inner = m - 1;
  const n = sizes[inner];
  const i = f.local(`$${id}_i${inner}`);
  const body: string[] = [];
  // operands broadcast along the innermost dim: loaded once, before it
  const hoisted = operands.map((_, k) => lastFull[k] < inner);
  const fullInner = (k: number) => merged[inner].full[k];
  body.push(`(local.set ${i} (i32.const 0))`);
  if (vector) {
    const splat = operands.map((_, k) => (hoisted[k] ? f.local(`$${id}_splat${k}`, 'v128') : ''));
    operands.forEach((_, k) => hoisted[k] && body.push(`(local.set ${splat[k]} (v128.load32_splat (local.get ${oPtr[k]})))`));
    const { stmts, results } = chain((k) => (hoisted[k] ? `(local.get ${splat[k]})` : `(v128.load (local.get ${oPtr[k]}))`), true, 'v');
    body.push(
      `(block $${id}_vec_done (loop $${id}_vec`,
      `  (br_if $${id}_vec_done (i32.gt_s (i32.add (local.get ${i}) (i32.const 4)) ${iget(n)}))`,
      ...stmts.map((s) => `  ${s}`),
      ...results.map((r, k) => `  (v128.store (local.get ${wPtr[k]}) ${r})`),
      ...operands.map((_, k) => (fullInner(k) ? `  (local.set ${oPtr[k]} (i32.add (local.get ${oPtr[k]}) (i32.const 16)))` : '')).filter((x) => x),
      ...wPtr.map((p) => `  (local.set ${p} (i32.add (local.get ${p}) (i32.const 16)))`),
      `  (local.set ${i} (i32.add (local.get ${i}) (i32.const 4)))`,
      `  (br $${id}_vec)))`,
    );
  }
  const { stmts, results } = chain((k) => `(f32.load (local.get ${oPtr[k]}))`, false, 's');
  body.push(
    `(block $${id}_tail_done (loop $${id}_tail`,
    `  (br_if $${id}_tail_done (i32.ge_s (local.get ${i}) ${iget(n)}))`,
    ...stmts.map((s) => `  ${s}`),
    ...results.map((r, k) => `  (f32.store (local.get ${wPtr[k]}) ${r})`),
    ...operands.map((_, k) => (fullInner(k) ? `  (local.set ${oPtr[k]} (i32.add (local.get ${oPtr[k]}) (i32.const 4)))` : '')).filter((x) => x),
    ...wPtr.map((p) => `  (local.set ${p} (i32.add (local.get ${p}) (i32.const 4)))`),
    `  (local.set ${i} (i32.add (local.get ${i}) (i32.const 1)))`,
    `  (br $${id}_tail)))`,
  );
  return [...code, ...open, ...body, ...close];
}
