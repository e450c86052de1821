/**
 * One WebAssembly module per generated module: every wasm kernel of its
 * kernel pool, importing the model's memory (`env.memory`, shared so that
 * worker threads run the same kernels on it). The bytes embed in the
 * generated module; the WAT text is the listing to read when debugging.
 *
 * The module is assembled for a shared memory; `sharedFlagAt` is the byte
 * of the memory import's limits that says so (3: shared with maximum), so a
 * runtime without shared memory (a browser page that is not cross-origin
 * isolated) can use the same bytes with an ordinary memory (flag 1).
 * It also imports JS's Math.exp, log, tanh and pow (`math.*`), which the
 * elementwise ops computed in float64 call (codegen/wasm/elementwise.ts).
 */
import type { WasmModuleSpec } from '../../runtime/program.js';
import { assembleWat } from './assemble.js';
import { mathImports } from './elementwise.js';
import type { WasmKernelSource } from './kernel.js';

/** pages of 64 KiB: the most a memory may grow to (4 GiB, all a wasm32 pointer reaches) */
export const MAX_PAGES = 65536;

export function wasmModuleText(kernels: WasmKernelSource[], shared = true): string {
  // helpers shared by several kernels (micro-kernels specialised to the same strides) are kept once
  const seen = new Map<string, string>();
  const funcs: string[] = [];
  for (const f of kernels.flatMap((k) => k.funcs)) {
    const text = f.text();
    const had = seen.get(f.name);
    if (had === undefined) {
      seen.set(f.name, text);
      funcs.push(text);
    } else if (had !== text) throw new Error(`internal: two different wasm functions named ${f.name}`);
  }
  return [
    `;; dnnc CPU kernels: WebAssembly SIMD128 over the model's memory (byte offsets), ${kernels.length} kernels`,
    '(module',
    `  (import "env" "memory" (memory 1 ${MAX_PAGES}${shared ? ' shared' : ''}))`,
    ...Object.entries(mathImports).map(([fn, n]) => `  (import "math" "${fn}" (func $math_${fn} ${'(param f64) '.repeat(n)}(result f64)))`),
    ...funcs.map((t) => t.split('\n').map((l) => `  ${l}`).join('\n')),
    ')',
  ].join('\n');
}

/** The module's bytes (for a shared memory) and where its memory flag is; undefined when there is no wasm kernel. */
export function buildWasmModule(kernels: WasmKernelSource[]): (WasmModuleSpec & { text: string }) | undefined {
  if (!kernels.length) return undefined;
  const text = wasmModuleText(kernels, true);
  const bytes = assembleWat(text);
  const plain = assembleWat(wasmModuleText(kernels, false));
  const diff: number[] = [];
  if (plain.length === bytes.length) for (let i = 0; i < bytes.length; i++) if (bytes[i] !== plain[i]) diff.push(i);
  if (diff.length !== 1 || bytes[diff[0]] !== 3 || plain[diff[0]] !== 1) throw new Error('internal: the shared and unshared wasm modules differ in more than the memory flag');
  return { bytes, sharedFlagAt: diff[0], text };
}
