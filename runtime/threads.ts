/**
 * Threads for the CPU backend: worker threads that run row ranges of the
 * big kernels (matmul, conv2d and its gradients) next to the main thread.
 *
 * - Node only: worker_threads is reached through process.getBuiltinModule
 *   (Node >= 20.16), so this module imports nothing and is safe in a
 *   browser bundle, where the CPU backend stays single-threaded.
 * - The workers are created lazily, once per process, and unref()'d:
 *   scripts, tests and `dnnc train` exit on their own.
 * - A worker receives each kernel's source once (`fn.toString()`: kernels
 *   are self-contained functions over typed arrays) and each prepared call
 *   once (its buffers, on SharedArrayBuffer, its dims and chunk bounds),
 *   through a MessagePort it drains synchronously (receiveMessageOnPort)
 *   when woken. Nothing is posted per call.
 * - A call is cut into chunks of rows (codegen/cpu/split.ts); main thread
 *   and workers claim chunks from a shared counter (Atomics), so the main
 *   thread never waits for a worker that is late (still starting, or
 *   descheduled on a busy machine): it takes the remaining chunks itself and
 *   then waits (Atomics.wait) only for chunks a worker has claimed. Which
 *   thread runs a chunk changes nothing in the results: every output
 *   element belongs to one chunk and is computed the same way in any
 *   chunk (bit-identical to the single-threaded kernel).
 *
 * Control words (Int32Array over a SharedArrayBuffer):
 *   GEN   generation, bumped per call (workers wait on it)
 *   CALL  the call id       TOTAL  its number of chunks
 *   NEXT  (GEN tag << 11) | next chunk index: claimed by compare-exchange,
 *         and only while the tag is the generation the claimer read, so a
 *         late worker can never claim a chunk of a later call
 *   DONE  chunks finished   ERR  a worker's kernel threw
 */
import type { Dims, KernelFn, SplitKernelFn } from './program.js';
import type { DType, TypedArray } from './types.js';

/** A kernel's scratch array (ProgramScratch): float64 panels and accumulators, f32, i32 tables. */
export type ScratchArray = Float64Array | Float32Array | Int32Array;

/** A fresh scratch array of `n` elements (plain memory: each thread has its own). */
export function scratchArray(dtype: 'f64' | 'f32' | 'i32', n: number): ScratchArray {
  return dtype === 'f64' ? new Float64Array(n) : dtype === 'f32' ? new Float32Array(n) : new Int32Array(n);
}

const GEN = 0;
const CALL = 1;
const TOTAL = 2;
const NEXT = 3;
const DONE = 4;
const ERR = 5;
const TAG_SHIFT = 11;
const TAG_MASK = 0xfffff;
const INDEX_MASK = (1 << TAG_SHIFT) - 1;
/** the most chunks one call may be cut into */
export const MAX_CHUNKS = INDEX_MASK;

/** The worker: waits for a generation, claims chunks, runs them. */
const WORKER_SOURCE = `
'use strict';
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const c = new Int32Array(workerData.control);
const port = workerData.port;
const fns = new Map();
const calls = new Map();
const wasm = new Map();
const INDEX = workerData.index;
function drain() {
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    const msg = m.message;
    if (msg.t === 'fn') {
      try { fns.set(msg.id, new Function('"use strict"; return (' + msg.src + ');')()); }
      catch (e) { fns.set(msg.id, null); }
    } else if (msg.t === 'call') {
      const fn = fns.get(msg.fn);
      // msg.scratch: this worker's own copy of the kernel's scratch (cloned by postMessage), after the outputs
      // part: the kernel's rows part (KernelPart), one object per call, its range set per chunk
      if (typeof fn === 'function') calls.set(msg.id, { fn, ins: msg.ins, outs: msg.scratch ? msg.outs.concat(msg.scratch) : msg.outs, dims: msg.dims, bounds: msg.bounds, part: { part: 'rows', lo: 0, hi: 0 } });
    } else if (msg.t === 'drop') {
      for (const id of msg.ids) calls.delete(id);
    } else if (msg.t === 'wasm') {
      try { wasm.set(msg.id, new WebAssembly.Instance(msg.module, { env: { memory: msg.memory }, math: { exp: Math.exp, log: Math.log, tanh: Math.tanh, pow: Math.pow } }).exports); }
      catch (e) { wasm.set(msg.id, null); }
    } else if (msg.t === 'wdrop') {
      wasm.delete(msg.id);
    } else if (msg.t === 'wcall') {
      const ex = wasm.get(msg.inst);
      const fn = ex && ex[msg.fn];
      // a worker beyond the call's scratch slots (started for a model with more threads) sits it out
      if (typeof fn === 'function' && INDEX < msg.slots) calls.set(msg.id, { wasm: fn, args: msg.args, scratch: msg.scratch + INDEX * msg.stride, bounds: msg.bounds });
    }
  }
}
let seen = 0;
for (;;) {
  Atomics.wait(c, ${GEN}, seen);
  const g = Atomics.load(c, ${GEN});
  seen = g;
  drain();
  const call = calls.get(Atomics.load(c, ${CALL}));
  if (!call) continue;
  const total = Atomics.load(c, ${TOTAL});
  for (;;) {
    const v = Atomics.load(c, ${NEXT});
    if ((v >>> ${TAG_SHIFT}) !== g || (v & ${INDEX_MASK}) >= total) break;
    if (Atomics.compareExchange(c, ${NEXT}, v, v + 1) !== v) continue;
    const k = v & ${INDEX_MASK};
    try {
      if (call.wasm) call.wasm(...call.args, call.scratch, call.bounds[k], call.bounds[k + 1]);
      else { call.part.lo = call.bounds[k]; call.part.hi = call.bounds[k + 1]; call.fn(call.ins, call.outs, call.dims, call.part); }
    }
    catch (e) { Atomics.store(c, ${ERR}, 1); try { console.error('dnnc worker:', e); } catch {} }
    Atomics.add(c, ${DONE}, 1);
    Atomics.notify(c, ${DONE});
  }
}
`;

interface WorkerThreads {
  Worker: new (src: string, opts: object) => { unref(): void; on(ev: string, f: (...a: unknown[]) => void): void };
  MessageChannel: new () => { port1: Port; port2: Port };
}
interface Port {
  postMessage(m: unknown): void;
  unref?(): void;
  close(): void;
}

type Proc = { getBuiltinModule?: (id: string) => unknown; env?: Record<string, string | undefined> };
const proc = (globalThis as { process?: Proc }).process;

/** worker_threads when running in Node (>= 20.16), else undefined */
function workerThreads(): WorkerThreads | undefined {
  try {
    const wt = proc?.getBuiltinModule?.('node:worker_threads') as WorkerThreads | undefined;
    return wt && typeof wt.Worker === 'function' ? wt : undefined;
  } catch {
    return undefined;
  }
}

function cores(): number {
  try {
    const os = proc?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus: () => unknown[] } | undefined;
    return os ? (os.availableParallelism?.() ?? os.cpus().length) : 1;
  } catch {
    return 1;
  }
}

/**
 * Threads the CPU backend uses: the option when given, else env
 * DNNC_THREADS, else 2 where there are 2 cores or more; 1 where worker
 * threads or SharedArrayBuffer are missing (browsers).
 */
export function resolveThreads(option?: number): number {
  if (typeof SharedArrayBuffer !== 'function' || !workerThreads()) return 1;
  const env = proc?.env?.DNNC_THREADS;
  const want = option ?? (env !== undefined && env !== '' ? Number(env) : Math.min(2, cores()));
  if (!Number.isFinite(want) || want < 1) return 1;
  return Math.min(Math.floor(want), 16);
}

/**
 * The CPU backend's kernels when the option does not say: env
 * DNNC_CPU_KERNELS ('js' or 'wasm'; anything else is an Error), else
 * undefined (wasm where it compiles, else js).
 */
export function resolveKernels(option?: 'js' | 'wasm'): 'js' | 'wasm' | undefined {
  if (option) return option;
  const env = proc?.env?.DNNC_CPU_KERNELS;
  if (env === undefined || env === '') return undefined;
  if (env === 'js' || env === 'wasm') return env;
  throw new Error(`DNNC_CPU_KERNELS must be 'js' or 'wasm', not '${env}'`);
}

/** A typed array over a SharedArrayBuffer (visible to the workers). */
export function sharedArray(dtype: DType, n: number): TypedArray {
  if (dtype === 'f32') return new Float32Array(new SharedArrayBuffer(4 * n));
  if (dtype === 'i32') return new Int32Array(new SharedArrayBuffer(4 * n));
  return new Uint8Array(new SharedArrayBuffer(n));
}

export function isShared(t: TypedArray): boolean {
  return typeof SharedArrayBuffer === 'function' && t.buffer instanceof SharedArrayBuffer;
}

/** A kernel prepared for threaded runs: register once, run many times. */
export interface ThreadedCall {
  readonly id: number;
  /** chunk boundaries: chunk k is rows [bounds[k], bounds[k + 1]) */
  readonly bounds: Int32Array;
}

/**
 * The process's pool: the main thread plus `workers` worker threads.
 * One call runs at a time (the main thread runs kernels one after another).
 */
export class ThreadPool {
  private control = new Int32Array(new SharedArrayBuffer(8 * 4));
  private ports: Port[] = [];
  private nextFn = 1;
  private nextCall = 1;
  private gen = 0;
  private broken = false;

  constructor(private wt: WorkerThreads) {}

  get workers(): number {
    return this.ports.length;
  }

  /** Start workers until there are `n` (they boot in the background; calls never wait for a worker to start). */
  ensure(n: number): void {
    while (this.ports.length < n && !this.broken) {
      try {
        const { port1, port2 } = new this.wt.MessageChannel();
        const w = new this.wt.Worker(WORKER_SOURCE, {
          eval: true,
          execArgv: [],
          workerData: { control: this.control.buffer, port: port2, index: this.ports.length + 1 },
          transferList: [port2],
        });
        w.unref();
        w.on('error', () => {
          this.broken = true;
        });
        w.on('exit', () => {
          this.broken = true;
        });
        port1.unref?.();
        this.ports.push(port1);
        // the kernels already known to the other workers
        for (const [src, id] of this.sources) port1.postMessage({ t: 'fn', id, src });
        for (const m of this.wasmMessages.values()) port1.postMessage(m);
        for (const m of this.callMessages.values()) port1.postMessage(m);
      } catch {
        this.broken = true;
      }
    }
  }

  private sources = new Map<string, number>();
  private callMessages = new Map<number, unknown>();
  /** wasm instances the workers hold (module + memory), replayed to workers that start later */
  private wasmMessages = new Map<number, unknown>();
  private nextWasm = 1;

  /**
   * Let the workers instantiate a wasm module on a (shared) memory; returns
   * the instance id for registerWasmCall. Scratch of thread t (0: this
   * thread, t >= 1: worker t) is at `scratch + t * stride` of a call.
   */
  registerWasm(module: WebAssembly.Module, memory: WebAssembly.Memory): number {
    const id = this.nextWasm++;
    const msg = { t: 'wasm', id, module, memory };
    this.wasmMessages.set(id, msg);
    this.post(msg);
    return id;
  }

  dropWasm(id: number): void {
    if (!this.wasmMessages.delete(id)) return;
    this.post({ t: 'wdrop', id });
  }

  /**
   * Register a wasm kernel call: export `fn` of instance `inst`, called
   * `(...args, scratch of the thread, r0, r1)`; only threads 0 .. slots-1
   * have scratch (workers beyond it leave the chunks to the others).
   */
  registerWasmCall(inst: number, fn: string, args: number[], scratch: number, stride: number, slots: number, bounds: Int32Array): ThreadedCall {
    const id = this.nextCall++;
    const msg = { t: 'wcall', id, inst, fn, args, scratch, stride, slots, bounds };
    this.callMessages.set(id, msg);
    this.post(msg);
    return { id, bounds };
  }

  private post(m: unknown): void {
    for (const p of this.ports) p.postMessage(m);
  }

  /**
   * Register a call: `ins`/`outs` must be on SharedArrayBuffer (the
   * workers see them), `bounds` the chunk boundaries. `scratch`: the
   * kernel's scratch arrays (after `outs`), NOT on SharedArrayBuffer:
   * each worker receives its own copy, once, here.
   */
  register(fn: KernelFn, ins: TypedArray[], outs: TypedArray[], dims: Dims, bounds: Int32Array, scratch?: ScratchArray[]): ThreadedCall {
    // a wrapper (bench/profile.ts) names the function whose source the workers run
    const src = ((fn as { kernel?: KernelFn }).kernel ?? fn).toString();
    let fid = this.sources.get(src);
    if (fid === undefined) {
      fid = this.nextFn++;
      this.sources.set(src, fid);
      this.post({ t: 'fn', id: fid, src });
    }
    const id = this.nextCall++;
    const msg = { t: 'call', id, fn: fid, ins, outs, dims, bounds, ...(scratch?.length ? { scratch } : {}) };
    this.callMessages.set(id, msg);
    this.post(msg);
    return { id, bounds };
  }

  drop(ids: number[]): void {
    if (!ids.length) return;
    for (const id of ids) this.callMessages.delete(id);
    this.post({ t: 'drop', ids });
  }

  /**
   * Run every chunk of a registered call, on this thread and the workers;
   * returns when all are done. `fn`, `ins`, `outs` are this thread's view
   * of the call (ins may be the unshared originals of the workers' shadows).
   */
  run(call: ThreadedCall, fn: SplitKernelFn, ins: TypedArray[], outs: TypedArray[], dims: Dims): void {
    const rows = { part: 'rows' as const, lo: 0, hi: 0 };
    this.runChunks(call, (lo, hi) => {
      rows.lo = lo;
      rows.hi = hi;
      fn(ins, outs, dims, rows);
    });
  }

  /** Run every chunk of a registered call; `chunk(lo, hi)` runs one on this thread. */
  runChunks(call: ThreadedCall, chunk: (lo: number, hi: number) => void): void {
    const c = this.control;
    const total = call.bounds.length - 1;
    const b = call.bounds;
    if (this.broken || this.ports.length === 0) {
      for (let k = 0; k < total; k++) chunk(b[k], b[k + 1]);
      return;
    }
    const g = (this.gen = (this.gen % TAG_MASK) + 1);
    Atomics.store(c, CALL, call.id);
    Atomics.store(c, TOTAL, total);
    Atomics.store(c, DONE, 0);
    Atomics.store(c, ERR, 0);
    Atomics.store(c, NEXT, g << TAG_SHIFT);
    Atomics.store(c, GEN, g);
    Atomics.notify(c, GEN);
    let mine = 0;
    let failure: unknown;
    let claimed = total;
    for (;;) {
      const v = Atomics.load(c, NEXT);
      if ((v & INDEX_MASK) >= total) break;
      if (failure !== undefined) {
        // stop handing out chunks, and wait only for those already claimed
        if (Atomics.compareExchange(c, NEXT, v, (g << TAG_SHIFT) | total) === v) {
          claimed = v & INDEX_MASK;
          break;
        }
        continue;
      }
      if (Atomics.compareExchange(c, NEXT, v, v + 1) !== v) continue;
      const k = v & INDEX_MASK;
      try {
        chunk(b[k], b[k + 1]);
      } catch (e) {
        failure = e;
      }
      Atomics.add(c, DONE, 1);
      mine++;
    }
    // a worker holding a chunk finishes it (kernels are plain loops; they end)
    for (let d = Atomics.load(c, DONE); d < claimed; d = Atomics.load(c, DONE)) {
      if (this.broken) throw new Error('internal: the worker thread stopped while running a kernel; DNNC_THREADS=1 runs without threads');
      Atomics.wait(c, DONE, d, 1000);
    }
    this.lastMine = mine;
    if (failure !== undefined) throw failure;
    if (Atomics.load(c, ERR)) throw new Error(`internal: a worker thread failed in a kernel (see the error above); DNNC_THREADS=1 runs without threads`);
  }

  /** chunks the main thread ran in the last call (tests) */
  lastMine = 0;
}

let pool: ThreadPool | undefined;
let unavailable = false;

/** The process's thread pool with at least `threads - 1` workers, or undefined where threads are unavailable. */
export function threadPool(threads: number): ThreadPool | undefined {
  if (threads < 2 || unavailable) return undefined;
  if (!pool) {
    const wt = workerThreads();
    if (!wt || typeof SharedArrayBuffer !== 'function') {
      unavailable = true;
      return undefined;
    }
    pool = new ThreadPool(wt);
  }
  pool.ensure(threads - 1);
  return pool;
}

/**
 * Chunk boundaries for `extent` rows in units of `align`: about `chunks`
 * chunks of whole units, the last one ending at `extent`.
 */
export function chunkBounds(extent: number, align: number, chunks: number): Int32Array {
  const units = Math.ceil(extent / align);
  const n = Math.max(1, Math.min(chunks, units, MAX_CHUNKS));
  const b = new Int32Array(n + 1);
  for (let k = 0; k <= n; k++) b[k] = Math.min(extent, Math.round((units * k) / n) * align);
  b[n] = extent;
  return b;
}
