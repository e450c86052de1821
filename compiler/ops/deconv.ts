/**
 * Transposed 2-D convolution ("deconvolution"), NCHW, PyTorch's weight layout:
 *
 *   conv2d_transpose(x [N, C, H, W], w [C, F/groups, KH, KW]) -> y [N, F, OH, OW]
 *   OH = (H - 1) sh - top - bottom + dh (KH - 1) + oh + 1        (OW likewise)
 *
 * Attributes (all optional): strides [sh, sw] (1), pads [top, left, bottom,
 * right] (0), output_padding [oh, ow] (0, each < its stride: the extra rows
 * and columns at the bottom/right that a strided conv2d would have dropped),
 * dilations [dh, dw] (1), groups (1).
 *
 * It is the adjoint of conv2d: conv2d_transpose(x, w) with these attributes
 * is conv2d_backprop_input(x, w) of the conv2d that maps an [N, F, OH, OW]
 * image to x's [H, W] with the same strides, pads, dilations and groups
 * (output_padding only picks which of the inputs sizes that conv2d rounds
 * down to H is meant). So, with that conv2d's bilinear form
 * B(y, w, x) = <conv2d(y, w), x>:
 *   dL/dx = conv2d(dy, w)                                (same geometry)
 *   dL/dw = conv2d_backprop_filter(dy, x) kernel [KH, KW]
 * and the CPU kernel is conv2d_backprop_input's implicit GEMM
 * (dcol [F/g * KH * KW, H * W] = W^T x_n, then col2im into y_n); likewise
 * its WGSL kernel once conv2d_backprop_input has one.
 *
 * The reference below is its own direct loop (scatter every input pixel
 * through the kernel), independent of conv.ts, so the registry tests check
 * the delegation too.
 */
import { shapeToString, type Dim } from '../dims.js';
import type { Attrs, TensorType } from '../ir.js';
import { ShapeError, type OpDef } from './types.js';
import { pair, type ConvProblem } from './conv.js';
import { refTensor } from './util.js';
import { expectArity, expectDtype, numAttr, numsAttr } from './kernel-util.js';

const OP = 'conv2d_transpose';

/** The geometry of a conv2d_transpose: C, H, W its input, F, OH, OW its output, and its output padding. */
export interface DeconvProblem extends ConvProblem {
  oph: number;
  opw: number;
}

const pairAttr = (attrs: Attrs, name: string, dflt: number, min: number) => pair(OP, attrs, name, dflt, min);

const ts = (t: TensorType) => `${t.dtype}${shapeToString(t.shape)}`;

function staticAfter(t: TensorType, from: number, what: string): number[] {
  const out: number[] = [];
  for (let i = from; i < t.shape.length; i++) {
    const d = t.shape[i];
    if (typeof d !== 'number')
      throw new ShapeError(`${OP}: ${what} needs static sizes${from ? ' after the batch axis' : ''}, got ${ts(t)} (dim ${i} is '${d}')`, 'DNN0011');
    out.push(d);
  }
  return out;
}

/** Checks ranks, dtypes, channels, groups and attributes; returns the static problem and the batch dim. */
export function deconvProblem(inputs: TensorType[], attrs: Attrs): { p: DeconvProblem; N: Dim } {
  expectArity(OP, inputs, 2);
  const [x, w] = inputs;
  if (x.shape.length !== 4)
    throw new ShapeError(`${OP} expects its input as [N, C, H, W]; got ${ts(x)} of rank ${x.shape.length}`, 'DNN0008');
  if (w.shape.length !== 4)
    throw new ShapeError(`${OP} expects its weight as [C, F/groups, KH, KW]; got ${ts(w)} of rank ${w.shape.length}`, 'DNN0008');
  expectDtype(OP, x, ['f32']);
  expectDtype(OP, w, ['f32'], 'weight');
  const [sh, sw] = pairAttr(attrs, 'strides', 1, 1);
  const [dh, dw] = pairAttr(attrs, 'dilations', 1, 1);
  const [oph, opw] = pairAttr(attrs, 'output_padding', 0, 0);
  const pads = numsAttr(attrs, 'pads') ?? [0, 0, 0, 0];
  if (pads.length !== 4 || pads.some((v) => !Number.isInteger(v) || v < 0))
    throw new ShapeError(`${OP}: 'pads' must be four integers >= 0 [top, left, bottom, right], got [${pads.join(', ')}]`, 'DNN0022');
  const groups = numAttr(attrs, 'groups', 1);
  if (!Number.isInteger(groups) || groups < 1) throw new ShapeError(`${OP}: 'groups' must be a positive integer, got ${groups}`, 'DNN0022');
  if (oph >= sh || opw >= sw)
    throw new ShapeError(`${OP}: output_padding [${oph}, ${opw}] must be smaller than the strides [${sh}, ${sw}]`, 'DNN0022');
  const [C, H, W] = staticAfter(x, 1, 'the input');
  const [Cw, Fg, KH, KW] = staticAfter(w, 0, 'the weight');
  const [pt, pl, pb, pr] = pads;
  const desc = `${ts(x)} with weight ${ts(w)} (strides [${sh}, ${sw}], pads [${pads.join(', ')}]${oph || opw ? `, output_padding [${oph}, ${opw}]` : ''}${dh > 1 || dw > 1 ? `, dilations [${dh}, ${dw}]` : ''}${groups > 1 ? `, groups ${groups}` : ''})`;
  if (Cw !== C)
    throw new ShapeError(`${OP}: the weight [C, F/groups, KH, KW] expects ${Cw} input channels but the input has ${C}: ${desc}`);
  if (C % groups !== 0) throw new ShapeError(`${OP}: the input's ${C} channels are not divisible by groups = ${groups}: ${desc}`, 'DNN0022');
  const OH = (H - 1) * sh - pt - pb + dh * (KH - 1) + oph + 1;
  const OW = (W - 1) * sw - pl - pr + dw * (KW - 1) + opw + 1;
  if (OH < 1 || OW < 1) throw new ShapeError(`${OP}: the padding leaves an empty ${OH}x${OW} output: ${desc}`);
  return { p: { C, H, W, F: Fg * groups, KH, KW, OH, OW, sh, sw, pt, pl, pb, pr, oph, opw, dh, dw, groups }, N: x.shape[0] };
}

/** Attributes of the conv2d whose adjoint this is (output_padding dropped). */
export function convAttrs(p: DeconvProblem): Attrs {
  return { strides: [p.sh, p.sw], pads: [p.pt, p.pl, p.pb, p.pr], dilations: [p.dh, p.dw], groups: p.groups };
}

export const conv2d_transpose: OpDef = {
  name: OP,
  kind: 'out-elementwise-fusable', // a GEMM: bias and activation fuse into its epilogue
  doc: 'transposed convolution x [N, C, H, W], w [C, F/groups, KH, KW] -> [N, F, (H-1)sh - pt - pb + dh(KH-1) + oph + 1, ...]; attrs strides, pads [t, l, b, r], output_padding [oh, ow], dilations, groups (the adjoint of conv2d)',
  arity: 2,
  attrNames: ['strides', 'pads', 'output_padding', 'dilations', 'groups'],
  infer(inputs, attrs) {
    const { p, N } = deconvProblem(inputs, attrs);
    return [{ dtype: 'f32', shape: [N, p.F, p.OH, p.OW] }];
  },
  reference(inputs, attrs) {
    const [x, w] = inputs;
    const { p } = deconvProblem(
      inputs.map((t) => ({ dtype: t.dtype, shape: t.shape })),
      attrs,
    );
    const N = x.shape[0];
    const y = refTensor('f32', [N, p.F, p.OH, p.OW]);
    const Cg = p.C / p.groups;
    const Fg = p.F / p.groups;
    for (let n = 0; n < N; n++)
      for (let c = 0; c < p.C; c++) {
        const grp = Math.floor(c / Cg);
        for (let h = 0; h < p.H; h++)
          for (let iw = 0; iw < p.W; iw++) {
            const xv = x.data[((n * p.C + c) * p.H + h) * p.W + iw];
            for (let f = 0; f < Fg; f++) {
              const o = grp * Fg + f;
              for (let kh = 0; kh < p.KH; kh++) {
                const oh = h * p.sh - p.pt + kh * p.dh;
                if (oh < 0 || oh >= p.OH) continue;
                for (let kw = 0; kw < p.KW; kw++) {
                  const ow = iw * p.sw - p.pl + kw * p.dw;
                  if (ow < 0 || ow >= p.OW) continue;
                  y.data[((n * p.F + o) * p.OH + oh) * p.OW + ow] += xv * w.data[((c * Fg + f) * p.KH + kh) * p.KW + kw];
                }
              }
            }
          }
      }
    return [y];
  },
  grad({ b, node, dy }) {
    const g = dy[0];
    if (!g) return [undefined, undefined];
    const [x, w] = node.inputs;
    const { p } = deconvProblem([x.type, w.type], node.attrs);
    const a = convAttrs(p);
    return [b.op('conv2d', [g, w], a), b.op('conv2d_backprop_filter', [g, x], { ...a, kernel: [p.KH, p.KW] })];
  },
  samples: [
    { inputs: [{ shape: [2, 3, 3, 3] }, { shape: [3, 2, 3, 3] }], note: '3x3, stride 1' },
    { inputs: [{ shape: [2, 4, 3, 3] }, { shape: [4, 3, 4, 4] }], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] }, note: 'DCGAN-style 4x4 stride 2 pad 1 (doubles)' },
    { inputs: [{ shape: [2, 3, 3, 2] }, { shape: [3, 2, 3, 3] }], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] }, note: 'output_padding' },
    { inputs: [{ shape: [1, 2, 3, 4] }, { shape: [2, 3, 3, 2] }], attrs: { strides: [2, 3], pads: [0, 1, 2, 0], dilations: [2, 1] }, note: 'asymmetric strides, pads and dilation' },
    { inputs: [{ shape: [2, 4, 3, 3] }, { shape: [4, 1, 3, 3] }], attrs: { groups: 2, strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 0] }, note: 'groups 2' },
  ],
};
