/**
 * Layers the exported package has as modules (python/layers.py): a region
 * of such a layer (interop/regions.ts) becomes `self.<layer>(x)` in the
 * forward and one constructor line in __init__, instead of its ops.
 *
 * Each mapping checks that the region is the layer's own work (one output,
 * its inputs, its tensors, only the ops the layer lowers to) and reads the
 * constructor arguments from the layer call and the region's nodes (a
 * convolution's pads are the ones lowering computed, so 'same' needs no
 * second implementation). A region that does not fit keeps its ops, with
 * its tensors in a layers.Tensors module under the same names.
 */
import type { LayerArg } from '../../compiler/compiled.js';
import type { Node } from '../../compiler/ir.js';
import type { Region } from '../regions.js';

export interface TorchLayer {
  /** undefined when the region becomes the module; else why not */
  misfit(region: Region): string | undefined;
  /** the constructor expression, e.g. `layers.Dense(8, 32, activation='relu')` */
  construct(region: Region): string;
  /** the call's arguments as region input indices, in the module's order */
  args(region: Region): number[];
}

const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'gelu', 'softplus', 'leaky_relu', 'elu'];

const arg = (r: Region, name: string): LayerArg | undefined => r.layer.args[name];
const str = (r: Region, name: string, dflt: string): string => (typeof arg(r, name) === 'string' ? (arg(r, name) as string) : dflt);
const num = (r: Region, name: string, dflt: number): number => (typeof arg(r, name) === 'number' ? (arg(r, name) as number) : dflt);
const py = (v: LayerArg): string => (typeof v === 'boolean' ? (v ? 'True' : 'False') : typeof v === 'string' ? `'${v}'` : Array.isArray(v) ? `(${v.join(', ')}${v.length === 1 ? ',' : ''})` : String(v));
const shapeOf = (r: Region, t: string): number[] => r.tensors.get(t)!.outputs[0].type.shape as number[];
const single = (r: Region, op: string): Node | undefined => {
  const found = r.nodes.filter((n) => n.op === op);
  return found.length === 1 ? found[0] : undefined;
};

/** Keyword arguments that differ from the module's defaults, as `k=v` text. */
function kwargs(pairs: [string, LayerArg, LayerArg][]): string {
  return pairs
    .filter(([, v, d]) => JSON.stringify(v) !== JSON.stringify(d))
    .map(([k, v]) => `, ${k}=${py(v)}`)
    .join('');
}

/** The common checks: `inputs` values read from outside, one output, the tensors present, only `ops` computed. */
function boundary(r: Region, inputs: number, tensors: string[], ops: readonly string[]): string | undefined {
  if (r.inputs.length !== inputs) return `it reads ${r.inputs.length} values from outside the layer`;
  if (r.outputs.length !== 1) return `${r.outputs.length} of its values are read outside the layer`;
  const missing = tensors.filter((t) => !r.tensors.has(t));
  if (missing.length) return `it has no ${missing.join(', ')}`;
  const extra = [...r.tensors.keys()].filter((t) => !tensors.includes(t) && !(t === 'bias' && tensors.includes('weight')));
  if (extra.length) return `it has the unexpected tensors ${extra.join(', ')}`;
  const foreign = [...new Set(r.nodes.map((n) => n.op).filter((op) => !ops.includes(op)))];
  if (foreign.length) return `it computes ${foreign.join(', ')} too`;
  return undefined;
}

/** The activation the call names must be the one (and only one) the region applies. */
function activationMisfit(r: Region): string | undefined {
  const act = str(r, 'activation', 'none');
  const applied = r.nodes.filter((n) => ACTIVATIONS.includes(n.op)).map((n) => n.op);
  const want = act === 'none' ? [] : [act];
  return JSON.stringify(applied) === JSON.stringify(want) ? undefined : `its activations (${applied.join(', ') || 'none'}) are not activation: ${act}`;
}

const dense: TorchLayer = {
  misfit: (r) => boundary(r, 1, ['weight'], ['matmul', 'add', ...ACTIVATIONS]) ?? activationMisfit(r) ?? (single(r, 'matmul') ? undefined : 'it has several products'),
  construct(r) {
    const [inF, units] = shapeOf(r, 'weight');
    return `layers.Dense(${inF}, ${units}${kwargs([
      ['bias', r.tensors.has('bias'), true],
      ['activation', str(r, 'activation', 'none'), 'none'],
    ])})`;
  },
  args: () => [0],
};

function convolution(op: 'conv2d' | 'conv2d_transpose'): TorchLayer {
  return {
    misfit: (r) => boundary(r, 1, ['weight'], [op, 'reshape', 'add', ...ACTIVATIONS]) ?? activationMisfit(r) ?? (single(r, op) ? undefined : `it has several ${op} ops`),
    construct(r) {
      const n = single(r, op)!;
      const a = (k: string, d: number[]) => (Array.isArray(n.attrs[k]) ? (n.attrs[k] as number[]) : d);
      const [w0, w1, kh, kw] = shapeOf(r, 'weight');
      const groups = typeof n.attrs.groups === 'number' ? n.attrs.groups : 1;
      // conv2d: weight [filters, in/groups, kh, kw]; conv2d_transpose: [in, filters/groups, kh, kw]
      const [inC, filters] = op === 'conv2d' ? [w1 * groups, w0] : [w0, w1 * groups];
      const name = op === 'conv2d' ? 'Conv2d' : 'ConvTranspose2d';
      return `layers.${name}(${inC}, ${filters}, kernel=(${kh}, ${kw})${kwargs([
        ['stride', a('strides', [1, 1]), [1, 1]],
        ['pads', a('pads', [0, 0, 0, 0]), [0, 0, 0, 0]],
        ...(op === 'conv2d_transpose' ? ([['output_padding', a('output_padding', [0, 0]), [0, 0]]] as [string, LayerArg, LayerArg][]) : []),
        ['dilation', a('dilations', [1, 1]), [1, 1]],
        ['groups', groups, 1],
        ['bias', r.tensors.has('bias'), true],
        ['activation', str(r, 'activation', 'none'), 'none'],
      ])})`;
    },
    args: () => [0],
  };
}

const NORM_OPS = ['reduce_mean', 'sub', 'square', 'add', 'rsqrt', 'mul', 'reshape'];

const layernorm: TorchLayer = {
  misfit: (r) => boundary(r, 1, ['scale', 'shift'], NORM_OPS),
  construct: (r) => `layers.LayerNorm(${shapeOf(r, 'scale')[0]}${kwargs([['eps', num(r, 'eps', 1e-5), 1e-5]])})`,
  args: () => [0],
};

const rmsnorm: TorchLayer = {
  misfit: (r) => boundary(r, 1, ['scale'], NORM_OPS),
  construct: (r) => `layers.RMSNorm(${shapeOf(r, 'scale')[0]}${kwargs([['eps', num(r, 'eps', 1e-6), 1e-6]])})`,
  args: () => [0],
};

const batchnorm: TorchLayer = {
  misfit: (r) => boundary(r, 1, ['scale', 'shift', 'running_mean', 'running_var'], NORM_OPS),
  construct: (r) =>
    `layers.BatchNorm(${shapeOf(r, 'scale')[0]}, rank=${r.inputs[0].type.shape.length}${kwargs([
      ['momentum', num(r, 'momentum', 0.9), 0.9],
      ['eps', num(r, 'eps', 1e-5), 1e-5],
    ])})`,
  args: () => [0],
};

const embedding: TorchLayer = {
  misfit: (r) => boundary(r, 1, ['weight'], ['gather']),
  construct: (r) => `layers.Embedding(${shapeOf(r, 'weight').join(', ')})`,
  args: () => [0],
};

const ATTENTION_TENSORS = ['query', 'key', 'value', 'out'].flatMap((p) => [`${p}.weight`, `${p}.bias`]);
const attention: TorchLayer = {
  misfit: (r) => boundary(r, arg(r, 'mask') === undefined && r.inputs.length === 1 ? 1 : 2, ATTENTION_TENSORS, ['matmul', 'add', 'sub', 'mul', 'reshape', 'transpose', 'softmax', 'iota', 'greater', 'cast']),
  construct(r) {
    const [features, dim] = shapeOf(r, 'query.weight');
    return `layers.Attention(${features}, heads=${num(r, 'heads', 1)}${kwargs([
      ['dim', dim, features],
      ['causal', arg(r, 'causal') === true, false],
    ])})`;
  },
  // x [B, T, D] first, then the mask [B, T]
  args: (r) => r.inputs.map((v, i) => ({ i, rank: v.type.shape.length })).sort((a, b) => b.rank - a.rank).map((x) => x.i),
};

const RECURRENT_OPS = ['slice', 'reshape', 'matmul', 'add', 'sub', 'mul', 'sigmoid', 'concat', ...ACTIVATIONS];
function recurrent(cell: 'rnn' | 'lstm' | 'gru'): TorchLayer {
  const tensorsOf = (r: Region): string[] => {
    const layers = num(r, 'layers', 1);
    const bidi = arg(r, 'bidirectional') === true;
    const dirs = Array.from({ length: layers }, (_, l) => {
      const sub = layers === 1 ? '' : `l${l}.`;
      return bidi ? [sub, `${sub}reverse.`] : [sub];
    }).flat();
    return dirs.flatMap((p) => [`${p}weight_ih`, `${p}weight_hh`, `${p}bias`, ...(cell === 'gru' ? [`${p}bias_hh`] : [])]);
  };
  return {
    misfit: (r) => boundary(r, 1, tensorsOf(r), RECURRENT_OPS),
    construct(r) {
      const first = num(r, 'layers', 1) === 1 ? 'weight_ih' : 'l0.weight_ih';
      return `layers.Recurrent('${cell}', ${shapeOf(r, first)[0]}, ${num(r, 'units', 0)}${kwargs([
        ['activation', str(r, 'activation', 'tanh'), 'tanh'],
        ['return_', str(r, 'return', 'all'), 'all'],
        ['bidirectional', arg(r, 'bidirectional') === true, false],
        ['layers', num(r, 'layers', 1), 1],
      ])})`;
    },
    args: () => [0],
  };
}

export const torchLayers: Record<string, TorchLayer> = {
  dense,
  conv2d: convolution('conv2d'),
  conv2d_transpose: convolution('conv2d_transpose'),
  layernorm,
  rmsnorm,
  batchnorm,
  embedding,
  attention,
  rnn: recurrent('rnn'),
  lstm: recurrent('lstm'),
  gru: recurrent('gru'),
};
