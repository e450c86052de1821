/**
 * conv2d and its two gradients as wasm kernels: implicit GEMM on
 * codegen/wasm/gemm.ts, NCHW, per image and group (K = C/groups * KH * KW
 * taps, P = OH * OW pixels):
 *
 *   conv2d           col [K, P] = im2col(x_n);  y_n [Fg, P] = W [Fg, K] col
 *                    rows: images
 *   backprop_input   dcol [K, P] = W^T [K, Fg] dy_n [Fg, P];  dx_n = col2im(dcol)
 *                    rows: images
 *   backprop_filter  acc [K, Fg] += col [K, P] dy_n^T [P, Fg] over all images;  dw = acc^T
 *                    rows: taps (each chunk im2cols only its taps and sums over
 *                    every image itself, so no sum crosses threads)
 *
 * im2col and col2im copy whole runs of a row at once: for each tap (c, kh, kw)
 * the valid output rows [ohLo, ohHi) and columns [lo, hi) are known at
 * compile time, so a run is a few v128 copies with immediate offsets (stride
 * 1) and the positions that read padding are never written. Those stay zero
 * from one fill at the start of the call: the same positions are padding in
 * every image.
 */
import { dimMul, type Dim } from '../../../compiler/dims.js';
import { inferBackpropFilter, inferBackpropInput, inferConv, validRange, type ConvProblem } from '../../../compiler/ops/conv.js';
import { emitGemm, gemmScratchBytes, MR } from '../gemm.js';
import type { KernelBuilder } from '../builder.js';
import type { WasmOpContext, WasmOpKernel } from './types.js';

/** The registry's description of the convolution, with the per-group sizes the kernels index by. */
interface Conv extends ConvProblem {
  Cg: number;
  Fg: number;
  /** taps per group: Cg * KH * KW */
  K: number;
  /** pixels: OH * OW */
  P: number;
}

function withGroups(p: ConvProblem): Conv {
  const Cg = p.C / p.groups;
  return { ...p, Cg, Fg: p.F / p.groups, K: Cg * p.KH * p.KW, P: p.OH * p.OW };
}

const types = (ctx: WasmOpContext) => ctx.node.inputs.map((v) => v.type);

const nums = (s: Dim[]): number[] | undefined => (s.every((d) => typeof d === 'number') ? (s as number[]) : undefined);

const ptr = (base: string, bytes: string) => `(i32.add (local.get ${base}) ${bytes})`;
const i32 = (x: number) => `(i32.const ${x})`;

/**
 * A run of `n` floats: dst[i] = src[i * sw] (or dst[i * sw] += src[i] when
 * `scatterAdd`, col2im), unrolled with immediate offsets; v128 when the
 * strided side has stride 1.
 */
function run(dst: string, src: string, n: number, sw: number, scatterAdd: boolean): string[] {
  const out: string[] = [];
  let i = 0;
  if (sw === 1) {
    for (; i + 4 <= n; i += 4) {
      const d = `offset=${4 * i} (local.get ${dst})`;
      const s = `offset=${4 * i} (local.get ${src})`;
      out.push(scatterAdd ? `(v128.store ${d} (f32x4.add (v128.load ${d}) (v128.load ${s})))` : `(v128.store ${d} (v128.load ${s}))`);
    }
  }
  for (; i < n; i++) {
    if (scatterAdd) {
      const d = `offset=${4 * i * sw} (local.get ${dst})`;
      out.push(`(f32.store ${d} (f32.add (f32.load ${d}) (f32.load offset=${4 * i} (local.get ${src}))))`);
    } else out.push(`(f32.store offset=${4 * i} (local.get ${dst}) (f32.load offset=${4 * i * sw} (local.get ${src})))`);
  }
  return out;
}

/**
 * For every tap of one group (c runtime, kh and kw unrolled), the valid
 * rows of the run between image and col: `visit(tap, imgOffset, colOffset, n)`
 * (byte offsets of the first valid element from the channel's image start and
 * from the tap's col row) emits the per-row code.
 */
function perTap(b: KernelBuilder, p: Conv, img: string, col: string, dir: 'im2col' | 'col2im', taps?: { lo: string; hi: string }): string[] {
  const f = b.f;
  const c = f.local('$c');
  const xs = f.local('$xs');
  const cs = f.local('$cs');
  const oh = f.local('$oh');
  const out: string[] = [];
  const blocks: string[] = [];
  for (let kh = 0; kh < p.KH; kh++) {
    const [ohLo, ohHi] = validRange(p.H, p.OH, p.sh, kh * p.dh - p.pt);
    if (ohHi <= ohLo) continue;
    for (let kw = 0; kw < p.KW; kw++) {
      const [lo, hi] = validRange(p.W, p.OW, p.sw, kw * p.dw - p.pl);
      if (hi <= lo) continue;
      const t = kh * p.KW + kw;
      const imgOff = ((ohLo * p.sh + kh * p.dh - p.pt) * p.W + lo * p.sw + kw * p.dw - p.pl) * 4;
      const colOff = (ohLo * p.OW + lo) * 4;
      // the tap's col row: (c * KH*KW + t - tLo) * P
      const row = taps ? `(i32.sub (i32.add (i32.mul (local.get ${c}) ${i32(p.KH * p.KW)}) ${i32(t)}) (local.get ${taps.lo}))` : `(i32.add (i32.mul (local.get ${c}) ${i32(p.KH * p.KW)}) ${i32(t)})`;
      const body = dir === 'im2col' ? run(cs, xs, hi - lo, p.sw, false) : run(xs, cs, hi - lo, p.sw, true);
      const block = [
        `;; tap (c, ${kh}, ${kw}): rows [${ohLo}, ${ohHi}), columns [${lo}, ${hi})`,
        `(local.set ${xs} ${ptr('$xc', i32(imgOff))})`,
        `(local.set ${cs} ${ptr(col, `(i32.add (i32.mul ${row} ${i32(p.P * 4)}) ${i32(colOff)})`)})`,
        `(local.set ${oh} ${i32(ohLo)})`,
        `(loop $rows_${kh}_${kw}`,
        ...body.map((l) => `  ${l}`),
        `  (local.set ${xs} (i32.add (local.get ${xs}) ${i32(p.sh * p.W * 4)}))`,
        `  (local.set ${cs} (i32.add (local.get ${cs}) ${i32(p.OW * 4)}))`,
        `  (local.set ${oh} (i32.add (local.get ${oh}) (i32.const 1)))`,
        `  (br_if $rows_${kh}_${kw} (i32.lt_s (local.get ${oh}) ${i32(ohHi)})))`,
      ];
      if (taps) {
        const tap = `(i32.add (i32.mul (local.get ${c}) ${i32(p.KH * p.KW)}) ${i32(t)})`;
        blocks.push(`(if (i32.and (i32.ge_s ${tap} (local.get ${taps.lo})) (i32.lt_s ${tap} (local.get ${taps.hi})))`, '  (then', ...block.map((l) => `    ${l}`), '  ))');
      } else blocks.push(...block);
    }
  }
  f.local('$xc');
  out.push(
    `(local.set ${c} (i32.const 0))`,
    `(loop $channels`,
    `  (local.set $xc ${ptr(img, `(i32.mul (local.get ${c}) ${i32(p.H * p.W * 4)})`)})`,
    ...blocks.map((l) => `  ${l}`),
    `  (local.set ${c} (i32.add (local.get ${c}) (i32.const 1)))`,
    `  (br_if $channels (i32.lt_s (local.get ${c}) ${i32(p.Cg)})))`,
  );
  return out;
}

/**
 * The most loads and stores perTap unrolls for one group (each tap's row,
 * 4 elements at a time): past it the kernel keeps its JS form rather than
 * emit megabytes of WAT (a 5 x 5 convolution of rows 65,536 wide).
 */
const MAX_UNROLLED = 1 << 14;

function unrolledLength(p: Conv): number {
  return p.KH * p.KW * Math.ceil(p.OW / 4);
}

/** `for (v = from; v < to; v++) body` */
function loop(v: string, from: string, to: string, body: string[]): string[] {
  const id = v.slice(1);
  return [
    `(local.set ${v} ${from})`,
    `(block $${id}_done`,
    `  (loop $${id}_next`,
    `    (br_if $${id}_done (i32.ge_s (local.get ${v}) ${to}))`,
    ...body.map((l) => `    ${l}`),
    `    (local.set ${v} (i32.add (local.get ${v}) (i32.const 1)))`,
    `    (br $${id}_next)))`,
  ];
}

const align16 = (x: number) => Math.ceil(x / 16) * 16;

export function conv2dWasm(ctx: WasmOpContext): WasmOpKernel | undefined {
  const xs = nums(ctx.inShape[0].slice(1));
  const ws = nums(ctx.inShape[1]);
  if (!xs || !ws) return undefined;
  const p = withGroups(inferConv(types(ctx), ctx.attrs).p);
  if (unrolledLength(p) > MAX_UNROLLED) return undefined;
  const b = ctx.b;
  const f = b.f;
  const [x, w] = ctx.in;
  const y = ctx.out[0];
  const n = f.local('$n');
  const grp = f.local('$grp');
  const col = f.local('$col');
  const pack = f.local('$pack');
  const colBytes = align16(p.K * p.P * 4);
  const gemm = emitGemm(
    f,
    {
      prefix: b.unique(`${f.name}_gemm`),
      M: p.Fg, N: p.P, K: p.K,
      A: '$A', aRow: p.K, aK: 1,
      B: col, bK: p.P, bCol: 1,
      C: '$C', cRow: p.P,
      accumulate: false,
      scratch: pack,
    },
    b.funcs,
  );
  f.local('$A');
  f.local('$C');
  f.local('$img');
  const perImage = [
    `(local.set $img ${ptr(x, `(i32.mul (i32.add (i32.mul (local.get ${n}) ${i32(p.C)}) (i32.mul (local.get ${grp}) ${i32(p.Cg)})) ${i32(p.H * p.W * 4)})`)})`,
    ...perTap(b, p, '$img', col, 'im2col'),
    `(local.set $A ${ptr(w, `(i32.mul (local.get ${grp}) ${i32(p.Fg * p.K * 4)})`)})`,
    `(local.set $C ${ptr(y, `(i32.mul (i32.add (i32.mul (local.get ${n}) ${i32(p.F)}) (i32.mul (local.get ${grp}) ${i32(p.Fg)})) ${i32(p.P * 4)})`)})`,
    ...gemm,
  ];
  const body = [
    `;; y_n [${p.Fg}, ${p.P}] = W [${p.Fg}, ${p.K}] col [${p.K}, ${p.P}] per image n in [r0, r1) and group`,
    `(local.set ${col} (local.get $scratch))`,
    `(local.set ${pack} (i32.add (local.get $scratch) ${i32(colBytes)}))`,
    `(memory.fill (local.get ${col}) (i32.const 0) ${i32(p.K * p.P * 4)})`,
    ...loop(n, '(local.get $r0)', '(local.get $r1)', loop(grp, '(i32.const 0)', i32(p.groups), perImage)),
  ];
  const N = ctx.inShape[0][0];
  return { body, scratch: colBytes + gemmScratchBytes(p.K, p.P), rows: { extent: N, align: 1, flops: dimMul(N, 2 * p.F * p.K * p.P) } };
}

export function conv2dBackpropInputWasm(ctx: WasmOpContext): WasmOpKernel | undefined {
  const dys = nums(ctx.inShape[0].slice(1));
  const ws = nums(ctx.inShape[1]);
  const size = ctx.attrs.inputSize as number[] | undefined;
  if (!dys || !ws || !size) return undefined;
  const p = withGroups(inferBackpropInput(types(ctx), ctx.attrs).p);
  if (unrolledLength(p) > MAX_UNROLLED) return undefined;
  const b = ctx.b;
  const f = b.f;
  const [dy, w] = ctx.in;
  const dx = ctx.out[0];
  const n = f.local('$n');
  const grp = f.local('$grp');
  const dcol = f.local('$dcol');
  const pack = f.local('$pack');
  const dcolBytes = align16(p.K * p.P * 4);
  const gemm = emitGemm(
    f,
    {
      prefix: b.unique(`${f.name}_gemm`),
      M: p.K, N: p.P, K: p.Fg,
      A: '$A', aRow: 1, aK: p.K,
      B: '$B', bK: p.P, bCol: 1,
      C: dcol, cRow: p.P,
      accumulate: false,
      scratch: pack,
    },
    b.funcs,
  );
  f.local('$A');
  f.local('$B');
  f.local('$img');
  const CHW = p.C * p.H * p.W;
  const perGroup = [
    `(local.set $A ${ptr(w, `(i32.mul (local.get ${grp}) ${i32(p.Fg * p.K * 4)})`)})`,
    `(local.set $B ${ptr(dy, `(i32.mul (i32.add (i32.mul (local.get ${n}) ${i32(p.F)}) (i32.mul (local.get ${grp}) ${i32(p.Fg)})) ${i32(p.P * 4)})`)})`,
    ...gemm,
    `(local.set $img ${ptr(dx, `(i32.add (i32.mul (local.get ${n}) ${i32(CHW * 4)}) (i32.mul (local.get ${grp}) ${i32(p.Cg * p.H * p.W * 4)}))`)})`,
    ...perTap(b, p, '$img', dcol, 'col2im'),
  ];
  const perImage = [
    `(memory.fill ${ptr(dx, `(i32.mul (local.get ${n}) ${i32(CHW * 4)})`)} (i32.const 0) ${i32(CHW * 4)})`,
    ...loop(grp, '(i32.const 0)', i32(p.groups), perGroup),
  ];
  const body = [
    `;; dcol [${p.K}, ${p.P}] = W^T [${p.K}, ${p.Fg}] dy_n [${p.Fg}, ${p.P}], dx_n += col2im(dcol), per image n in [r0, r1) and group`,
    `(local.set ${dcol} (local.get $scratch))`,
    `(local.set ${pack} (i32.add (local.get $scratch) ${i32(dcolBytes)}))`,
    ...loop(n, '(local.get $r0)', '(local.get $r1)', perImage),
  ];
  const N = ctx.inShape[0][0];
  return { body, scratch: dcolBytes + gemmScratchBytes(p.Fg, p.P), rows: { extent: N, align: 1, flops: dimMul(N, 2 * p.F * p.K * p.P) } };
}

export function conv2dBackpropFilterWasm(ctx: WasmOpContext): WasmOpKernel | undefined {
  const xs = nums(ctx.inShape[0].slice(1));
  const kernel = ctx.attrs.kernel as number[] | undefined;
  const F = ctx.inShape[1][1];
  if (!xs || !kernel || typeof F !== 'number') return undefined;
  const p = withGroups(inferBackpropFilter(types(ctx), ctx.attrs).p);
  if (unrolledLength(p) > MAX_UNROLLED) return undefined;
  const b = ctx.b;
  const f = b.f;
  const [x, dy] = ctx.in;
  const dw = ctx.out[0];
  const N = ctx.inShape[0][0];
  const nImages = b.ival(N, 'N');
  const n = f.local('$n');
  const grp = f.local('$grp');
  const col = f.local('$col');
  const acc = f.local('$acc');
  const pack = f.local('$pack');
  const mt = f.local('$mt');
  const colBytes = align16(p.K * p.P * 4);
  const accBytes = align16(p.groups * p.K * p.Fg * 4);
  f.local('$A');
  f.local('$B');
  f.local('$C');
  f.local('$img');
  const gemm = emitGemm(
    f,
    {
      prefix: b.unique(`${f.name}_gemm`),
      M: mt, N: p.Fg, K: p.P,
      A: col, aRow: p.P, aK: 1,
      B: '$B', bK: 1, bCol: p.P,
      C: '$C', cRow: p.Fg,
      accumulate: true,
      scratch: pack,
    },
    b.funcs,
  );
  const perGroup = [
    `(local.set $img ${ptr(x, `(i32.mul (i32.add (i32.mul (local.get ${n}) ${i32(p.C)}) (i32.mul (local.get ${grp}) ${i32(p.Cg)})) ${i32(p.H * p.W * 4)})`)})`,
    ...perTap(b, p, '$img', col, 'im2col', { lo: '$r0', hi: '$r1' }),
    `(local.set $B ${ptr(dy, `(i32.mul (i32.add (i32.mul (local.get ${n}) ${i32(p.F)}) (i32.mul (local.get ${grp}) ${i32(p.Fg)})) ${i32(p.P * 4)})`)})`,
    `(local.set $C ${ptr(acc, `(i32.mul (i32.mul (local.get ${grp}) (local.get ${mt})) ${i32(p.Fg * 4)})`)})`,
    ...gemm,
  ];
  // dw[(grp*Fg + o)*K + t] = acc[grp][t - r0][o]
  const t = f.local('$t');
  const o = f.local('$o');
  const write = loop(grp, '(i32.const 0)', i32(p.groups), loop(t, '(local.get $r0)', '(local.get $r1)', loop(o, '(i32.const 0)', i32(p.Fg), [
    `(f32.store ${ptr(dw, `(i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get ${grp}) ${i32(p.Fg)}) (local.get ${o})) ${i32(p.K)}) (local.get ${t})) (i32.const 2))`)}`,
    `  (f32.load ${ptr(acc, `(i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get ${grp}) (local.get ${mt})) (i32.sub (local.get ${t}) (local.get $r0))) ${i32(p.Fg)}) (local.get ${o})) (i32.const 2))`)}))`,
  ])));
  const body = [
    `;; acc [taps r0..r1, ${p.Fg}] += col [taps, ${p.P}] dy_n^T [${p.P}, ${p.Fg}] over images and per group; dw = acc^T`,
    `(local.set ${mt} (i32.sub (local.get $r1) (local.get $r0)))`,
    `(local.set ${col} (local.get $scratch))`,
    `(local.set ${acc} (i32.add (local.get $scratch) ${i32(colBytes)}))`,
    `(local.set ${pack} (i32.add (local.get $scratch) ${i32(colBytes + accBytes)}))`,
    `(memory.fill (local.get ${col}) (i32.const 0) (i32.mul (local.get ${mt}) ${i32(p.P * 4)}))`,
    `(memory.fill (local.get ${acc}) (i32.const 0) (i32.mul (local.get ${mt}) ${i32(p.groups * p.Fg * 4)}))`,
    ...loop(n, '(i32.const 0)', typeof nImages === 'number' ? i32(nImages) : `(local.get ${nImages})`, loop(grp, '(i32.const 0)', i32(p.groups), perGroup)),
    ...write,
  ];
  return {
    body,
    scratch: colBytes + accBytes + gemmScratchBytes(p.P, p.Fg),
    rows: { extent: p.K, align: MR, flops: dimMul(N, 2 * p.F * p.K * p.P) },
  };
}
