/**
 * The CPU renderers of the ops of compiler/ops/pool.ts.
 */
import { type CpuKernelContext } from '../types.js';
import { PoolProblem, inferPool, avgGradProblem } from '../../../compiler/ops/pool.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { CpuRenderer } from '../types.js';

// ------------------------------------------------------------------ CPU kernels

/**
 * The loop nest over planes and windows: `body` runs per window with
 * `yi` (output index), `xo` (plane offset), clipped bounds hs..he, ws..we.
 */
function windowLoops(p: PoolProblem, nExpr: string, body: string): string {
  return `const NC = ${nExpr} * ${p.C};
for (let nc = 0; nc < NC; nc++) {
  const xo = nc * ${p.H * p.W};
  let yi = nc * ${p.OH * p.OW};
  for (let oh = 0; oh < ${p.OH}; oh++) {
    const h0 = oh * ${p.sh} - ${p.pt};
    const hs = h0 < 0 ? 0 : h0, he = h0 + ${p.kh} > ${p.H} ? ${p.H} : h0 + ${p.kh};
    for (let ow = 0; ow < ${p.OW}; ow++, yi++) {
      const w0 = ow * ${p.sw} - ${p.pl};
      const ws = w0 < 0 ? 0 : w0, we = w0 + ${p.kw} > ${p.W} ? ${p.W} : w0 + ${p.kw};
${body}
    }
  }
}`;
}

/** Windows never touch the padding (no pads): the window can be unrolled with literal offsets. */
function unrollable(p: PoolProblem): boolean {
  return p.pt === 0 && p.pl === 0 && p.pb === 0 && p.pr === 0 && p.kh * p.kw <= 16;
}

/** Window element offsets from the window's top-left input index, in row-major order. */
function windowOffsets(p: PoolProblem): number[] {
  const out: number[] = [];
  for (let i = 0; i < p.kh; i++) for (let j = 0; j < p.kw; j++) out.push(i * p.W + j);
  return out;
}

/** Loops for padding-free windows: `body` sees `r` (the window's top-left input index) and `yi`. */
function interiorLoops(p: PoolProblem, nExpr: string, body: string): string {
  return `const NC = ${nExpr} * ${p.C};
for (let nc = 0; nc < NC; nc++) {
  const xo = nc * ${p.H * p.W};
  let yi = nc * ${p.OH * p.OW};
  for (let oh = 0; oh < ${p.OH}; oh++) {
    const r0 = xo + oh * ${p.sh * p.W};
    for (let ow = 0, r = r0; ow < ${p.OW}; ow++, yi++, r += ${p.sw}) {
${body}
    }
  }
}`;
}

/** Unrolled arg-max scan of one window: m and best (-1 when nothing beats -Infinity), as in the reference. */
function unrolledMax(p: PoolProblem, x: string, withIndex: boolean): string {
  const lines = [withIndex ? 'let m = -Infinity, best = -1, v = 0;' : 'let m = -Infinity, v = 0;'];
  for (const o of windowOffsets(p)) {
    const at = o === 0 ? 'r' : `r + ${o}`;
    lines.push(withIndex ? `v = ${x}[${at}]; if (v > m) { m = v; best = ${at}; }` : `v = ${x}[${at}]; if (v > m) m = v;`);
  }
  return lines.join('\n');
}

const maxScan = (x: string, W: number) => `let m = -Infinity, best = -1;
for (let ih = hs; ih < he; ih++) {
  const r = xo + ih * ${W};
  for (let iw = ws; iw < we; iw++) { const v = ${x}[r + iw]; if (v > m) { m = v; best = r + iw; } }
}`;

function maxpoolCpu(ctx: CpuKernelContext): string {
  const { p } = inferPool('maxpool2d', ctx.node.inputs.map((v) => v.type), ctx.attrs);
  const [x, y] = [ctx.in[0], ctx.out[0]];
  if (unrollable(p)) return interiorLoops(p, ctx.inShape[0][0], `${unrolledMax(p, x, false)}\n${y}[yi] = m;`);
  return windowLoops(
    p,
    ctx.inShape[0][0],
    `let m = -Infinity;
for (let ih = hs; ih < he; ih++) {
  const r = xo + ih * ${p.W};
  for (let iw = ws; iw < we; iw++) { const v = ${x}[r + iw]; if (v > m) m = v; }
}
${y}[yi] = m;`,
  );
}

function maxpoolGradCpu(ctx: CpuKernelContext): string {
  const { p } = inferPool('maxpool2d_grad', [ctx.node.inputs[0].type], ctx.attrs);
  const [x, dy] = ctx.in;
  const dx = ctx.out[0];
  const fill = `${dx}.fill(0, 0, ${ctx.inShape[0][0]} * ${p.C * p.H * p.W});`;
  if (unrollable(p)) return `${fill}\n${interiorLoops(p, ctx.inShape[0][0], `${unrolledMax(p, x, true)}\nif (best >= 0) ${dx}[best] += ${dy}[yi];`)}`;
  return `${fill}
${windowLoops(p, ctx.inShape[0][0], `${maxScan(x, p.W)}\nif (best >= 0) ${dx}[best] += ${dy}[yi];`)}`;
}

function avgpoolCpu(ctx: CpuKernelContext): string {
  const { p } = inferPool('avgpool2d', ctx.node.inputs.map((v) => v.type), ctx.attrs);
  const [x, y] = [ctx.in[0], ctx.out[0]];
  if (unrollable(p))
    return interiorLoops(p, ctx.inShape[0][0], `${y}[yi] = (${windowOffsets(p).map((o) => `${x}[r + ${o}]`).join(' + ')}) / ${p.kh * p.kw};`);
  return windowLoops(
    p,
    ctx.inShape[0][0],
    `let s = 0;
for (let ih = hs; ih < he; ih++) {
  const r = xo + ih * ${p.W};
  for (let iw = ws; iw < we; iw++) s += ${x}[r + iw];
}
${y}[yi] = s / ((he - hs) * (we - ws));`,
  );
}

function avgpoolGradCpu(ctx: CpuKernelContext): string {
  const p = avgGradProblem(ctx.node.inputs[0].type, ctx.attrs);
  const [dy, dx] = [ctx.in[0], ctx.out[0]];
  return `${dx}.fill(0, 0, ${ctx.inShape[0][0]} * ${p.C * p.H * p.W});
${windowLoops(
  p,
  ctx.inShape[0][0],
  `const g = ${dy}[yi] / ((he - hs) * (we - ws));
for (let ih = hs; ih < he; ih++) {
  const r = xo + ih * ${p.W};
  for (let iw = ws; iw < we; iw++) ${dx}[r + iw] += g;
}`,
)}`;
}

/** op name -> CPU renderer */
export const poolCpuRenderers: OpTable<CpuRenderer> = {
  maxpool2d: {
    kernel: maxpoolCpu,
  },
  maxpool2d_grad: {
    kernel: maxpoolGradCpu,
  },
  avgpool2d: {
    kernel: avgpoolCpu,
  },
  avgpool2d_grad: {
    kernel: avgpoolGradCpu,
  },
};
