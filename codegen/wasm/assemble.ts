/**
 * WAT text to WebAssembly bytes, with wabt (the WebAssembly Binary
 * Toolkit's own parser and encoder, compiled to JS), at compile time.
 * SIMD128 and threads (a shared memory import) are enabled.
 */
import wabtInit from 'wabt';

// wabt's module is an Emscripten build: it starts once, asynchronously
const wabt = await wabtInit();

const FEATURES = { simd: true, threads: true, bulk_memory: true, mutable_globals: true, sat_float_to_int: true, sign_extension: true, multi_value: true };

/** Assemble a module's text; throws with wabt's message (line:column) when the text is invalid. */
export function assembleWat(text: string, name = 'kernels.wat'): Uint8Array {
  const mod = wabt.parseWat(name, text, FEATURES);
  try {
    mod.resolveNames();
    (mod.validate as (features?: object) => void)(FEATURES);
    return mod.toBinary({ write_debug_names: false }).buffer.slice();
  } finally {
    mod.destroy();
  }
}
