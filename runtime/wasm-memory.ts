/**
 * The one WebAssembly memory of a model on the cpu backend's wasm kernels:
 * params, state, and each entry's planned buffers and scratch live in it,
 * so wasm kernels, JS kernels (on typed-array views of it) and worker
 * threads all read and write the same bytes; nothing is copied between
 * them in a step.
 *
 * - Shared (SharedArrayBuffer) where threads run it; else an ordinary memory.
 * - Regions are 64-byte aligned (a cache line: v128 loads never straddle
 *   two lines, two threads never write one line) and come from a first-fit
 *   free list; the memory grows when none fits.
 * - An ordinary memory detaches its ArrayBuffer when it grows: views are
 *   made through `view`, and `generation` changes on every growth so that
 *   holders of views know to make them again. A shared memory's views stay
 *   valid.
 * - The wasm module is compiled once per program (cached by its bytes) and
 *   instantiated once per memory.
 */
import type { WasmModuleSpec } from './program.js';
import type { DType, TypedArray } from './types.js';

const PAGE = 65536;
const MAX_PAGES = 65536;
const ALIGN = 64;

export const bytesPer = (dtype: DType): number => (dtype === 'bool' ? 1 : 4);

export class WasmArena {
  readonly memory: WebAssembly.Memory;
  /** bumped whenever the memory grows (an ordinary memory's views are then detached) */
  generation = 0;
  private top = ALIGN; // offset 0 stays unused: a zero pointer is never a buffer
  private free: { at: number; size: number }[] = [];

  constructor(readonly shared: boolean) {
    this.memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, ...(shared ? { shared: true } : {}) } as WebAssembly.MemoryDescriptor);
  }

  /** `bytes` of memory, 64-byte aligned; returns the byte offset */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const i = this.free.findIndex((r) => r.size >= size);
    if (i >= 0) {
      const r = this.free[i];
      const at = r.at;
      if (r.size === size) this.free.splice(i, 1);
      else {
        r.at += size;
        r.size -= size;
      }
      return at;
    }
    const at = this.top;
    this.top += size;
    const need = Math.ceil(this.top / PAGE);
    const have = this.memory.buffer.byteLength / PAGE;
    if (need > have) {
      if (need > MAX_PAGES) throw new Error(`the model needs more than 4 GiB of memory on the cpu backend's wasm kernels (${this.top} bytes); use cpu: { kernels: 'js' }`);
      this.memory.grow(Math.max(need - have, Math.min(have, MAX_PAGES - have)));
      this.generation++;
    }
    return at;
  }

  release(at: number, bytes: number): void {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    this.free.push({ at, size });
    this.free.sort((a, b) => a.at - b.at);
    // merge neighbours
    for (let i = 0; i + 1 < this.free.length; ) {
      const a = this.free[i];
      const b = this.free[i + 1];
      if (a.at + a.size === b.at) {
        a.size += b.size;
        this.free.splice(i + 1, 1);
      } else i++;
    }
  }

  /** A typed array over `length` elements at byte offset `at`. */
  view(dtype: DType, at: number, length: number): TypedArray {
    const buf = this.memory.buffer;
    if (dtype === 'f32') return new Float32Array(buf, at, length);
    if (dtype === 'i32') return new Int32Array(buf, at, length);
    return new Uint8Array(buf, at, length);
  }

  /** A view of kernel scratch (ProgramScratch) at `at` (64-byte aligned, so float64 is aligned too). */
  scratchView(dtype: 'f64' | 'f32' | 'i32', at: number, length: number): Float64Array | Float32Array | Int32Array {
    const buf = this.memory.buffer;
    if (dtype === 'f64') return new Float64Array(buf, at, length);
    if (dtype === 'f32') return new Float32Array(buf, at, length);
    return new Int32Array(buf, at, length);
  }
}

type Exports = Record<string, (...args: number[]) => void>;

const compiled = new Map<Uint8Array | string, { shared?: WebAssembly.Module; plain?: WebAssembly.Module }>();

function decodeBase64(s: string): Uint8Array {
  const g = globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array }; atob?: (s: string) => string };
  if (g.Buffer) return new Uint8Array(g.Buffer.from(s, 'base64'));
  const bin = g.atob!(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The module's bytes for a shared or an ordinary memory (one byte of the memory import differs). */
function moduleBytes(spec: WasmModuleSpec, shared: boolean): Uint8Array {
  const bytes = typeof spec.bytes === 'string' ? decodeBase64(spec.bytes) : spec.bytes.slice();
  bytes[spec.sharedFlagAt] = shared ? 3 : 1;
  return bytes;
}

/** Compile a program's wasm module (once per bytes and memory kind); throws where WebAssembly SIMD is missing. */
export async function compileWasm(spec: WasmModuleSpec, shared: boolean): Promise<WebAssembly.Module> {
  const hit = compiled.get(spec.bytes) ?? {};
  const have = shared ? hit.shared : hit.plain;
  if (have) return have;
  const mod = await WebAssembly.compile(moduleBytes(spec, shared) as BufferSource);
  compiled.set(spec.bytes, { ...hit, [shared ? 'shared' : 'plain']: mod });
  return mod;
}

/** The compiled module when compileWasm already ran for it. */
export function compiledWasm(spec: WasmModuleSpec, shared: boolean): WebAssembly.Module | undefined {
  const hit = compiled.get(spec.bytes);
  return shared ? hit?.shared : hit?.plain;
}

/** What a kernels module imports: the memory, and the Math functions of its float64 elementwise ops */
export function wasmImports(memory: WebAssembly.Memory): WebAssembly.Imports {
  return { env: { memory }, math: { exp: Math.exp, log: Math.log, tanh: Math.tanh, pow: Math.pow } };
}

/** Instantiate a module on an arena's memory: its kernels by name. */
export function instantiateWasm(mod: WebAssembly.Module, arena: WasmArena): Exports {
  return new WebAssembly.Instance(mod, wasmImports(arena.memory)).exports as unknown as Exports;
}
