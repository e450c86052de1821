/**
 * A model's predict graph as an ONNX model (opset 17): graph inputs and
 * outputs with the model's names and symbolic dims as dim_param, weights
 * as initializers named by their dnnc paths, every op through its entry in
 * compiler/ops/onnx.ts, and the layers ONNX has as one operator through
 * ./layers.ts.
 *
 * Algorithm:
 * 1. Find the layer regions; keep those an ONNX layer mapping fits.
 * 2. Every other op node must have a rule: one that has none is a DNN0031
 *    diagnostic at the node's source, naming the op and its layer; with
 *    any, nothing is built.
 * 3. Walk the nodes in order: leaves become inputs, initializers or
 *    constants; a kept region is emitted where its last node stood; other
 *    nodes through their rules. Graph outputs get the output names.
 */
import type { CompiledModel } from '../../compiler/compiled.js';
import { makeDiagnostic, type Diagnostic } from '../../compiler/diagnostics.js';
import type { Node } from '../../compiler/ir.js';
import { onnxMapping } from '../../compiler/ops/onnx.js';
import { syntheticSpan } from '../../grammar/span.js';
import type { TypedArray } from '../../runtime/types.js';
import { findRegions, untangle, type Region } from '../regions.js';
import { ONNX_OPSET, OnnxGraphBuilder } from './builder.js';
import { onnxLayers } from './layers.js';

export { ONNX_OPSET } from './builder.js';

export interface OnnxExportOptions {
  /** the weights by path (parameters and model state) */
  weights: ReadonlyMap<string, TypedArray>;
  /** the .dnn file, for locations and the model's description */
  file: string;
  /** the operator set to write; only ONNX_OPSET is supported */
  opset?: number;
  /** the dnnc version, recorded as the producer's */
  version: string;
}

export interface OnnxExportResult {
  /** the encoded ModelProto; absent when there are diagnostics */
  bytes?: Uint8Array;
  diagnostics: Diagnostic[];
  /** layers emitted as one ONNX operator, by path, and the ones that fell back to their ops (with why) */
  layers: { path: string; as: string }[];
}

const LEAVES = new Set(['input', 'param', 'state', 'const']);

/** The layer a node comes from, for messages: 'conv2d_1', or the model itself. */
function layerOf(node: Node, model: string): string | undefined {
  const layer = node.scope?.replace(/\.grad$/, '');
  return layer && layer !== model ? layer.slice(model.length + 1) : undefined;
}

export function exportOnnx(model: CompiledModel, options: OnnxExportOptions): OnnxExportResult {
  const opset = options.opset ?? ONNX_OPSET;
  if (opset !== ONNX_OPSET) throw new Error(`ONNX opset ${opset} is not supported: dnnc writes opset ${ONNX_OPSET} (LayerNormalization needs 17; ONNX 1.12 and later read it)`);
  const graph = untangle(model.predict, model.layers ?? []);

  // 1. regions that become one ONNX operator
  const kept = new Map<Node, Region>();
  const inRegion = new Set<Node>();
  const layers: OnnxExportResult['layers'] = [];
  for (const region of findRegions(graph, model.layers ?? []).values()) {
    const mapping = onnxLayers[region.layer.kind];
    if (!mapping || region.nodes.length === 0) continue;
    const why = mapping.misfit(region);
    layers.push({ path: region.layer.path, as: why ? `its ops (${why})` : 'one operator' });
    if (why) continue;
    kept.set(region.nodes[region.nodes.length - 1], region);
    for (const n of region.nodes) inRegion.add(n);
  }

  // 2. every other op needs a rule
  const diagnostics: Diagnostic[] = [];
  const reported = new Set<string>();
  for (const n of graph.nodes) {
    if (LEAVES.has(n.op) || inRegion.has(n)) continue;
    const m = onnxMapping(n.op);
    if (m && typeof m === 'function') continue;
    const layer = layerOf(n, model.name);
    const key = `${n.op}@${layer ?? ''}`;
    if (reported.has(key)) continue;
    reported.add(key);
    diagnostics.push(
      makeDiagnostic(
        'DNN0031',
        n.span ?? syntheticSpan(options.file),
        { owner: model.name, format: 'ONNX', what: `the op '${n.op}'`, from: layer ? ` (from layer '${layer}')` : '', reason: m ? m.unsupported : 'no entry in compiler/ops/onnx.ts' },
        { help: 'export the model without that layer, or run it with dnnc' },
      ),
    );
  }
  if (diagnostics.length) return { diagnostics, layers };

  // 3. build
  const b = new OnnxGraphBuilder(model.inputs);
  const names = new Map<number, string>();
  // constants are emitted on first use: a layer emitted as one operator may not need its own
  const constants = new Map<number, Node>();
  const name = (id: number): string => {
    const known = names.get(id);
    if (known !== undefined) return known;
    const c = constants.get(id);
    if (!c) throw new Error(`internal: value %${id} is used before it is defined`);
    const made = leaf(b, c, options.weights);
    names.set(id, made);
    return made;
  };
  // outputs produced by an op take the output's name directly
  const outputNames = new Map<number, string>();
  for (const o of graph.outputs) if (!LEAVES.has(o.value.node.op) && !outputNames.has(o.value.id)) outputNames.set(o.value.id, b.reserve(o.name));
  for (const n of graph.nodes) {
    b.scope = layerOf(n, model.name) ?? '';
    if (n.op === 'const') constants.set(n.outputs[0].id, n);
    else if (LEAVES.has(n.op)) names.set(n.outputs[0].id, leaf(b, n, options.weights));
    if (LEAVES.has(n.op)) continue;
    const region = kept.get(n);
    if (region) {
      const out = region.outputs[0];
      const target = outputNames.get(out.id) ?? b.fresh(region.layer.kind);
      onnxLayers[region.layer.kind].emit(b, region, name, target);
      names.set(out.id, target);
      continue;
    }
    if (inRegion.has(n)) continue;
    const outs = n.outputs.map((v) => outputNames.get(v.id) ?? b.fresh(n.op));
    (onnxMapping(n.op) as (cx: ReturnType<OnnxGraphBuilder['context']>) => void)(b.context(n, n.inputs.map((v) => name(v.id)), outs));
    n.outputs.forEach((v, i) => names.set(v.id, outs[i]));
  }
  // outputs that are leaves (or one value under two names) get an Identity
  b.scope = '';
  for (const o of graph.outputs) {
    const have = name(o.value.id);
    if (have !== o.name) b.add('Identity', [have], {}, [b.reserve(o.name)]);
  }

  const bytes = b.encode({
    graphName: model.name,
    outputs: model.outputs,
    producerVersion: options.version,
    doc: `model ${model.name} from ${options.file}, exported by dnnc ${options.version}`,
    metadata: { dnnc_model: model.name, dnnc_source: options.file },
  });
  return { bytes, diagnostics: [], layers };
}

/** A leaf's ONNX name: inputs by name, weights as initializers named by path, constants as initializers. */
function leaf(b: OnnxGraphBuilder, n: Node, weights: ReadonlyMap<string, TypedArray>): string {
  const t = n.outputs[0].type;
  switch (n.op) {
    case 'input':
      return String(n.attrs.name);
    case 'param':
    case 'state': {
      const path = String(n.attrs.path);
      const data = weights.get(path);
      if (!data) throw new Error(`internal: no weights for '${path}'`);
      return b.initializer(t.dtype, t.shape as number[], data, b.reserve(path));
    }
    default: {
      // const: attrs.value fills the shape, or attrs.data holds every element
      if (!t.shape.every((d): d is number => typeof d === 'number')) return b.add('Expand', [b.constant(t.dtype, [], [Number(n.attrs.value ?? 0)]), b.dims(t.shape)])[0];
      const shape = t.shape;
      const count = shape.reduce((a, d) => a * d, 1);
      const data = Array.isArray(n.attrs.data) ? (n.attrs.data as number[]) : new Array<number>(count).fill(Number(n.attrs.value ?? 0));
      return b.constant(t.dtype, shape, data);
    }
  }
}
