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

const i32 = (x: number) => `(i32.const ${x})`;

/** per output element: `tap(ptrExpr)` for each tap of its window (in order), then `done` */
function windows(ctx: WasmOpContext, p: PoolProblem, x: string, tap: (at: string) => string[], before: string[], after: (y: string) => string[]): string[] {
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
    `    (local.set ${ow} (i32.const 0))`,
    `    (loop $ow_next`,
    ...inner.map((l) => `      ${l}`),
    `      (local.set ${xr} (i32.add (local.get ${xr}) ${i32(p.sw * 4)}))`,
    `      (local.set ${yp} (i32.add (local.get ${yp}) (i32.const 4)))`,
    `      ${step(ow)}`,
    `      (br_if $ow_next (i32.lt_s (local.get ${ow}) ${i32(p.OW)})))`,
    `    ${step(oh)}`,
    `    (br_if $oh_next (i32.lt_s (local.get ${oh}) ${i32(p.OH)})))`,
    `  ${step(nc)}`,
    `  (br $nc_next)))`,
  ];
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
