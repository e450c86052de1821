/**
 * Layers that ONNX has as one operator with dnnc's semantics: a region of
 * such a layer (interop/regions.ts) becomes that operator instead of its
 * ops. Weights stay initializers under their dnnc names and layouts; where
 * ONNX wants another layout (LSTM's gate order, W as [gates, input]) the
 * graph rearranges them with Split/Concat/Transpose nodes on initializers,
 * which runtimes fold once when they load the model.
 *
 *   layernorm   LayerNormalization(axis -1, epsilon)
 *   batchnorm   BatchNormalization in inference form (running statistics);
 *               [B, T, D] is transposed to put the channels on axis 1
 *   lstm        LSTM: dnnc's gates i, f, g, o become ONNX's i, o, f, c, and
 *               dnnc's constant +1 on the forget gate joins the bias
 *   gru         GRU with linear_before_reset = 1 (dnnc's r (h U + c)); gates z, r, n as ONNX's z, r, h
 *   rnn         RNN
 * The recurrent ones take x [B, T, I] as [T, B, I] (layout 0, what every
 * runtime implements), stack `layers`, and give `return: last` from Y_h.
 * A region that does not fit (another boundary, an activation ONNX cannot
 * name) is left to the op-by-op mapping.
 */
import type { Region } from '../regions.js';
import type { OnnxAttr } from '../../compiler/ops/onnx.js';
import type { OnnxGraphBuilder } from './builder.js';

export interface OnnxLayer {
  /** undefined when the region can be emitted as one operator; else why not */
  misfit(region: Region): string | undefined;
  /** emits the operator; `names` gives the ONNX name of a value or leaf; writes the region's output to `output` */
  emit(b: OnnxGraphBuilder, region: Region, name: (valueId: number) => string, output: string): void;
}

const num = (r: Region, arg: string, dflt: number): number => (typeof r.layer.args[arg] === 'number' ? (r.layer.args[arg] as number) : dflt);
const sym = (r: Region, arg: string, dflt: string): string => (typeof r.layer.args[arg] === 'string' ? (r.layer.args[arg] as string) : dflt);

/**
 * The common checks: one f32 input of rank `ranks`, one output, the named
 * tensors present, and no op outside `ops` (what the layer lowers to): the
 * region is the layer's own work and nothing else.
 */
function boundary(r: Region, ranks: number[], tensors: string[], ops: readonly string[]): string | undefined {
  if (r.inputs.length !== 1) return `it reads ${r.inputs.length} values from outside the layer`;
  if (r.outputs.length !== 1) return `${r.outputs.length} of its values are read outside the layer`;
  const x = r.inputs[0].type;
  if (x.dtype !== 'f32' || !ranks.includes(x.shape.length)) return `its input is ${x.dtype} of rank ${x.shape.length}`;
  const missing = tensors.filter((t) => !r.tensors.has(t));
  if (missing.length) return `it has no ${missing.join(', ')}`;
  const foreign = [...new Set(r.nodes.map((n) => n.op).filter((op) => !ops.includes(op)))];
  if (foreign.length) return `it computes ${foreign.join(', ')} too`;
  return undefined;
}

/** an output of the input's shape */
const sameShape = (r: Region): string | undefined => {
  const [x, y] = [r.inputs[0].type.shape, r.outputs[0].type.shape];
  return x.length === y.length && x.every((d, i) => String(d) === String(y[i])) ? undefined : `its output is not the shape of its input`;
};

const NORM_OPS = ['reduce_mean', 'sub', 'square', 'add', 'rsqrt', 'mul', 'reshape'];
const RECURRENT_OPS = ['slice', 'reshape', 'matmul', 'add', 'sub', 'mul', 'sigmoid', 'tanh', 'relu', 'concat'];

const tensor = (r: Region, name: (id: number) => string, t: string): string => name(r.tensors.get(t)!.outputs[0].id);

const layernorm: OnnxLayer = {
  misfit: (r) => boundary(r, [2, 3, 4], ['scale', 'shift'], NORM_OPS) ?? sameShape(r),
  emit(b, r, name, output) {
    b.add('LayerNormalization', [name(r.inputs[0].id), tensor(r, name, 'scale'), tensor(r, name, 'shift')], { axis: { int: -1 }, epsilon: { float: num(r, 'eps', 1e-5) } }, [output]);
  },
};

const batchnorm: OnnxLayer = {
  misfit: (r) => boundary(r, [2, 3, 4], ['scale', 'shift', 'running_mean', 'running_var'], NORM_OPS) ?? sameShape(r),
  emit(b, r, name, output) {
    const x = name(r.inputs[0].id);
    const rank = r.inputs[0].type.shape.length;
    const args = (input: string) => [input, ...['scale', 'shift', 'running_mean', 'running_var'].map((t) => tensor(r, name, t))];
    const attrs = { epsilon: { float: num(r, 'eps', 1e-5) } };
    if (rank !== 3) {
      b.add('BatchNormalization', args(x), attrs, [output]);
      return;
    }
    // [B, T, D]: the channels are the last axis; ONNX normalises axis 1
    const swap = { perm: { ints: [0, 2, 1] } };
    const y = b.add('BatchNormalization', args(b.add('Transpose', [x], swap)[0]), attrs);
    b.add('Transpose', y, swap, [output]);
  },
};

type Cell = 'lstm' | 'gru' | 'rnn';
const GATES: Record<Cell, number> = { lstm: 4, gru: 3, rnn: 1 };
/** ONNX's gate order as indices into dnnc's: LSTM i, o, f, c from dnnc's i, f, g, o */
const ORDER: Record<Cell, number[]> = { lstm: [0, 3, 1, 2], gru: [0, 1, 2], rnn: [0] };
const OP: Record<Cell, string> = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN' };
const ACTIVATION: Record<string, string> = { tanh: 'Tanh', relu: 'Relu', sigmoid: 'Sigmoid' };

/** Tensor path prefixes of one layer and direction: '', 'reverse.', 'l1.', 'l1.reverse.' */
function prefixes(layers: number, bidi: boolean): string[][] {
  return Array.from({ length: layers }, (_, l) => {
    const sub = layers === 1 ? '' : `l${l}.`;
    return bidi ? [sub, `${sub}reverse.`] : [sub];
  });
}

function recurrent(cell: Cell): OnnxLayer {
  const G = GATES[cell];
  return {
    misfit(r) {
      const act = sym(r, 'activation', 'tanh');
      if (!ACTIVATION[act]) return `ONNX's ${OP[cell]} has no activation '${act}' in dnnc's form`;
      const layers = num(r, 'layers', 1);
      const names = prefixes(layers, r.layer.args.bidirectional === true).flat().flatMap((p) => [`${p}weight_ih`, `${p}weight_hh`, `${p}bias`, ...(cell === 'gru' ? [`${p}bias_hh`] : [])]);
      return boundary(r, [3], names, RECURRENT_OPS);
    },
    emit(b, r, name, output) {
      const H = num(r, 'units', 0);
      const act = ACTIVATION[sym(r, 'activation', 'tanh')];
      const layers = num(r, 'layers', 1);
      const bidi = r.layer.args.bidirectional === true;
      const last = sym(r, 'return', 'all') === 'last';
      const axis0 = b.constant('i64', [1], [0]);
      const stack = (parts: string[]) => (parts.length === 1 ? b.add('Unsqueeze', [parts[0], axis0])[0] : b.add('Concat', parts.map((p) => b.add('Unsqueeze', [p, axis0])[0]), { axis: { int: 0 } })[0]);
      /** columns (or elements) of a [.., G*H] tensor regrouped in ONNX's gate order; `add` is added to dnnc gate k */
      const regroup = (t: string, rank: number, add?: { gate: number; value: number }): string => {
        if (G === 1) return t;
        const parts = b.add('Split', [t], { axis: { int: rank - 1 } }, G);
        if (add) parts[add.gate] = b.add('Add', [parts[add.gate], b.constant('f32', [], [add.value])])[0];
        return b.add('Concat', ORDER[cell].map((k) => parts[k]), { axis: { int: rank - 1 } })[0];
      };
      const transposed = (t: string) => b.add('Transpose', [regroup(t, 2)], { perm: { ints: [1, 0] } })[0];
      let xs = b.add('Transpose', [name(r.inputs[0].id)], { perm: { ints: [1, 0, 2] } })[0]; // [T, B, I]
      let yh = '';
      for (const dirs of prefixes(layers, bidi)) {
        const t = (p: string, what: string) => tensor(r, name, `${p}${what}`);
        const W = stack(dirs.map((p) => transposed(t(p, 'weight_ih'))));
        const R = stack(dirs.map((p) => transposed(t(p, 'weight_hh'))));
        const Bs = dirs.map((p) => {
          const wb = regroup(t(p, 'bias'), 1, cell === 'lstm' ? { gate: 1, value: 1 } : undefined);
          const rb = cell === 'gru' ? regroup(t(p, 'bias_hh'), 1) : b.constant('f32', [G * H], new Array<number>(G * H).fill(0));
          return b.add('Concat', [wb, rb], { axis: { int: 0 } })[0];
        });
        const activations = cell === 'rnn' ? [act] : cell === 'gru' ? ['Sigmoid', act] : ['Sigmoid', act, act];
        const attrs: Record<string, OnnxAttr> = {
          hidden_size: { int: H },
          direction: { string: bidi ? 'bidirectional' : 'forward' },
          activations: { strings: dirs.flatMap(() => activations) },
          ...(cell === 'gru' ? { linear_before_reset: { int: 1 } } : {}),
        };
        const [Y, Yh] = b.add(OP[cell], [xs, W, R, stack(Bs)], attrs, cell === 'lstm' ? 3 : 2);
        yh = Yh;
        // [T, dirs, B, H] -> [T, B, dirs * H]: the next layer's input (directions side by side, forward first)
        xs = b.add('Reshape', [b.add('Transpose', [Y], { perm: { ints: [0, 2, 1, 3] } })[0], b.constant('i64', [3], [0, 0, -1])])[0];
      }
      if (last) b.add('Reshape', [b.add('Transpose', [yh], { perm: { ints: [1, 0, 2] } })[0], b.constant('i64', [2], [0, -1])], {}, [output]);
      else b.add('Transpose', [xs], { perm: { ints: [1, 0, 2] } }, [output]);
    },
  };
}

export const onnxLayers: Record<string, OnnxLayer> = {
  layernorm,
  batchnorm,
  lstm: recurrent('lstm'),
  gru: recurrent('gru'),
  rnn: recurrent('rnn'),
};
