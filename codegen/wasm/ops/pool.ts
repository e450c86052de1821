/**
 * maxpool2d and maxpool2d_grad as wasm (NCHW, every image and channel):
 * the same scan as the JS kernels (window taps in row-major order, a tap
 * wins when strictly greater, so ties go to the first and padding never
 * wins), so the gradient reaches the same element. Without padding the
 * taps are unrolled with immediate offsets; with padding each window is
 * clipped at run time.
 */
import { dimMul } from '../../../compiler/dims.js';
import { poolGeometry, type PoolProblem } from '../../../compiler/ops/pool.js';
import type { WasmOpContext, WasmOpKernel } from './types.js';
import type { WatFunction } from '../wat.js';

const i32 = (x: number) => `(i32.const ${x})`;

/** per output element: `tap(ptrExpr)` for each tap of its window (in order), then `done` */
function windows(
  ctx: WasmOpContext,
  p: PoolProblem,
  x: string,
  tap: (at: string) => string[],
  before: string[],
  after: (y: string) => string[],
  /** 2x2 windows at stride 2: four outputs at a time (`xr`: the two input rows' start, `yp`: the outputs), the rest by `tap` */
  vec4?: (xr: string, yp: string) => string[],
): string[] {
  const f = ctx.b.f;
  const nc = f.local('$nc');
  const oh = f.local('$oh');
  const ow = f.local('$ow');
  const xr = f.local('$xr');
  const yp = f.local('$yp');
  const unpadded = p.pt === 0 && p.pl === 0 && p.pb === 0 && p.pr === 0 && p.kh * p.kw <= 16;
  let inner: string[];
  if (unpadded) {
    const taps: string[] = [];
    for (let i = 0; i < p.kh; i++) for (let j = 0; j < p.kw; j++) taps.push(...tap(`offset=${(i * p.W + j) * 4} (local.get ${xr})`));
    inner = [...before, ...taps, ...after(yp)];
  } else {
    // clipped window: rows [hs, he), columns [ws, we) of the plane at $xp
    const [h0, hs, he, w0, ws, we, ih, iw, xp] = ['$h0', '$hs', '$he', '$w0', '$ws', '$we', '$ih', '$iw', '$xp'].map((n) => f.local(n));
    const clip = (v0: string, s: string, e: string, o: string, st: number, pad: number, k: number, lim: number) => [
      `(local.set ${v0} (i32.sub (i32.mul (local.get ${o}) ${i32(st)}) ${i32(pad)}))`,
      `(local.set ${s} (select (i32.const 0) (local.get ${v0}) (i32.lt_s (local.get ${v0}) (i32.const 0))))`,
      `(local.set ${e} (select ${i32(lim)} (i32.add (local.get ${v0}) ${i32(k)}) (i32.gt_s (i32.add (local.get ${v0}) ${i32(k)}) ${i32(lim)})))`,
    ];
    inner = [
      ...clip(h0, hs, he, oh, p.sh, p.pt, p.kh, p.H),
      ...clip(w0, ws, we, ow, p.sw, p.pl, p.kw, p.W),
      ...before,
      `(local.set ${ih} (local.get ${hs}))`,
      `(block $ih_done (loop $ih_next`,
      `  (br_if $ih_done (i32.ge_s (local.get ${ih}) (local.get ${he})))`,
      `  (local.set ${iw} (local.get ${ws}))`,
      `  (block $iw_done (loop $iw_next`,
      `    (br_if $iw_done (i32.ge_s (local.get ${iw}) (local.get ${we})))`,
      ...tap(`(i32.add (local.get ${xp}) (i32.shl (i32.add (i32.mul (local.get ${ih}) ${i32(p.W)}) (local.get ${iw})) (i32.const 2)))`).map((l) => `    ${l}`),
      `    (local.set ${iw} (i32.add (local.get ${iw}) (i32.const 1)))`,
      `    (br $iw_next)))`,
      `  (local.set ${ih} (i32.add (local.get ${ih}) (i32.const 1)))`,
      `  (br $ih_next)))`,
      ...after(yp),
    ];
  }
  const step = (v: string) => `(local.set ${v} (i32.add (local.get ${v}) (i32.const 1)))`;
  const OW4 = p.OW - (p.OW % 4);
  const useVec = vec4 && unpadded && p.kh === 2 && p.kw === 2 && p.sh === 2 && p.sw === 2 && OW4 > 0;
  const vectorPart = useVec
    ? [
        `(local.set ${ow} (i32.const 0))`,
        `(loop $ow4_next`,
        ...vec4!(xr, yp).map((l) => `  ${l}`),
        `  (local.set ${xr} (i32.add (local.get ${xr}) (i32.const 32)))`,
        `  (local.set ${yp} (i32.add (local.get ${yp}) (i32.const 16)))`,
        `  (local.set ${ow} (i32.add (local.get ${ow}) (i32.const 4)))`,
        `  (br_if $ow4_next (i32.lt_s (local.get ${ow}) ${i32(OW4)})))`,
      ]
    : [`(local.set ${ow} (i32.const 0))`];
  return [
    // planes (image, channel) [r0, r1)
    `(local.set ${nc} (local.get $r0))`,
    `(local.set ${yp} (i32.add (local.get ${ctx.out[0]}) (i32.mul (local.get $r0) ${i32(p.OH * p.OW * 4)})))`,
    `(block $nc_done (loop $nc_next`,
    `  (br_if $nc_done (i32.ge_s (local.get ${nc}) (local.get $r1)))`,
    `  (local.set $xp (i32.add (local.get ${x}) (i32.mul (local.get ${nc}) ${i32(p.H * p.W * 4)})))`,
    `  (local.set ${oh} (i32.const 0))`,
    `  (loop $oh_next`,
    `    (local.set ${xr} (i32.add (local.get $xp) (i32.mul (local.get ${oh}) ${i32(p.sh * p.W * 4)})))`,
    ...vectorPart.map((l) => `    ${l}`),
    `    (if (i32.lt_s (local.get ${ow}) ${i32(p.OW)}) (then`,
    `    (loop $ow_next`,
    ...inner.map((l) => `      ${l}`),
    `      (local.set ${xr} (i32.add (local.get ${xr}) ${i32(p.sw * 4)}))`,
    `      (local.set ${yp} (i32.add (local.get ${yp}) (i32.const 4)))`,
    `      ${step(ow)}`,
    `      (br_if $ow_next (i32.lt_s (local.get ${ow}) ${i32(p.OW)})))))`,
    `    ${step(oh)}`,
    `    (br_if $oh_next (i32.lt_s (local.get ${oh}) ${i32(p.OH)})))`,
    `  ${step(nc)}`,
    `  (br $nc_next)))`,
  ];
}

/** The four taps of four 2x2 windows at stride 2 (x00, x01, x10, x11 of each), as v128 expressions, in the scalar scan's order. */
function taps2x2(f: WatFunction, p: PoolProblem, xr: string): { loads: string[]; taps: string[] } {
  const [a, b, c, d] = ['$ra', '$rb', '$rc', '$rd'].map((n) => f.local(n, 'v128'));
  const even = (u: string, v: string) => `(i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get ${u}) (local.get ${v}))`;
  const odd = (u: string, v: string) => `(i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get ${u}) (local.get ${v}))`;
  return {
    loads: [
      `(local.set ${a} (v128.load (local.get ${xr})))`,
      `(local.set ${b} (v128.load offset=16 (local.get ${xr})))`,
      `(local.set ${c} (v128.load offset=${p.W * 4} (local.get ${xr})))`,
      `(local.set ${d} (v128.load offset=${p.W * 4 + 16} (local.get ${xr})))`,
    ],
    taps: [even(a, b), odd(a, b), even(c, d), odd(c, d)],
  };
}

/** rows: the (image, channel) planes; a window tap costs about as much as 32 flops of a GEMM */
function planes(ctx: WasmOpContext, p: PoolProblem): WasmOpKernel['rows'] {
  const NC = dimMul(ctx.inShape[0][0], p.C);
  return { extent: NC, align: 1, flops: dimMul(NC, 32 * p.OH * p.OW * p.kh * p.kw) };
}

function problem(ctx: WasmOpContext): PoolProblem | undefined {
  const s = ctx.inShape[0];
  if (s.length !== 4 || s.slice(1).some((d) => typeof d !== 'number')) return undefined;
  return { ...poolGeometry('maxpool2d', s[2] as number, s[3] as number, ctx.attrs), C: s[1] as number };
}

export function maxpool2dWasm(ctx: WasmOpContext): WasmOpKernel | undefined {
  const p = problem(ctx);
  if (!p) return undefined;
  const f = ctx.b.f;
  const m = f.local('$m', 'f32');
  const v = f.local('$v', 'f32');
  f.local('$xp');
  const body = windows(
    ctx,
    p,
    ctx.in[0],
    (at) => [`(local.set ${v} (f32.load ${at}))`, `(local.set ${m} (select (local.get ${v}) (local.get ${m}) (f32.gt (local.get ${v}) (local.get ${m}))))`],
    [`(local.set ${m} (f32.const -inf))`],
    (y) => [`(f32.store (local.get ${y}) (local.get ${m}))`],
    (xr, y) => {
      const mv = f.local('$mv', 'v128');
      const t = f.local('$tv', 'v128');
      const { loads, taps } = taps2x2(f, p, xr);
      return [
        `(local.set ${mv} (v128.const f32x4 -inf -inf -inf -inf))`,
        ...loads,
        ...taps.flatMap((e) => [`(local.set ${t} ${e})`, `(local.set ${mv} (v128.bitselect (local.get ${t}) (local.get ${mv}) (f32x4.gt (local.get ${t}) (local.get ${mv}))))`]),
        `(v128.store (local.get ${y}) (local.get ${mv}))`,
      ];
    },
  );
  return { body: [`;; maxpool ${p.kh}x${p.kw} stride ${p.sh}x${p.sw}: y [N, ${p.C}, ${p.OH}, ${p.OW}], planes [r0, r1)`, ...body], scratch: 0, rows: planes(ctx, p) };
}

export function maxpool2dGradWasm(ctx: WasmOpContext): WasmOpKernel | undefined {
  const p = problem(ctx);
  if (!p) return undefined;
  const f = ctx.b.f;
  const m = f.local('$m', 'f32');
  const v = f.local('$v', 'f32');
  const best = f.local('$best');
  const dyp = f.local('$dyp');
  f.local('$xp');
  const [x, dy] = ctx.in;
  const dx = ctx.out[0];
  // the winner's byte offset from x, moved to dx
  const tapAt = (at: string): string => {
    const mm = /^offset=(\d+) \(local.get (\$\w+)\)$/.exec(at);
    return mm ? `(i32.add (local.get ${mm[2]}) (i32.const ${mm[1]}))` : at;
  };
  const body = windows(
    ctx,
    p,
    x,
    (at) => [`(local.set ${v} (f32.load ${at}))`, `(if (f32.gt (local.get ${v}) (local.get ${m})) (then (local.set ${m} (local.get ${v})) (local.set ${best} ${tapAt(at)})))`],
    [`(local.set ${m} (f32.const -inf))`, `(local.set ${best} (i32.const -1))`],
    (y) => [
      // y walks dx's output-sized twin: the dy element is at the same offset from dy
      `(local.set ${dyp} (i32.add (local.get ${dy}) (i32.sub (local.get ${y}) (local.get ${dx}))))`,
      `(if (i32.ge_s (local.get ${best}) (i32.const 0)) (then`,
      `  (local.set ${best} (i32.add (local.get ${dx}) (i32.sub (local.get ${best}) (local.get ${x}))))`,
      `  (f32.store (local.get ${best}) (f32.add (f32.load (local.get ${best})) (f32.load (local.get ${dyp}))))))`,
    ],
    (xr, y) => {
      // per lane the winning tap (0..3, -1: none), then each tap's share of dy, interleaved back into the two rows
      const mv = f.local('$mv', 'v128');
      const bv = f.local('$bv', 'v128');
      const g = f.local('$gv', 'v128');
      const d = f.local('$dv', 'v128');
      const t = f.local('$tv', 'v128');
      const { loads, taps } = taps2x2(f, p, xr);
      const share = (k: number) => `(v128.and (local.get ${d}) (i32x4.eq (local.get ${bv}) (v128.const i32x4 ${k} ${k} ${k} ${k})))`;
      const zero = '(v128.const f32x4 0 0 0 0)';
      // lanes (a0, b0, a1, b1) and (a2, b2, a3, b3) of two vectors
      const lo = (a: string, b: string) => `(i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 ${a} ${b})`;
      const hi = (a: string, b: string) => `(i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 ${a} ${b})`;
      const dxRow = (row: number) => `(i32.add (local.get ${dx}) (i32.add (i32.sub (local.get ${xr}) (local.get ${x})) (i32.const ${row * p.W * 4})))`;
      return [
        `(local.set ${mv} (v128.const f32x4 -inf -inf -inf -inf))`,
        `(local.set ${bv} (v128.const i32x4 -1 -1 -1 -1))`,
        ...loads,
        ...taps.flatMap((e, k) => [
          `(local.set ${t} ${e})`,
          `(local.set ${g} (f32x4.gt (local.get ${t}) (local.get ${mv})))`,
          `(local.set ${mv} (v128.bitselect (local.get ${t}) (local.get ${mv}) (local.get ${g})))`,
          `(local.set ${bv} (v128.bitselect (v128.const i32x4 ${k} ${k} ${k} ${k}) (local.get ${bv}) (local.get ${g})))`,
        ]),
        `(local.set ${d} (f32x4.add ${zero} (v128.load (i32.add (local.get ${dy}) (i32.sub (local.get ${y}) (local.get ${dx}))))))`,
        `(v128.store ${dxRow(0)} ${lo(share(0), share(1))})`,
        `(v128.store offset=16 ${dxRow(0)} ${hi(share(0), share(1))})`,
        `(v128.store ${dxRow(1)} ${lo(share(2), share(3))})`,
        `(v128.store offset=16 ${dxRow(1)} ${hi(share(2), share(3))})`,
      ];
    },
  );
  const plane = i32(p.H * p.W * 4);
  // windows() walks `y` from out[0] = dx in steps of one output element: a cursor, dy is at the same offset
  return {
    body: [
      `;; maxpool ${p.kh}x${p.kw} gradient: dx [N, ${p.C}, ${p.H}, ${p.W}] = 0, then dy routed to each window's first max; planes [r0, r1)`,
      `(memory.fill (i32.add (local.get ${dx}) (i32.mul (local.get $r0) ${plane})) (i32.const 0) (i32.mul (i32.sub (local.get $r1) (local.get $r0)) ${plane}))`,
      ...body,
    ],
    scratch: 0,
    rows: planes(ctx, p),
  };
}
