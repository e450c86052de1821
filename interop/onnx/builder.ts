/**
 * Builds one ONNX graph: nodes in order, initializers, graph inputs and
 * outputs with symbolic dims as dim_param, then a ModelProto encoded by
 * onnx-proto (protobufjs), never by hand.
 *
 * Names: graph inputs and outputs keep the model's names, parameters their
 * dnnc paths (LeNet.conv2d_1.weight), everything else `<layer>/<op>_<n>`
 * so a viewer such as Netron groups a layer's nodes.
 */
import onnxProto from 'onnx-proto';
import type { OnnxAttr, OnnxContext } from '../../compiler/ops/onnx.js';
import { dimTerms, type Dim } from '../../compiler/dims.js';
import type { DType, Node } from '../../compiler/ir.js';

const { onnx } = onnxProto;

/** The ONNX operator set the exporter writes (LayerNormalization needs 17). */
export const ONNX_OPSET = 17;
/** IR version 8 is what opset 17 pairs with (ONNX 1.12 and later read it). */
export const ONNX_IR_VERSION = 8;

const CODE: Record<DType | 'i64', number> = { f32: onnx.TensorProto.DataType.FLOAT, i32: onnx.TensorProto.DataType.INT32, bool: onnx.TensorProto.DataType.BOOL, i64: onnx.TensorProto.DataType.INT64 };

/** Little-endian bytes of values as the dtype (ONNX raw_data). */
function rawBytes(dtype: DType | 'i64', data: ArrayLike<number>): Uint8Array {
  const n = data.length;
  const buf = new ArrayBuffer(n * (dtype === 'bool' ? 1 : dtype === 'i64' ? 8 : 4));
  const view = new DataView(buf);
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (dtype === 'f32') view.setFloat32(4 * i, v, true);
    else if (dtype === 'i32') view.setInt32(4 * i, v, true);
    else if (dtype === 'i64') view.setBigInt64(8 * i, BigInt(Math.trunc(v)), true);
    else view.setUint8(i, v ? 1 : 0);
  }
  return new Uint8Array(buf);
}

function attribute(name: string, a: OnnxAttr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('int' in a) return { name, type: T.INT, i: a.int };
  if ('float' in a) return { name, type: T.FLOAT, f: a.float };
  if ('ints' in a) return { name, type: T.INTS, ints: a.ints };
  if ('floats' in a) return { name, type: T.FLOATS, floats: a.floats };
  if ('strings' in a) return { name, type: T.STRINGS, strings: a.strings.map((x) => new TextEncoder().encode(x)) };
  return { name, type: T.STRING, s: new TextEncoder().encode(a.string) };
}

export interface GraphIO {
  name: string;
  dtype: DType;
  shape: readonly Dim[];
}

export class OnnxGraphBuilder {
  private nodes: onnxProto.onnx.INodeProto[] = [];
  private initializers: onnxProto.onnx.ITensorProto[] = [];
  private taken = new Set<string>();
  private counter = 0;
  private dimCache = new Map<string, string>();
  private constants = new Map<string, string>();
  /** the layer (or model) nodes being emitted come from, for names */
  scope = '';

  constructor(
    /** graph inputs: where symbolic dims are read from at run time */
    private readonly inputs: readonly GraphIO[],
  ) {
    for (const i of inputs) this.taken.add(i.name);
  }

  /** Reserves `name` (a graph input/output or a parameter path); a clash gets a numbered suffix. */
  reserve(name: string): string {
    let n = name;
    for (let k = 2; this.taken.has(n); k++) n = `${name}_${k}`;
    this.taken.add(n);
    return n;
  }

  fresh(op: string): string {
    return this.reserve(`${this.scope ? this.scope + '/' : ''}${op}_${this.counter++}`);
  }

  code(dtype: DType | 'i64'): number {
    return CODE[dtype];
  }

  add(op: string, inputs: string[], attrs: Record<string, OnnxAttr> = {}, outputs: string[] | number = 1): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(op.toLowerCase())) : outputs;
    this.nodes.push({
      opType: op,
      name: this.fresh(op),
      input: [...inputs],
      output: [...outs],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** An initializer named `name` (a parameter path) or a fresh constant name. */
  initializer(dtype: DType | 'i64', shape: readonly number[], data: ArrayLike<number>, name?: string): string {
    const n = name ?? this.fresh('const');
    this.initializers.push({ name: n, dataType: CODE[dtype], dims: [...shape], rawData: rawBytes(dtype, data) });
    return n;
  }

  /** A constant; small ones (scalars, axes lists) are shared by value. */
  constant(dtype: DType | 'i64', shape: readonly number[], data: ArrayLike<number>): string {
    if (data.length > 16) return this.initializer(dtype, shape, data);
    const key = `${dtype}[${shape.join(',')}]${Array.from(data).join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.initializer(dtype, shape, data);
    this.constants.set(key, name);
    return name;
  }

  /**
   * An int64 [n] tensor holding the dims. Static dims are constants; a
   * symbol is read from the first graph input that has it (Shape with
   * start/end); sums and products of symbols are computed from those.
   */
  dims(dims: readonly Dim[]): string {
    const key = dims.map(String).join(',');
    const cached = this.dimCache.get(key);
    if (cached) return cached;
    let out: string;
    if (dims.every((d) => typeof d === 'number')) out = this.constant('i64', [dims.length], dims as number[]);
    else {
      const saved = this.scope;
      this.scope = 'shape';
      const parts = dims.map((d) => this.oneDim(d));
      out = parts.length === 1 ? parts[0] : this.add('Concat', parts, { axis: { int: 0 } })[0];
      this.scope = saved;
    }
    this.dimCache.set(key, out);
    return out;
  }

  /** an int64 [1] tensor of one dim */
  private oneDim(d: Dim): string {
    if (typeof d === 'number') return this.constant('i64', [1], [d]);
    const cached = this.dimCache.get(`#${d}`);
    if (cached) return cached;
    let total: string | undefined;
    for (const { coef, symbols } of dimTerms(d)) {
      let term: string | undefined = coef === 1 && symbols.length ? undefined : this.constant('i64', [1], [coef]);
      for (const s of symbols) {
        const sym = this.symbol(s);
        term = term ? this.add('Mul', [term, sym])[0] : sym;
      }
      total = total ? this.add('Add', [total, term!])[0] : term;
    }
    const out = total ?? this.constant('i64', [1], [0]);
    this.dimCache.set(`#${d}`, out);
    return out;
  }

  private symbol(s: string): string {
    const cached = this.dimCache.get(`$${s}`);
    if (cached) return cached;
    for (const input of this.inputs) {
      const axis = input.shape.findIndex((d) => d === s);
      if (axis < 0) continue;
      const out = this.add('Shape', [input.name], { start: { int: axis }, end: { int: axis + 1 } })[0];
      this.dimCache.set(`$${s}`, out);
      return out;
    }
    throw new Error(`the symbolic dim '${s}' is not a dim of any input (${this.inputs.map((i) => `${i.name}[${i.shape.join(', ')}]`).join(', ')})`);
  }

  /** A rule's view of the builder for one IR node. */
  context(node: Node, inputs: string[], outputs: string[]): OnnxContext {
    return {
      node,
      inputs,
      outputs,
      add: (op, ins, attrs, outs) => this.add(op, ins, attrs, outs),
      constant: (dtype, shape, data) => this.constant(dtype, shape, data),
      dims: (d) => this.dims(d),
      code: (d) => this.code(d),
    };
  }

  /** The encoded model. */
  encode(o: { graphName: string; outputs: readonly GraphIO[]; producerVersion: string; doc: string; metadata: Record<string, string> }): Uint8Array {
    const valueInfo = (io: GraphIO): onnxProto.onnx.IValueInfoProto => ({
      name: io.name,
      type: { tensorType: { elemType: CODE[io.dtype], shape: { dim: io.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
    });
    const model = onnx.ModelProto.create({
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      producerName: 'dnnc',
      producerVersion: o.producerVersion,
      docString: o.doc,
      metadataProps: Object.entries(o.metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: o.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs.map(valueInfo),
        output: o.outputs.map(valueInfo),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
