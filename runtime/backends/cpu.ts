/**
 * The CPU backend: runs an entry's kernels (plain JS functions over typed
 * arrays) in schedule order.
 *
 * Buffers, and the kernels' scratch (ProgramEntry.scratch), are allocated
 * per binding of the symbolic dims (per batch size) and kept: a warm step
 * allocates nothing. Param and state slots are the model's own arrays, so
 * kernels read the live weights; an update the plan writes in place (the
 * optimizer step) needs nothing more, any other is one copy at the end of
 * the step. Constant slots are filled once, when a
 * binding is created.
 */
import { evalDim, evalShape } from '../../compiler/dims.js';
import type { Backend, PreparedEntry } from '../backend.js';
import { arrayFor } from '../init.js';
import { AFTER, BEFORE, QUERY, type Dims, type KernelFn, type ProgramEntry, type SplitKernelFn, type WasmModuleSpec } from '../program.js';
import { chunkBounds, isShared, resolveKernels, resolveThreads, scratchArray, sharedArray, threadPool, type ScratchArray, type ThreadedCall, type ThreadPool } from '../threads.js';
import type { CpuKernels, DType, TypedArray } from '../types.js';
import { compileWasm, instantiateWasm, WasmArena } from '../wasm-memory.js';
import { WasmCpuEntry, type WasmState } from './cpu-wasm.js';
import { BindingCache, inputSlots } from '../bindings.js';

/** a split kernel call runs on the threads from this much work (about 0.25 ms on one core here) */
export const MIN_FLOPS = 1e6;
/** chunks per thread of a threaded call (a few, so a late or slowed thread is balanced out) */
const CHUNKS_PER_THREAD = 2;

interface Call {
  fn: KernelFn;
  ins: TypedArray[];
  outs: TypedArray[];
  /** set when the call runs on the threads */
  threaded?: ThreadedCall;
  /** model arrays copied to their shared shadows before a threaded call */
  shadows?: { src: TypedArray; dst: TypedArray }[];
}

interface Binding {
  dims: Dims;
  buffers: TypedArray[];
  calls: Call[];
  updates: { dst: TypedArray; src: TypedArray }[];
}


const dtypeOf = (t: TypedArray): DType => (t instanceof Float32Array ? 'f32' : t instanceof Int32Array ? 'i32' : 'bool');

class CpuEntry implements PreparedEntry {
  private bindings = new BindingCache<Binding>((b) => this.release(b));
  private last?: Binding;
  private outputIndex: Map<string, number>;
  private inputIndex: Map<string, number>;
  private hyperIndex: Map<string, number>;

  constructor(
    private entry: ProgramEntry,
    private stores: Map<string, TypedArray>,
    private threads: number,
  ) {
    this.outputIndex = new Map(entry.outputs.map((o) => [o.name, o.buffer]));
    ({ data: this.inputIndex, hyper: this.hyperIndex } = inputSlots(entry));
    for (const s of entry.steps)
      if (typeof entry.kernels[s.kernel] !== 'function') throw new Error(`internal: kernel '${s.kernel}' is missing from the program`);
  }

  private bind(dims: Dims): Binding {
    return this.bindings.get(dims, (frozen) => this.createBinding(frozen));
  }

  private createBinding(frozen: Dims): Binding {
    const pool = threadPool(this.threads);
    const alloc = pool ? sharedArray : arrayFor;
    const buffers = this.entry.buffers.map((b) => {
      if (b.kind === 'param' || b.kind === 'state') {
        const t = this.stores.get(b.ref!);
        if (!t) throw new Error(`internal: no tensor for ${b.kind} '${b.ref}'`);
        return t;
      }
      const n = evalShape(b.shape, frozen).reduce((a, c) => a * c, 1);
      return alloc(b.dtype, n);
    });
    // kernel scratch: planned slots shared by the steps (plain memory: a threaded call's workers get copies)
    const scratch = (this.entry.scratch ?? []).map((sc) => scratchArray(sc.dtype, evalDim(sc.size, frozen)));
    const calls: Call[] = [];
    for (const s of this.entry.steps) {
      const sc = (s.scratch ?? []).map((i) => scratch[i]);
      const call: Call = { fn: this.entry.kernels[s.kernel], ins: s.ins.map((i) => buffers[i]), outs: [...s.outs.map((i) => buffers[i]), ...(sc as unknown as TypedArray[])] };
      if (s.once) call.fn(call.ins, call.outs, frozen);
      // the thread query runs a kernel that is not split in full: never one that updates a tensor in place (it writes a slot it reads)
      else calls.push(pool && !s.outs.some((o) => s.ins.includes(o)) ? this.threadCall(pool, call, frozen, s.outs.length) : call);
    }
    const updates = this.entry.updates
      .map((u) => ({ dst: this.stores.get(u.path)!, src: buffers[u.buffer] }))
      .filter((u) => {
        if (!u.dst) throw new Error(`internal: update of unknown tensor`);
        return u.dst !== u.src;
      });
    return { dims: frozen, buffers, calls, updates };
  }

  /** The call on the threads when its kernel is split and big enough; else as it is. */
  private threadCall(pool: ThreadPool, call: Call, dims: Dims, nOuts: number): Call {
    const q = (call.fn as SplitKernelFn)(call.ins, call.outs, dims, QUERY);
    const outs = call.outs.slice(0, nOuts);
    if (!q || !(q.flops >= MIN_FLOPS) || !outs.every(isShared)) return call;
    const bounds = chunkBounds(q.extent, q.align, this.threads * CHUNKS_PER_THREAD);
    if (bounds.length < 3) return call;
    const shadows: { src: TypedArray; dst: TypedArray }[] = [];
    const workerIns = call.ins.map((t) => {
      if (isShared(t)) return t;
      const seen = shadows.find((s) => s.src === t);
      if (seen) return seen.dst;
      const dst = sharedArray(dtypeOf(t), t.length);
      shadows.push({ src: t, dst });
      return dst;
    });
    const threaded = pool.register(call.fn, workerIns, outs, dims, bounds, call.outs.slice(nOuts) as unknown as ScratchArray[]);
    this.pool = pool;
    return { ...call, threaded, shadows };
  }

  private pool?: ThreadPool;

  private release(b: Binding): void {
    this.pool?.drop(b.calls.filter((c) => c.threaded).map((c) => c.threaded!.id));
  }

  run(dims: Dims, inputs: Map<string, TypedArray>, hyper?: Record<string, number>): void {
    const b = this.bind(dims);
    for (const [name, data] of inputs) {
      const i = this.inputIndex.get(name);
      if (i !== undefined) b.buffers[i].set(data);
    }
    if (hyper)
      for (const name in hyper) {
        const i = this.hyperIndex.get(name);
        if (i !== undefined) b.buffers[i][0] = hyper[name];
      }
    const calls = b.calls;
    const d = b.dims;
    for (let k = 0; k < calls.length; k++) {
      const c = calls[k];
      if (c.threaded) {
        for (const s of c.shadows!) s.dst.set(s.src);
        const f = c.fn as SplitKernelFn;
        f(c.ins, c.outs, d, BEFORE);
        this.pool!.run(c.threaded, f, c.ins, c.outs, d);
        f(c.ins, c.outs, d, AFTER);
      } else c.fn(c.ins, c.outs, d);
    }
    for (const u of b.updates) u.dst.set(u.src);
    this.last = b;
  }

  output(name: string): TypedArray {
    const i = this.outputIndex.get(name);
    if (i === undefined) throw new Error(`internal: no output '${name}'`);
    if (!this.last) throw new Error('internal: output read before the entry ran');
    return this.last.buffers[i];
  }

  dispose(): void {
    this.bindings.clear();
    this.last = undefined;
  }
}

export interface CpuBackendOptions {
  /** threads to run big kernels on (default: env DNNC_THREADS, else 2 on 2 cores or more; 1: no worker threads) */
  threads?: number;
  /**
   * 'wasm': the kernels with a WebAssembly SIMD form run it, on one wasm
   * memory holding every tensor of the model (runtime/backends/cpu-wasm.ts);
   * 'js': the JS kernels on typed arrays. Default: env DNNC_CPU_KERNELS,
   * else wasm where the program has wasm kernels and this runtime compiles
   * them, else js.
   */
  kernels?: CpuKernels;
  /** false: an ordinary (unshared) wasm memory and one thread, as in a browser page that is not cross-origin isolated (tests) */
  sharedMemory?: boolean;
}

/** shared wasm memory where SharedArrayBuffer exists (Node; a cross-origin isolated page) */
function sharedMemoryAvailable(): boolean {
  return typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  /** threads used (1 where worker threads are unavailable) */
  readonly threads: number;
  /** which kernels run: wasm once a program's module compiled (create), else js */
  kernels: CpuKernels = 'js';
  private entries: { dispose(): void }[] = [];
  private wasm?: { module: WebAssembly.Module; spec: WasmModuleSpec };
  private state?: WasmState;
  private shared = true;

  constructor(options: CpuBackendOptions = {}) {
    this.threads = resolveThreads(options.threads);
  }

  /**
   * The backend for these entries: with kernels 'wasm' (or by default) the
   * program's wasm module is compiled here, asynchronously, once. Asked for
   * 'wasm' where it cannot compile (no WebAssembly SIMD): an Error; by
   * default the JS kernels run instead.
   */
  static async create(options: CpuBackendOptions, entries: ProgramEntry[]): Promise<CpuBackend> {
    const b = new CpuBackend(options);
    const kernels = resolveKernels(options.kernels);
    if (kernels === 'js') return b;
    const spec = entries.find((e) => e.wasm)?.wasm?.module;
    if (!spec) return b;
    const shared = options.sharedMemory ?? sharedMemoryAvailable();
    b.shared = shared;
    try {
      b.wasm = { module: await compileWasm(spec, shared), spec };
      b.kernels = 'wasm';
    } catch (e) {
      if (kernels === 'wasm') throw new Error(`the cpu backend's wasm kernels cannot run here (WebAssembly SIMD is needed): ${(e as Error).message}; use cpu: { kernels: 'js' }`);
    }
    return b;
  }

  /** the memory, instance and threads the wasm entries share (made on first use) */
  private wasmState(): WasmState {
    if (this.state) return this.state;
    const arena = new WasmArena(this.shared);
    const exports = instantiateWasm(this.wasm!.module, arena);
    const pool = arena.shared ? threadPool(this.threads) : undefined;
    const threads = pool ? this.threads : 1;
    this.state = { arena, exports, threads, adopted: new Map(), ...(pool ? { pool, poolInstance: pool.registerWasm(this.wasm!.module, arena.memory) } : {}) };
    return this.state;
  }

  prepare(entry: ProgramEntry, stores: Map<string, TypedArray>): PreparedEntry {
    if (this.wasm && entry.wasm) {
      if (entry.wasm.module.bytes !== this.wasm.spec.bytes) throw new Error('internal: the entries of one cpu backend come from different wasm modules');
      const e = new WasmCpuEntry(entry, stores, this.wasmState());
      this.entries.push(e);
      return e;
    }
    const e = new CpuEntry(entry, stores, this.threads);
    this.entries.push(e);
    return e;
  }

  dispose(): void {
    for (const e of this.entries) e.dispose();
    this.entries = [];
    if (this.state?.poolInstance !== undefined) this.state.pool?.dropWasm(this.state.poolInstance);
    this.state = undefined;
  }
}
