/**
 * A graph as Python statements: the body of a model's forward, or of the
 * train block's loss_and_metrics. Each op becomes the expression its
 * compiler/ops/torch.ts rule gives; a layer region kept as a module becomes
 * one call at the place of its last node; a short expression read once is
 * inlined into its reader, so the code reads like the .dnn file.
 *
 * Algorithm:
 * 1. Mark the nodes the roots need, walking back from them and stopping at
 *    `given` values (arguments, model outputs) and leaves.
 * 2. Name values: bindings of the source keep their names (`h`, `logits`),
 *    region outputs their layer's (`conv2d_1`), others their op's.
 * 3. Emit in graph order; scalar constants are literals, small ones inline
 *    tensors, large ones buffers of the module (`constants` returns them).
 * 4. Prepend the symbolic dims the code uses (`B = image.shape[0]`) and the
 *    device, when a tensor is made in the code.
 */
import type { Dim } from '../../compiler/dims.js';
import { dimTerms } from '../../compiler/dims.js';
import type { DType, Graph, Node, Value } from '../../compiler/ir.js';
import { pyFloat, TORCH_DTYPE, torchMapping, type TorchContext, type TorchRule } from '../../compiler/ops/torch.js';
import { BUILTINS, NameScope } from './names.js';

export interface ModuleCall {
  /** the value the call produces */
  output: Value;
  /** the name to give it (the layer's) */
  name: string;
  /** the call, given its arguments' expressions */
  call: (args: string[]) => string;
  /** the values it reads, in call order */
  inputs: Value[];
}

export interface TranslateOptions {
  graph: Graph;
  roots: Value[];
  /** names for the roots (the model's outputs, loss and metrics) */
  rootNames?: string[];
  /** expressions of values computed elsewhere: arguments, model outputs */
  given: Map<number, string>;
  /** expression of a param/state leaf */
  tensor(leaf: Node): string;
  /** regions kept as modules, by their last node; their other nodes are skipped */
  calls: Map<Node, ModuleCall>;
  skip: Set<Node>;
  /** where symbolic dims are read from: an expression and its shape */
  dimSources: { expr: string; shape: readonly Dim[] }[];
  /** names already taken (arguments, module names) */
  reserved: Iterable<string>;
  /** prefix of buffers for large constants (`self.`) */
  bufferPrefix: string;
  /** the model's name, stripped from scopes in comments */
  model: string;
}

export interface LargeConstant {
  name: string;
  dtype: DType;
  shape: number[];
  data: number[];
}

export interface Translation {
  lines: string[];
  /** the expression of each root */
  results: string[];
  constants: LargeConstant[];
}

const INLINE_LIMIT = 72;

/** `(a + b)` -> `a + b` when the parentheses enclose the whole expression. */
function unwrap(expr: string): string {
  if (!expr.startsWith('(') || !expr.endsWith(')')) return expr;
  let depth = 0;
  for (let i = 0; i < expr.length; i++) {
    if (expr[i] === '(') depth++;
    else if (expr[i] === ')' && --depth === 0 && i < expr.length - 1) return expr;
  }
  return expr.slice(1, -1);
}

export function translate(o: TranslateOptions): Translation {
  // 1. what the roots need
  const needed = new Set<Node>();
  const stack = o.roots.map((v) => v.node);
  const givenNode = (v: Value) => o.given.has(v.id);
  while (stack.length) {
    const n = stack.pop()!;
    if (needed.has(n)) continue;
    needed.add(n);
    const call = o.calls.get(n);
    const inputs = call ? call.inputs : o.skip.has(n) ? [] : n.inputs;
    for (const v of inputs) if (!givenNode(v)) stack.push(v.node);
  }

  const names = new NameScope([...o.reserved, ...BUILTINS]);
  const exprs = new Map<number, string>(o.given);
  const literal = new Set<number>();
  const usedDims = new Set<string>();
  let usesDevice = false;
  const constants: LargeConstant[] = [];
  const readers = new Map<number, number>();
  for (const n of o.graph.nodes) {
    if (!needed.has(n)) continue;
    const call = o.calls.get(n);
    if (!call && o.skip.has(n)) continue;
    for (const v of call ? call.inputs : n.inputs) readers.set(v.id, (readers.get(v.id) ?? 0) + 1);
  }
  for (const r of o.roots) readers.set(r.id, (readers.get(r.id) ?? 0) + 2); // roots are always named

  const dimExpr = (d: Dim): string => {
    if (typeof d === 'number') return String(d);
    const terms = dimTerms(d).map(({ coef, symbols }) => {
      for (const s of symbols) usedDims.add(s);
      return [...(coef === 1 && symbols.length ? [] : [String(coef)]), ...symbols].join(' * ');
    });
    return terms.length === 1 ? terms[0] : `(${terms.join(' + ').replace(/\+ -/g, '- ')})`;
  };
  const dimsTuple = (ds: readonly Dim[]): string => (ds.length === 1 ? `(${dimExpr(ds[0])},)` : `(${ds.map(dimExpr).join(', ')})`);
  const pyValue = (v: number, dtype: DType): string => (dtype === 'f32' ? pyFloat(v) : dtype === 'bool' ? (v ? 'True' : 'False') : String(Math.trunc(v)));

  const lines: string[] = [];
  /** the layer a node comes from, relative to the model ('' for the model itself) */
  const layerOf = (n: Node) => (n.scope && n.scope !== o.model && n.scope.startsWith(o.model + '.') ? n.scope.slice(o.model.length + 1) : '');
  const rootName = new Map(o.roots.map((v, i) => [v.id, o.rootNames?.[i]]));
  /** binds an expression to a value: inlined when short and read once, else a named statement */
  const bind = (v: Value, expr: string, n: Node, layer = layerOf(n), comment = true) => {
    // a value the source names (h = ...) keeps its statement; others read once are inlined
    const named = v.name !== undefined && /^[A-Za-z_]\w*$/.test(v.name);
    if ((readers.get(v.id) ?? 0) === 1 && expr.length <= INLINE_LIMIT && !rootName.has(v.id) && !named) {
      exprs.set(v.id, expr);
      return;
    }
    const name = names.take(rootName.get(v.id) ?? (named ? v.name! : layer ? layer.split('.').pop()! : n.op));
    const note = layer && comment && name !== layer.split('.').pop() ? `  # ${layer}` : '';
    lines.push(`${name} = ${unwrap(expr)}${note}`);
    exprs.set(v.id, name);
  };

  // 3. emit
  for (const n of o.graph.nodes) {
    if (!needed.has(n)) continue;
    const v0 = n.outputs[0];
    if (o.given.has(v0?.id)) continue;
    const call = o.calls.get(n);
    if (call) {
      bind(call.output, call.call(call.inputs.map((v) => exprs.get(v.id)!)), n, call.name, false);
      continue;
    }
    if (o.skip.has(n)) continue;
    const t = v0.type;
    switch (n.op) {
      case 'input':
        throw new Error(`internal: input '${String(n.attrs.name)}' has no expression`);
      case 'param':
      case 'state':
        exprs.set(v0.id, o.tensor(n));
        continue;
      case 'const': {
        const data = Array.isArray(n.attrs.data) ? (n.attrs.data as number[]) : undefined;
        const value = Number(n.attrs.value ?? 0);
        if (t.shape.length === 0) {
          exprs.set(v0.id, pyValue(data ? data[0] : value, t.dtype));
          literal.add(v0.id);
        } else if (!t.shape.every((d): d is number => typeof d === 'number')) {
          usesDevice = true;
          exprs.set(v0.id, `torch.full(${dimsTuple(t.shape)}, ${pyValue(value, t.dtype)}, dtype=${TORCH_DTYPE[t.dtype]}, device=device)`);
        } else {
          const shape = t.shape;
          const count = shape.reduce((a, b) => a * b, 1);
          const all = data ?? new Array<number>(count).fill(value);
          if (count <= 16) {
            usesDevice = true;
            exprs.set(v0.id, `torch.tensor([${all.map((x) => pyValue(x, t.dtype)).join(', ')}], dtype=${TORCH_DTYPE[t.dtype]}, device=device).reshape(${dimsTuple(shape)})`);
          } else {
            // named after its layer (a sinusoidal positional table: `self.positional_1`)
            const name = names.take(layerOf(n) ? layerOf(n).split('.').pop()! : 'constant');
            constants.push({ name, dtype: t.dtype, shape, data: all });
            exprs.set(v0.id, `${o.bufferPrefix}${name}`);
          }
        }
        continue;
      }
    }
    const mapping = torchMapping(n.op);
    if (!mapping || typeof mapping !== 'function') throw new Error(`internal: op '${n.op}' has no PyTorch rule`);
    const args = n.inputs.map((v) => exprs.get(v.id)!);
    const cx: TorchContext = {
      node: n,
      args,
      literal: (i) => literal.has(n.inputs[i].id),
      tensor: (i) => {
        if (!literal.has(n.inputs[i].id)) return args[i];
        usesDevice = true;
        return `torch.tensor(${args[i]}, dtype=${TORCH_DTYPE[n.inputs[i].type.dtype]}, device=device)`;
      },
      dims: dimsTuple,
      dim: dimExpr,
      device: () => {
        usesDevice = true;
        return 'device';
      },
    };
    bind(v0, (mapping as TorchRule)(cx), n);
  }

  // 4. prelude: dims and the device
  const prelude: string[] = [];
  for (const s of [...usedDims].sort()) {
    const src = o.dimSources.find((d) => d.shape.some((x) => x === s));
    if (!src) throw new Error(`internal: no input has the dim '${s}'`);
    prelude.push(`${s} = ${src.expr}.shape[${src.shape.findIndex((x) => x === s)}]`);
  }
  if (usesDevice) prelude.push(`device = ${o.dimSources[0]?.expr ?? 'torch'}.device`);
  return { lines: [...prelude, ...lines], results: o.roots.map((v) => exprs.get(v.id)!), constants };
}
