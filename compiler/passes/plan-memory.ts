/**
 * Static memory planning: liveness-based buffer reuse for one entry, over
 * the kernels the fusion plan produces, with the peak known at compile time.
 *
 * Algorithm:
 * 1. Every group output is a value that needs a buffer; a view (reshape)
 *    shares its input's buffer. Inputs, parameters and state live outside
 *    the arena.
 * 2. A value is live from the group that writes it to the last group that
 *    reads it (entry outputs and updates: to the end).
 * 3. Walk groups in order; free buffers whose values died before this group,
 *    then give each new value the smallest free buffer of the same dtype and
 *    exactly the same (symbolic) element count, else a new buffer. Exact
 *    sizes keep the plan valid for every batch size.
 * 4. The arena is the sum of the buffers; peakBytes evaluates it at a batch
 *    size. With reuse off (-O0) every value gets its own buffer.
 *
 * Before: 6 temporaries of f32[B, 32]   After: 2 buffers of f32[B, 32]
 */
import { dimEq, dimProduct, evalDim, type Dim, type DimEnv } from '../dims.js';
import type { DType, Graph, Value } from '../ir.js';
import type { FusionPlan } from './fuse.js';

export interface PlannedBuffer {
  id: number;
  dtype: DType;
  elements: Dim;
}

export interface MemoryPlan {
  buffers: PlannedBuffer[];
  /** value id -> buffer id (temporaries only) */
  assignment: Map<number, number>;
  bytesAt(env: DimEnv): number;
}

const BYTES: Record<DType, number> = { f32: 4, i32: 4, bool: 1 };

export function planMemory(g: Graph, fusion: FusionPlan, options: { reuse?: boolean } = {}): MemoryPlan {
  const reuse = options.reuse ?? true;
  const roots = new Set(g.roots().map((v) => v.id));
  const groupIndex = new Map<number, number>(); // node id -> group position
  fusion.groups.forEach((grp, i) => grp.nodes.forEach((n) => groupIndex.set(n.id, i)));
  const lastUse = new Map<number, number>();
  fusion.groups.forEach((grp, i) => {
    for (const v of grp.inputs) lastUse.set(v.id, Math.max(lastUse.get(v.id) ?? -1, i));
  });
  const alias = new Map<number, Value>(); // view value id -> the value whose buffer it shares
  const owner = (v: Value): Value => alias.get(v.id) ?? v;
  const buffers: PlannedBuffer[] = [];
  const assignment = new Map<number, number>();
  const free: PlannedBuffer[] = [];
  const endOf = (v: Value) => (roots.has(v.id) ? Infinity : lastUse.get(v.id) ?? groupIndex.get(v.node.id)!);
  // a buffer is freed when every value sharing it (views included) is dead
  const holders = new Map<number, number>(); // buffer id -> last group using it
  fusion.groups.forEach((grp, i) => {
    for (const b of buffers) if ((holders.get(b.id) ?? Infinity) < i && !free.includes(b)) free.push(b);
    for (const v of grp.outputs) {
      if (grp.kind === 'view') {
        const src = owner(grp.nodes[0].inputs[0]);
        alias.set(v.id, src);
        const bid = assignment.get(src.id);
        if (bid !== undefined) {
          assignment.set(v.id, bid);
          holders.set(bid, Math.max(holders.get(bid) ?? -1, endOf(v)));
        }
        continue;
      }
      const elements = dimProduct(v.type.shape);
      let buf = reuse ? free.find((b) => b.dtype === v.type.dtype && dimEq(b.elements, elements)) : undefined;
      if (buf) free.splice(free.indexOf(buf), 1);
      else {
        buf = { id: buffers.length, dtype: v.type.dtype, elements };
        buffers.push(buf);
      }
      assignment.set(v.id, buf.id);
      holders.set(buf.id, endOf(v));
    }
  });
  return {
    buffers,
    assignment,
    bytesAt: (env) => buffers.reduce((sum, b) => sum + evalDim(b.elements, env) * BYTES[b.dtype], 0),
  };
}
