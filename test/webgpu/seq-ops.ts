/**
 * Shared by the sequence-op cross-backend tests (not a test file): models of
 * gather, scatter_add and iota at the shapes the registry samples miss, each
 * with a feed, for a backend to be compared with cpu:
 *   - scatter_add over 600 indices (several 256-index tiles of the WGSL scan,
 *     the last one partial), heavy repeats, out-of-range ids (skipped), and
 *     symbolic [B, T] indices;
 *   - gather with symbolic [B, T] indices and an odd feature width, into a
 *     chain (gather → mul) that fusion may place next to other nodes;
 *   - iota over symbolic [T, T] on both axes, f32 and i32, and the causal
 *     mask iota(0) < iota(1) built from them.
 * Plus the GPU-only rule for a bad id in gather: clamped to [0, V - 1] (the
 * cpu backend reports it instead).
 */
import { GraphBuilder } from '../../compiler/builder.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import { Graph, type Value } from '../../compiler/ir.js';
import type { TypedArray } from '../../runtime/types.js';
import { rng } from './helpers.js';

export interface OpCase {
  name: string;
  model: CompiledModel;
  feed: Record<string, { data: TypedArray; shape: number[] }>;
  /** the sums are in the cpu kernel's order: webgpu must match exactly */
  exact?: boolean;
}

function modelOf(name: string, build: (b: GraphBuilder) => { inputs: Value[]; outputs: Value[] }): CompiledModel {
  const g = new Graph(name);
  const b = new GraphBuilder(g);
  b.scope = `T.${name}`;
  const { inputs, outputs } = build(b);
  g.outputs = outputs.map((v, i) => ({ name: `y${i}`, value: v }));
  return {
    name,
    inputs: inputs.map((v) => ({ name: String(v.node.attrs.name), dtype: v.type.dtype, shape: v.type.shape })),
    outputs: outputs.map((v, i) => ({ name: `y${i}`, dtype: v.type.dtype, shape: v.type.shape })),
    params: [],
    state: [],
    predict: g,
  };
}

function floats(n: number, seed: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: n }, () => 2 * next() - 1);
}

function ids(n: number, seed: number, lo: number, hi: number): Int32Array {
  const next = rng(seed);
  return Int32Array.from({ length: n }, () => lo + Math.floor(next() * (hi - lo)));
}

export function seqOpCases(): OpCase[] {
  const cases: OpCase[] = [];
  {
    const N = 600;
    const D = 5;
    const idx = ids(N, 3, 0, 7);
    // out-of-range ids are skipped
    idx[5] = -1;
    idx[300] = 7;
    idx[599] = 1000;
    cases.push({
      name: 'scatter_add: 600 indices into 7 rows (3 scan tiles), out-of-range ids skipped',
      model: modelOf('scatter600', (b) => {
        const u = b.input('u', 'f32', [N, D]);
        const i = b.input('i', 'i32', [N]);
        return { inputs: [u, i], outputs: [b.op('scatter_add', [u, i], { rows: 7 })] };
      }),
      feed: { u: { data: floats(N * D, 4), shape: [N, D] }, i: { data: idx, shape: [N] } },
      exact: true,
    });
  }
  {
    const [Bn, Tn, D, V] = [3, 5, 9, 4];
    cases.push({
      name: 'scatter_add: symbolic [B, T] indices, 4 rows of 9',
      model: modelOf('scatterBT', (b) => {
        const u = b.input('u', 'f32', ['B', 'T', D]);
        const i = b.input('i', 'i32', ['B', 'T']);
        return { inputs: [u, i], outputs: [b.op('scatter_add', [u, i], { rows: V })] };
      }),
      feed: { u: { data: floats(Bn * Tn * D, 5), shape: [Bn, Tn, D] }, i: { data: ids(Bn * Tn, 6, 0, V), shape: [Bn, Tn] } },
      exact: true,
    });
  }
  {
    const [Bn, Tn, D, V] = [2, 7, 13, 10];
    cases.push({
      name: 'gather: symbolic [B, T] ids, D = 13, then a multiply',
      model: modelOf('gatherBT', (b) => {
        const t = b.input('table', 'f32', [V, D]);
        const i = b.input('ids', 'i32', ['B', 'T']);
        const s = b.input('scale', 'f32', [D]);
        const g = b.op('gather', [t, i], { what: 'ids' });
        return { inputs: [t, i, s], outputs: [b.op('mul', [g, s]), g] };
      }),
      feed: {
        table: { data: floats(V * D, 7), shape: [V, D] },
        ids: { data: ids(Bn * Tn, 8, 0, V), shape: [Bn, Tn] },
        scale: { data: floats(D, 9), shape: [D] },
      },
    });
  }
  {
    const Tn = 6;
    cases.push({
      name: 'iota: symbolic [T, T] on both axes, f32 and i32, and the causal mask',
      model: modelOf('iotaTT', (b) => {
        const x = b.input('x', 'f32', ['B', 'T']);
        const rows = b.op('iota', [], { shape: ['T', 'T'], axis: 0 });
        const cols = b.op('iota', [], { shape: ['T', 'T'], axis: -1, dtype: 'i32' });
        const r3 = b.op('iota', [], { shape: ['B', 'T', 3], axis: 1, dtype: 'i32' });
        const colsF = b.op('iota', [], { shape: ['T', 'T'], axis: 1 });
        const causal = b.op('less', [rows, colsF]);
        return { inputs: [x], outputs: [rows, cols, r3, causal] };
      }),
      feed: { x: { data: floats(2 * Tn, 10), shape: [2, Tn] } },
    });
  }
  return cases;
}

/** gather of ids outside [0, 5) from a 5-row table: the GPU kernels clamp them (rows 0 and 4); the cpu backend throws. */
export function gatherBadIds(): { model: CompiledModel; feed: OpCase['feed']; clamped: Float32Array } {
  const V = 5;
  const D = 3;
  const table = floats(V * D, 11);
  const bad = Int32Array.from([2, -3, 5, 99, 0, 4]);
  const clamped = new Float32Array(bad.length * D);
  bad.forEach((id, k) => {
    const r = Math.min(Math.max(id, 0), V - 1);
    for (let d = 0; d < D; d++) clamped[k * D + d] = table[r * D + d];
  });
  return {
    model: modelOf('gatherBad', (b) => {
      const t = b.input('table', 'f32', [V, D]);
      const i = b.input('tokens', 'i32', [bad.length]);
      return { inputs: [t, i], outputs: [b.op('gather', [t, i], { what: 'tokens' })] };
    }),
    feed: { table: { data: table, shape: [V, D] }, tokens: { data: bad, shape: [bad.length] } },
    clamped,
  };
}
