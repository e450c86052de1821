/** The compiler's public entry points (used by the CLI, tests and tools). */
import { dirname } from 'node:path';
import { compileSource, type CompileOptions, type CompileResult } from './compile.js';
import { readTextFile } from './files.js';
import { MAX_SOURCE_BYTES } from './limits.js';

export { compileSource } from './compile.js';
export type { CompileOptions, CompileResult, CompileStages } from './compile.js';
export type * from './compiled.js';
export { formatDiagnostic, formatDiagnostics, type Diagnostic } from './diagnostics.js';
export { printGraph } from './print.js';
export { FileError } from './files.js';
export { verifyGraph } from './verify.js';

/**
 * Read and compile a .dnn file (a regular file of at most MAX_SOURCE_BYTES).
 * A file that cannot be read throws a FileError naming it; the caller (the CLI) reports it.
 */
export function compileFile(path: string, options: CompileOptions = {}): CompileResult {
  return compileSource(readTextFile(path, MAX_SOURCE_BYTES), path, { sourceDir: dirname(path), ...options });
}
