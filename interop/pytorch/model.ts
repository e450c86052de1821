/**
 * model.py of the exported package: one nn.Module class per model.
 *
 * __init__ creates a module per layer with weights, in source order, at the
 * attribute its path names (`self.conv2d_1`; blocks and repeats nest in
 * nn.ModuleDicts: `self.layers["0"].attention_1`), so state_dict keys are
 * dnnc's tensor paths without the model's name. forward(<inputs>) is the
 * predict graph: a layer that python/layers.py has is one call, everything
 * else (activations, pools, reshapes, arithmetic) the ops' PyTorch
 * spellings. DNNC_WEIGHTS lists the tensors in dnnc's order (files and
 * params_hash follow it), DNNC_INIT the initialisers.
 */
import type { CompiledModel, TensorSpec } from '../../compiler/compiled.js';
import type { InitSpec, Node } from '../../compiler/ir.js';
import { findRegions, untangle, type Region } from '../regions.js';
import { torchLayers } from './layers.js';
import { identifier, isAttribute } from './names.js';
import { translate, type LargeConstant, type ModuleCall } from './translate.js';

export interface ModelSource {
  /** the model's dnnc name */
  name: string;
  className: string;
  /** the class definition */
  text: string;
  /** constants too large to write inline, loaded from constants.safetensors as `<className>.<name>` */
  constants: LargeConstant[];
  /** layers kept as their ops, and why */
  fallbacks: { path: string; why: string }[];
}

/** The Python expression of a module below `self` at `segments` (intermediate scopes are ModuleDicts). */
function moduleExpr(segments: readonly string[]): string {
  let e = isAttribute(segments[0]) ? `self.${segments[0]}` : `self._modules[${JSON.stringify(segments[0])}]`;
  for (const s of segments.slice(1)) e += isAttribute(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  return e;
}

/** A tensor inside a layer's module: `.weight`, `.query.weight` (plain attributes; getattr for odd names). */
function tensorExpr(moduleE: string, rel: string): string {
  return rel.split('.').reduce((e, s) => (isAttribute(s) ? `${e}.${s}` : `getattr(${e}, ${JSON.stringify(s)})`), moduleE);
}

/** dnnc's initialiser as (kind, parameter) after fans are resolved, as runtime/init.ts does. */
function initEntry(spec: TensorSpec): string {
  const init: InitSpec = spec.init;
  const shape = spec.shape;
  const last = shape.length ? shape[shape.length - 1] : 1;
  const rest = shape.length > 1 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : last;
  const fanIn = init.fanIn ?? rest;
  const fanOut = init.fanOut ?? last;
  const f = (x: number) => Number(x.toPrecision(8));
  switch (init.kind) {
    case 'zeros':
    case 'ones':
      return `('${init.kind}', None)`;
    case 'constant':
      return `('constant', ${init.value ?? 0})`;
    case 'normal':
      return `('normal', ${f(init.std ?? 0.05)})`;
    case 'uniform':
      return `('uniform', ${f(init.limit ?? 0.05)})`;
    case 'he_normal':
      return `('normal', ${f(Math.sqrt(2 / fanIn))})`;
    case 'he_uniform':
      return `('uniform', ${f(Math.sqrt(6 / fanIn))})`;
    case 'glorot_normal':
      return `('normal', ${f(Math.sqrt(2 / (fanIn + fanOut)))})`;
    case 'glorot_uniform':
      return `('uniform', ${f(Math.sqrt(6 / (fanIn + fanOut)))})`;
  }
}

/** The `model Name { ... }` block of the source, for the class docstring. */
function sourceBlock(source: string | undefined, name: string): string | undefined {
  if (!source) return undefined;
  const m = new RegExp(`^model\\s+${name}\\s*\\{`, 'm').exec(source);
  if (!m) return undefined;
  let depth = 0;
  for (let i = m.index; i < source.length; i++) {
    if (source[i] === '{') depth++;
    else if (source[i] === '}' && --depth === 0) return source.slice(m.index, i + 1);
  }
  return undefined;
}

const indent = (lines: string[], by: string) => lines.map((l) => (l ? by + l : l));

export function modelSource(model: CompiledModel, file: string, source: string | undefined): ModelSource {
  const className = identifier(model.name);
  const prefix = model.name + '.';
  const rel = (path: string) => path.slice(prefix.length);
  const graph = untangle(model.predict, model.layers ?? []);
  const regions = findRegions(graph, model.layers ?? []);
  const layerPaths = new Set(regions.keys());

  // which module owns each tensor: its layer, else the scope above it
  const owner = (path: string): string => {
    for (let cut = path.lastIndexOf('.'); cut > 0; cut = path.lastIndexOf('.', cut - 1)) if (layerPaths.has(path.slice(0, cut))) return path.slice(0, cut);
    return path.slice(0, path.lastIndexOf('.'));
  };

  // modules: a mapped layer, or a Tensors holder of the weights of an unmapped one
  const ctor = new Map<string, string>();
  const calls = new Map<Node, ModuleCall>();
  const skip = new Set<Node>();
  const fallbacks: ModelSource['fallbacks'] = [];
  const tensorsOf = new Map<string, TensorSpec[]>();
  const states = new Set(model.state.map((s) => s.path));
  for (const t of [...model.params, ...model.state]) {
    const o = owner(t.path);
    tensorsOf.set(o, [...(tensorsOf.get(o) ?? []), t]);
  }
  for (const region of regions.values()) {
    const mapping = torchLayers[region.layer.kind];
    const hasWork = region.nodes.length > 0;
    const why = !mapping ? undefined : !hasWork ? 'it has no ops in the predict graph' : mapping.misfit(region);
    if (mapping && hasWork && !why) {
      const path = region.layer.path;
      ctor.set(path, mapping.construct(region));
      const order = mapping.args(region);
      const inputs = order.map((i) => region.inputs[i]);
      const e = moduleExpr(rel(path).split('.'));
      calls.set(region.nodes[region.nodes.length - 1], {
        output: region.outputs[0],
        name: rel(path).split('.').pop()!,
        call: (args) => `${e}(${args.join(', ')})`,
        inputs,
      });
      for (const n of region.nodes) skip.add(n);
    } else if (mapping && why) fallbacks.push({ path: region.layer.path, why });
  }
  for (const [path, tensors] of tensorsOf) {
    if (ctor.has(path)) continue;
    const list = (ts: TensorSpec[]) => `[${ts.map((t) => `(${JSON.stringify(path ? t.path.slice(path.length + 1) : t.path)}, (${t.shape.join(', ')}${t.shape.length === 1 ? ',' : ''}))`).join(', ')}]`;
    const params = tensors.filter((t) => !states.has(t.path));
    const buffers = tensors.filter((t) => states.has(t.path));
    ctor.set(path, `layers.Tensors(${params.length ? `params=${list(params)}` : ''}${params.length && buffers.length ? ', ' : ''}${buffers.length ? `buffers=${list(buffers)}` : ''})`);
  }

  // __init__: containers for nested scopes, then the modules in source order
  const init: string[] = ['super().__init__()'];
  const made = new Set<string>();
  const order = [...(model.layers ?? []).map((l) => l.path).filter((p) => ctor.has(p)), ...[...ctor.keys()].filter((p) => !(model.layers ?? []).some((l) => l.path === p))];
  for (const path of order) {
    const segs = rel(path).split('.');
    for (let i = 1; i < segs.length; i++) {
      const key = segs.slice(0, i).join('.');
      if (made.has(key)) continue;
      made.add(key);
      init.push(assign(segs.slice(0, i), 'nn.ModuleDict()'));
    }
    init.push(assign(segs, ctor.get(path)!));
  }
  init.push('layers.init_weights(self, self.DNNC_INIT)');

  // forward
  const inputs = model.inputs.map((i) => identifier(i.name));
  const given = new Map<number, string>();
  for (const n of graph.nodes) if (n.op === 'input') given.set(n.outputs[0].id, identifier(String(n.attrs.name)));
  const t = translate({
    graph,
    roots: graph.outputs.map((o) => o.value),
    rootNames: graph.outputs.map((o) => o.name),
    given,
    tensor: (leaf) => {
      const path = String(leaf.attrs.path);
      const o = owner(path);
      return tensorExpr(moduleExpr(rel(o).split('.')), path.slice(o.length + 1));
    },
    calls,
    skip,
    dimSources: model.inputs.map((i) => ({ expr: identifier(i.name), shape: i.shape })),
    // module attributes too: a buffer for a large constant must not take a module's name
    reserved: ['self', 'torch', 'F', 'nn', 'layers', 'ops', 'device', 'constants', ...inputs, ...[...ctor.keys()].map((p) => rel(p).split('.')[0])],
    bufferPrefix: 'self.',
    model: model.name,
  });
  for (const c of t.constants) init.splice(init.length - 1, 0, `self.register_buffer(${JSON.stringify(c.name)}, constants.load(${JSON.stringify(`${className}.${c.name}`)}), persistent=False)`);
  const outs = model.outputs.map((o, i) => `${JSON.stringify(o.name)}: ${t.results[i]}`);
  const ret = model.outputs.length === 1 ? `return ${t.results[0]}` : `return {${outs.join(', ')}}`;

  const sig = (io: { name: string; dtype: string; shape: readonly (string | number)[] }) => `${io.name} ${io.dtype}[${io.shape.join(', ')}]`;
  const block = sourceBlock(source, model.name);
  const doc = [
    `"""model ${model.name} of ${file}: ${model.inputs.map(sig).join(', ')} -> ${model.outputs.map(sig).join(', ')}`,
    '',
    `forward(${inputs.join(', ')}) returns ${model.outputs.length === 1 ? `${model.outputs[0].name}` : `{${model.outputs.map((o) => o.name).join(', ')}}`}.`,
    ...(block ? ['', 'The source:', '', ...block.split('\n').map((l) => '    ' + l.replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"'))] : []),
    '"""',
  ];
  const weights = [...model.params, ...model.state].map((w) => `(${JSON.stringify(w.path)}, ${JSON.stringify(w.dtype)}, [${w.shape.join(', ')}]),`);
  const inits = [...model.params, ...model.state].map((w) => `${JSON.stringify(rel(w.path))}: ${initEntry(w)},`);
  const lines = [
    `class ${className}(nn.Module):`,
    ...indent(doc, '    '),
    '',
    `    DNNC_NAME = ${JSON.stringify(model.name)}`,
    `    INPUTS = [${model.inputs.map((i) => JSON.stringify(i.name)).join(', ')}]`,
    `    OUTPUTS = [${model.outputs.map((o) => JSON.stringify(o.name)).join(', ')}]`,
    '    # (path, dtype, shape) of every tensor in dnnc order: parameters, then state',
    '    DNNC_WEIGHTS = [',
    ...indent(weights, '        '),
    '    ]',
    "    # dnnc's initialisers: (zeros|ones|constant value|normal std|uniform limit)",
    '    DNNC_INIT = {',
    ...indent(inits, '        '),
    '    }',
    '',
    '    def __init__(self):',
    ...indent(init, '        '),
    '',
    `    def forward(self, ${inputs.join(', ')}):`,
    ...indent([...t.lines, ret], '        '),
  ];
  return { name: model.name, className, text: lines.join('\n') + '\n', constants: t.constants.map((c) => ({ ...c, name: `${className}.${c.name}` })), fallbacks };
}

/** `self.a = m` / `self.a["0"]["b"] = m` for a module at `segs` below self. */
function assign(segs: string[], value: string): string {
  if (segs.length === 1) return isAttribute(segs[0]) ? `self.${segs[0]} = ${value}` : `self.add_module(${JSON.stringify(segs[0])}, ${value})`;
  return `${moduleExpr(segs.slice(0, -1))}[${JSON.stringify(segs[segs.length - 1])}] = ${value}`;
}

export type { Region };
