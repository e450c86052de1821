/**
 * The graph IR: a typed dataflow graph. Every value has a dtype and a shape
 * (dims may be symbolic). Nodes are kept in topological order. Leaves are
 * nodes too: `input`, `param`, `state` and `const`, so passes see one kind
 * of thing. Types are inferred by the op registry as nodes are built.
 */
import type { Span } from '../grammar/span.js';
import type { Dim, Shape } from './dims.js';

export type DType = 'f32' | 'i32' | 'bool';

export interface TensorType {
  dtype: DType;
  shape: Shape;
}

export type AttrValue = number | string | boolean | null | readonly Dim[] | readonly number[] | readonly string[] | InitSpec;
export type Attrs = Record<string, AttrValue>;

/** How a parameter or state tensor is initialised (done by the runtime with the model's seed). */
export interface InitSpec {
  kind: 'zeros' | 'ones' | 'constant' | 'he_normal' | 'he_uniform' | 'glorot_uniform' | 'glorot_normal' | 'normal' | 'uniform';
  fanIn?: number;
  fanOut?: number;
  value?: number;
  std?: number;
  limit?: number;
}

export interface Value {
  readonly id: number;
  type: TensorType;
  node: Node;
  /** output index within node.outputs */
  index: number;
  /** a readable name for printing and generated comments (e.g. "dense_1.out") */
  name?: string;
}

export interface Node {
  readonly id: number;
  op: string;
  inputs: Value[];
  attrs: Attrs;
  outputs: Value[];
  span?: Span;
  /** where it came from: "LeNet.dense_1" (printing, kernel names) */
  scope?: string;
}

export interface GraphOutput {
  name: string;
  value: Value;
}

/** After a training step, `value` is written back into the param/state tensor `path`. */
export interface GraphUpdate {
  path: string;
  value: Value;
}

/** A symbolic dim that must not exceed `max` at run time (checked when inputs bind it). */
export interface DimLimit {
  dim: string;
  max: number;
  /** what imposes it, for the error: "positional(max: 512)" */
  what: string;
}

/** An integer input whose values must lie in [0, below) (token ids of an embedding), checked on every backend. */
export interface InputRange {
  input: string;
  below: number;
  /** what imposes it, for the error: "embedding(vocab: 65)" */
  what: string;
  /** absent: token ids of a vocabulary; 'classes': class ids of a loss */
  kind?: 'classes';
}

export class Graph {
  nodes: Node[] = [];
  outputs: GraphOutput[] = [];
  updates: GraphUpdate[] = [];
  limits: DimLimit[] = [];
  ranges: InputRange[] = [];
  private nextId = 0;

  constructor(public name: string) {}

  newId(): number {
    return this.nextId++;
  }

  /**
   * Append a node whose output types are already known. Most code should use
   * GraphBuilder.op, which infers types through the registry.
   */
  addNode(op: string, inputs: Value[], attrs: Attrs, outTypes: TensorType[], span?: Span, scope?: string): Node {
    const node: Node = { id: this.newId(), op, inputs, attrs, outputs: [], span, scope };
    node.outputs = outTypes.map((type, index) => ({ id: this.newId(), type, node, index }));
    this.nodes.push(node);
    return node;
  }

  /** leaf nodes of one op ('input', 'param', 'state') */
  leaves(op: 'input' | 'param' | 'state'): Node[] {
    return this.nodes.filter((n) => n.op === op);
  }

  input(name: string): Value | undefined {
    return this.nodes.find((n) => n.op === 'input' && n.attrs.name === name)?.outputs[0];
  }

  /** Map from value id to the nodes that use it. */
  users(): Map<number, Node[]> {
    const m = new Map<number, Node[]>();
    for (const n of this.nodes)
      for (const v of n.inputs) {
        const list = m.get(v.id);
        if (list) list.push(n);
        else m.set(v.id, [n]);
      }
    return m;
  }

  /** Replace every use of `from` (node inputs, outputs, updates) with `to`. */
  replaceAllUses(from: Value, to: Value): void {
    for (const n of this.nodes) n.inputs = n.inputs.map((v) => (v === from ? to : v));
    for (const o of this.outputs) if (o.value === from) o.value = to;
    for (const u of this.updates) if (u.value === from) u.value = to;
  }

  /** Values that must be kept: outputs and updates. */
  roots(): Value[] {
    return [...this.outputs.map((o) => o.value), ...this.updates.map((u) => u.value)];
  }
}
