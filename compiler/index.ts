/** The compiler's public entry points (used by the CLI, tests and tools). */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { compileSource, type CompileOptions, type CompileResult } from './compile.js';

export { compileSource } from './compile.js';
export type { CompileOptions, CompileResult, CompileStages } from './compile.js';
export type * from './compiled.js';
export { formatDiagnostic, formatDiagnostics, type Diagnostic } from './diagnostics.js';
export { printGraph } from './print.js';
export { verifyGraph } from './verify.js';

/** Read and compile a .dnn file. A missing file is reported by the caller (the CLI), not here. */
export function compileFile(path: string, options: CompileOptions = {}): CompileResult {
  return compileSource(readFileSync(path, 'utf8'), path, { sourceDir: dirname(path), ...options });
}
