/**
 * The cpu backend's entries on WebAssembly kernels: every buffer of an
 * entry lives in the model's one wasm memory (runtime/wasm-memory.ts), laid
 * out from the entry's buffer table (the memory plan: slots already reused
 * by liveness), and params and state are adopted into it once, so the
 * model's tensors ARE views of that memory. A step then runs:
 *   - kernels with a wasm form (matmul, conv2d and its gradients): the wasm
 *     export, called with byte offsets, on the worker threads too when the
 *     call is big enough (chunks of its rows; the same results on any
 *     number of threads); a fused group's other phases run in its JS kernel
 *     right before and after, on views of the same bytes;
 *   - every other kernel: its JS function, on views of the memory.
 * Nothing is copied between JS and wasm; inputs are copied in and outputs
 * read out as views, as with the JS kernels.
 */
import { evalDim, evalShape } from '../../compiler/dims.js';
import type { PreparedEntry } from '../backend.js';
import { AFTER, BEFORE, QUERY, type Dims, type KernelFn, type ProgramEntry, type SplitKernelFn, type WasmKernelSpec } from '../program.js';
import { chunkBounds, scratchArray, type ScratchArray, type ThreadedCall, type ThreadPool } from '../threads.js';
import type { DType, TypedArray } from '../types.js';
import { bytesPer, type WasmArena } from '../wasm-memory.js';
import { BindingCache, inputSlots } from '../bindings.js';

/** a wasm call runs on the threads from this much work (about 0.1 ms on one core here) */
export const WASM_MIN_FLOPS = 2e6;
const CHUNKS_PER_THREAD = 2;

type WasmFn = (...args: number[]) => void;

/** bench/profile.ts: when `record` is set, every kernel call of a wasm entry is timed whole (its phases and threads included) */
export const kernelTimer: { record?: (kernel: string, ms: number) => void; now?: () => number } = {};

/** What the entries of one backend share: the memory, the instance, the adopted stores, the threads. */
export interface WasmState {
  arena: WasmArena;
  exports: Record<string, WasmFn>;
  threads: number;
  pool?: ThreadPool;
  /** the pool's id of this memory's instance (the workers hold one each) */
  poolInstance?: number;
  /** params and state moved into the memory: path -> where */
  adopted: Map<string, { at: number; dtype: DType; length: number }>;
}

/** Move a persistent tensor into the memory (once per path); the store then holds a view of it. */
export function adopt(state: WasmState, stores: Map<string, TypedArray>, path: string): number {
  const have = state.adopted.get(path);
  if (have) return have.at;
  const t = stores.get(path);
  if (!t) throw new Error(`internal: no tensor for '${path}'`);
  const dtype: DType = t instanceof Float32Array ? 'f32' : t instanceof Int32Array ? 'i32' : 'bool';
  const generation = state.arena.generation;
  const at = state.arena.alloc(t.length * bytesPer(dtype));
  // an ordinary memory that grew detached the views already in the store
  if (state.arena.generation !== generation && !state.arena.shared) refreshStores(state, stores);
  state.adopted.set(path, { at, dtype, length: t.length });
  const v = state.arena.view(dtype, at, t.length);
  v.set(t);
  stores.set(path, v);
  return at;
}

/** Make the stores' views again after an ordinary memory grew (its old views are detached). */
export function refreshStores(state: WasmState, stores: Map<string, TypedArray>): void {
  for (const [path, r] of state.adopted) if (stores.has(path)) stores.set(path, state.arena.view(r.dtype, r.at, r.length));
}

interface Call {
  kernel: string;
  /** the JS kernel: the whole call, or the phases around the wasm one */
  js: KernelFn;
  ins: number[];
  outs: number[];
  wasm?: { fn: WasmFn; pre?: WasmFn; post?: WasmFn; name: string; args: number[]; spec: WasmKernelSpec; extent: number; threaded?: ThreadedCall };
  /** a JS split kernel on the threads */
  threaded?: ThreadedCall;
  /** slots of the entry's kernel scratch (after the outputs in `outViews`) */
  scratch: number[];
  /** this call's views (made again when the memory's buffer changes) */
  inViews?: TypedArray[];
  outViews?: TypedArray[];
}

interface Binding {
  dims: Dims;
  /** byte offset and length of every buffer */
  at: number[];
  lengths: number[];
  /** regions this binding allocated (released when it is evicted) */
  regions: { at: number; bytes: number }[];
  scratch: { at: number; stride: number };
  calls: Call[];
  updates: { dst: number; src: number }[];
  views: TypedArray[];
  /** the kernel scratch slots (ProgramEntry.scratch): where, elements, views */
  scratchAt: number[];
  scratchLengths: number[];
  scratchViews: ScratchArray[];
  /** the memory's bytes (the updates' copies) */
  bytes?: Uint8Array;
  generation: number;
  threadedIds: number[];
}

export class WasmCpuEntry implements PreparedEntry {
  private bindings = new BindingCache<Binding>((b) => this.release(b));
  private last?: Binding;
  private outputIndex: Map<string, number>;
  private inputIndex: Map<string, number>;
  private hyperIndex: Map<string, number>;

  constructor(
    private entry: ProgramEntry,
    private stores: Map<string, TypedArray>,
    private state: WasmState,
  ) {
    this.outputIndex = new Map(entry.outputs.map((o) => [o.name, o.buffer]));
    ({ data: this.inputIndex, hyper: this.hyperIndex } = inputSlots(entry));
    for (const s of entry.steps) if (typeof entry.kernels[s.kernel] !== 'function') throw new Error(`internal: kernel '${s.kernel}' is missing from the program`);
    for (const b of entry.buffers) if (b.kind === 'param' || b.kind === 'state') adopt(state, stores, b.ref!);
  }

  private bind(dims: Dims): Binding {
    return this.fresh(this.bindings.get(dims, (frozen) => this.createBinding(frozen)));
  }

  private createBinding(frozen: Dims): Binding {
    const { arena } = this.state;
    const regions: Binding['regions'] = [];
    const lengths: number[] = [];
    const at = this.entry.buffers.map((b) => {
      const n = evalShape(b.shape, frozen).reduce((a, c) => a * c, 1);
      lengths.push(n);
      if (b.kind === 'param' || b.kind === 'state') return adopt(this.state, this.stores, b.ref!);
      const bytes = n * bytesPer(b.dtype);
      const r = arena.alloc(bytes);
      regions.push({ at: r, bytes });
      return r;
    });
    const wasmKernels = this.entry.wasm?.kernels ?? {};
    const stride = Math.max(64, ...this.entry.steps.map((s) => (wasmKernels[s.kernel] ? Math.ceil(evalDim(wasmKernels[s.kernel].scratch, frozen) / 64) * 64 : 0)));
    const scratchBytes = stride * this.state.threads;
    const scratchAt = arena.alloc(scratchBytes);
    regions.push({ at: scratchAt, bytes: scratchBytes });
    // the JS kernels' scratch (ProgramEntry.scratch): planned slots in the memory, shared by the steps
    const scratchLengths = (this.entry.scratch ?? []).map((sc) => evalDim(sc.size, frozen));
    const kernelScratchAt = (this.entry.scratch ?? []).map((sc, i) => {
      const bytes = Math.max(1, scratchLengths[i]) * (sc.dtype === 'f64' ? 8 : 4);
      const r = arena.alloc(bytes);
      regions.push({ at: r, bytes });
      return r;
    });
    const b: Binding = {
      dims: frozen, at, lengths, regions, scratch: { at: scratchAt, stride }, calls: [], updates: [], views: [],
      scratchAt: kernelScratchAt, scratchLengths, scratchViews: [], generation: -1, threadedIds: [],
    };
    this.fresh(b);
    const onces: Call[] = [];
    for (const s of this.entry.steps) {
      const call: Call = { kernel: s.kernel, js: this.entry.kernels[s.kernel], ins: s.ins, outs: s.outs, scratch: s.scratch ?? [] };
      const spec = wasmKernels[s.kernel];
      const fn: WasmFn | undefined = spec ? this.state.exports[s.kernel] : undefined;
      if (spec && typeof fn === 'function') {
        const ptrs = spec.args.map((a) => (a < s.ins.length ? at[s.ins[a]] : at[s.outs[a - s.ins.length]]));
        const args = [...ptrs, ...spec.dims.map((d) => frozen[d])];
        const pre = spec.pre ? this.state.exports[`${s.kernel}__pre`] : undefined;
        const post = spec.post ? this.state.exports[`${s.kernel}__post`] : undefined;
        call.wasm = { fn, name: s.kernel, args, spec, extent: evalDim(spec.rows.extent, frozen), ...(pre ? { pre } : {}), ...(post ? { post } : {}) };
      }
      this.viewsOf(b, call);
      if (s.once) onces.push(call);
      else {
        // the thread query runs a kernel that is not split in full: never one that updates a tensor in place (it writes a slot it reads)
        if (!s.outs.some((o) => s.ins.includes(o))) this.threadCall(b, call);
        b.calls.push(call);
      }
    }
    for (const c of onces) this.runCall(b, c);
    b.updates = this.entry.updates
      .map((u) => ({ dst: this.state.adopted.get(u.path)?.at ?? -1, src: u.buffer }))
      .filter((u) => {
        if (u.dst < 0) throw new Error('internal: update of unknown tensor');
        return u.dst !== at[u.src];
      });
    return b;
  }

  /** The binding's views, made again when the memory's buffer changed (an ordinary memory that grew). */
  private fresh(b: Binding): Binding {
    const arena = this.state.arena;
    if (b.generation === arena.generation) return b;
    b.views = this.entry.buffers.map((buf, i) => arena.view(buf.dtype, b.at[i], b.lengths[i]));
    b.scratchViews = (this.entry.scratch ?? []).map((sc, i) => arena.scratchView(sc.dtype, b.scratchAt[i], b.scratchLengths[i]));
    b.bytes = new Uint8Array(arena.memory.buffer);
    for (const c of b.calls) this.viewsOf(b, c);
    if (!arena.shared) refreshStores(this.state, this.stores);
    b.generation = arena.generation;
    return b;
  }

  private viewsOf(b: Binding, c: Call): void {
    c.inViews = c.ins.map((i) => b.views[i]);
    c.outViews = [...c.outs.map((i) => b.views[i]), ...(c.scratch.map((i) => b.scratchViews[i]) as unknown as TypedArray[])];
  }

  /** Put a big enough call on the threads: a wasm call by its rows, a JS split kernel as the JS backend does. */
  private threadCall(b: Binding, c: Call): void {
    const { pool, threads } = this.state;
    if (!pool || threads < 2) return;
    if (c.wasm && this.state.poolInstance !== undefined) {
      const w = c.wasm;
      if (!(evalDim(w.spec.rows.flops, b.dims) >= WASM_MIN_FLOPS)) return;
      const bounds = chunkBounds(w.extent, w.spec.rows.align, threads * CHUNKS_PER_THREAD);
      if (bounds.length < 3) return;
      w.threaded = pool.registerWasmCall(this.state.poolInstance, w.name, w.args, b.scratch.at, b.scratch.stride, threads, bounds);
      b.threadedIds.push(w.threaded.id);
      return;
    }
    if (c.wasm) return;
    const q = (c.js as SplitKernelFn)(c.inViews!, c.outViews!, b.dims, QUERY);
    if (!q || !(q.flops >= 1e6) || !this.state.arena.shared) return;
    const bounds = chunkBounds(q.extent, q.align, threads * CHUNKS_PER_THREAD);
    if (bounds.length < 3) return;
    // the workers get their own copies of the scratch (the main thread's lies in the shared memory)
    const scratch = c.scratch.map((i) => scratchArray(this.entry.scratch![i].dtype, b.scratchLengths[i]));
    c.threaded = pool.register(c.js, c.inViews!, c.outViews!.slice(0, c.outs.length), b.dims, bounds, scratch);
    b.threadedIds.push(c.threaded.id);
  }

  private runCall(b: Binding, c: Call): void {
    const d = b.dims;
    const w = c.wasm;
    if (w) {
      const f = c.js as SplitKernelFn;
      const scratch = b.scratch.at;
      if (w.pre) w.pre(...w.args, scratch, 0, 0);
      else if (w.spec.phases) f(c.inViews!, c.outViews!, d, BEFORE);
      if (w.threaded) this.state.pool!.runChunks(w.threaded, (lo, hi) => w.fn(...w.args, scratch, lo, hi));
      else w.fn(...w.args, scratch, 0, w.extent);
      if (w.post) w.post(...w.args, scratch, 0, 0);
      else if (w.spec.phases) f(c.inViews!, c.outViews!, d, AFTER);
    } else if (c.threaded) {
      const f = c.js as SplitKernelFn;
      f(c.inViews!, c.outViews!, d, BEFORE);
      this.state.pool!.run(c.threaded, f, c.inViews!, c.outViews!, d);
      f(c.inViews!, c.outViews!, d, AFTER);
    } else c.js(c.inViews!, c.outViews!, d);
  }

  private release(b: Binding): void {
    this.state.pool?.drop(b.threadedIds);
    for (const r of b.regions) this.state.arena.release(r.at, r.bytes);
  }

  run(dims: Dims, inputs: Map<string, TypedArray>, hyper?: Record<string, number>): void {
    const b = this.fresh(this.bind(dims));
    for (const [name, data] of inputs) {
      const i = this.inputIndex.get(name);
      if (i !== undefined) b.views[i].set(data);
    }
    if (hyper)
      for (const name in hyper) {
        const i = this.hyperIndex.get(name);
        if (i !== undefined) b.views[i][0] = hyper[name];
      }
    const timer = kernelTimer.record;
    if (timer) {
      const now = kernelTimer.now ?? (() => performance.now());
      for (const c of b.calls) {
        const t0 = now();
        this.runCall(b, c);
        timer(c.kernel, now() - t0);
      }
    } else for (let k = 0; k < b.calls.length; k++) this.runCall(b, b.calls[k]);
    if (b.updates.length) {
      const bytes = b.bytes!;
      for (const u of b.updates) bytes.copyWithin(u.dst, b.at[u.src], b.at[u.src] + b.lengths[u.src] * bytesPer(this.entry.buffers[u.src].dtype));
    }
    this.last = b;
  }

  output(name: string): TypedArray {
    const i = this.outputIndex.get(name);
    if (i === undefined) throw new Error(`internal: no output '${name}'`);
    if (!this.last) throw new Error('internal: output read before the entry ran');
    return this.fresh(this.last).views[i];
  }

  dispose(): void {
    this.bindings.clear();
    this.last = undefined;
  }
}
