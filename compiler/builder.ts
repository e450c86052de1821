/**
 * GraphBuilder: appends nodes to a graph, inferring output types through the
 * op registry. Used by lowering, autodiff and optimizer lowering alike.
 */
import type { Span } from '../grammar/span.js';
import { dimEq, type Dim, type Shape } from './dims.js';
import { Graph, type Attrs, type DType, type InitSpec, type Value } from './ir.js';
import { getOp } from './ops/index.js';
import type { GradBuilder } from './ops/types.js';

export class GraphBuilder implements GradBuilder {
  /** span and scope given to new nodes (lowering sets them per statement) */
  span?: Span;
  scope?: string;

  constructor(readonly graph: Graph) {}

  /** Add a registry op and return its outputs. Throws ShapeError from the op's shape rule. */
  opN(op: string, inputs: Value[], attrs: Attrs = {}): Value[] {
    const def = getOp(op);
    const types = def.infer(
      inputs.map((v) => v.type),
      attrs,
    );
    return this.graph.addNode(op, inputs, attrs, types, this.span, this.scope).outputs;
  }

  op(op: string, inputs: Value[], attrs: Attrs = {}): Value {
    return this.opN(op, inputs, attrs)[0];
  }

  input(name: string, dtype: DType, shape: Shape, role: 'data' | 'train' | 'hyper' = 'data'): Value {
    return this.op('input', [], { name, dtype, shape, role });
  }

  /** A scalar fed by the runtime (role 'hyper': lr, step, seed); created once per graph. */
  hyper(name: string): Value {
    const existing = this.graph.nodes.find((n) => n.op === 'input' && n.attrs.name === name && n.attrs.role === 'hyper');
    if (existing) return existing.outputs[0];
    const saved = this.scope;
    this.scope = undefined;
    const v = this.input(name, 'f32', [], 'hyper');
    this.scope = saved;
    return v;
  }

  param(path: string, dtype: DType, shape: Shape, init: InitSpec): Value {
    return this.op('param', [], { path, dtype, shape, init });
  }

  state(path: string, dtype: DType, shape: Shape, init: InitSpec): Value {
    return this.op('state', [], { path, dtype, shape, init });
  }

  /** A scalar constant (shape []). */
  scalar(value: number, dtype: DType = 'f32'): Value {
    return this.op('const', [], { value, dtype, shape: [] });
  }

  /** A constant tensor filled with one value. */
  fill(value: number, shape: Shape, dtype: DType = 'f32'): Value {
    return this.op('const', [], { value, dtype, shape });
  }

  add(a: Value, b: Value): Value {
    return this.op('add', [a, b]);
  }
  sub(a: Value, b: Value): Value {
    return this.op('sub', [a, b]);
  }
  mul(a: Value, b: Value): Value {
    return this.op('mul', [a, b]);
  }
  div(a: Value, b: Value): Value {
    return this.op('div', [a, b]);
  }
  neg(a: Value): Value {
    return this.op('neg', [a]);
  }

  reshape(v: Value, shape: Shape): Value {
    if (v.type.shape.length === shape.length && v.type.shape.every((d, i) => dimEq(d, shape[i]))) return v;
    return this.op('reshape', [v], { shape });
  }

  /** Sum `v` down to `shape` (undoing numpy broadcasting): the gradient of a broadcast. */
  unbroadcast(v: Value, shape: Shape): Value {
    const from = v.type.shape;
    if (from.length === shape.length && from.every((d, i) => dimEq(d, shape[i]))) return v;
    const lead = from.length - shape.length;
    const axes: number[] = [];
    for (let i = 0; i < from.length; i++) {
      if (i < lead) axes.push(i);
      else if (!dimEq(shape[i - lead], from[i]) && dimEq(shape[i - lead], 1)) axes.push(i);
    }
    const summed = axes.length ? this.op('reduce_sum', [v], { axes, keepdims: true }) : v;
    return this.reshape(summed, shape);
  }

  /** Broadcast `v` up to `shape`. */
  broadcastTo(v: Value, shape: Shape): Value {
    const from = v.type.shape;
    if (from.length === shape.length && from.every((d, i) => dimEq(d, shape[i]))) return v;
    return this.op('broadcast_to', [v], { shape: shape as Dim[] });
  }
}
