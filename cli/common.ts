/**
 * What every dnnc command shares: exit codes, the errors that end a command,
 * argument parsers, package facts, and compiling a .dnn file or reporting its
 * diagnostics.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from 'commander';
import type { CompiledFile } from '../compiler/compiled.js';
import { formatDiagnostic, formatDiagnostics, type Diagnostic } from '../compiler/diagnostics.js';
import { compileFile } from '../compiler/index.js';
import { MAX_BATCH } from '../compiler/limits.js';
import { writingTo } from './fs-errors.js';

export const EXIT_USER = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 70;

/** An error to print as one line and exit with `code` (no stack). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number = EXIT_USER,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Diagnostics were printed; exit 1. */
export class DiagnosticsReported extends Error {
  constructor(readonly diagnostics: Diagnostic[] = []) {
    super('diagnostics reported');
  }
}

// ------------------------------------------------------------ package facts

/** The package root: the nearest folder above this file whose package.json is dnnc's. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'dnnc') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the dnnc package.json above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export function packageVersion(): string {
  return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version as string;
}

// ------------------------------------------------------------ argument parsers

export function collectParam(value: string, previous: Record<string, number>): Record<string, number> {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(value);
  if (!m || !Number.isFinite(Number(m[2]))) throw new InvalidArgumentError('expected NAME=NUMBER, e.g. --param D=64.');
  return { ...previous, [m[1]]: Number(m[2]) };
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}

/** A batch size: a positive integer up to MAX_BATCH. */
export function batchSize(value: string): number {
  const n = positiveInt(value);
  if (n > MAX_BATCH) throw new InvalidArgumentError(`expected at most ${MAX_BATCH.toLocaleString('en-US')}.`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a non-negative integer.');
  return n;
}

// ------------------------------------------------------------ compiling

/** The file must exist and not be a folder: a usage error (exit 2) otherwise; other trouble reading it is exit 1 (compileFile). */
export function requireFile(file: string): void {
  if (!existsSync(file)) throw new CliError(`cannot read '${file}': no such file`, EXIT_USAGE);
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new CliError(`cannot read '${file}': it is a folder`, EXIT_USAGE);
}

export function printDiagnostics(diags: Diagnostic[], sources: Map<string, string>, hasErrors: boolean): void {
  if (diags.length === 0) return;
  const text = hasErrors ? formatDiagnostics(diags, sources) : diags.map((d) => formatDiagnostic(d, sources)).join('\n\n');
  process.stderr.write(text + '\n');
}

/** Compiles or reports: returns the file and its stage dumps, or throws DiagnosticsReported after printing. */
export function compileOrReport(file: string, params: Record<string, number> | undefined): ReturnType<typeof compileFile> & { file: CompiledFile } {
  requireFile(file);
  const result = compileFile(file, params ? { params } : undefined);
  const hasErrors = result.diagnostics.some((d) => d.severity === 'error');
  printDiagnostics(result.diagnostics, result.sources, hasErrors || !result.file);
  if (hasErrors || !result.file) throw new DiagnosticsReported(result.diagnostics);
  return result as ReturnType<typeof compileFile> & { file: CompiledFile };
}

export function writeFiles(dir: string, files: { name: string; text: string }[]): string[] {
  const written: string[] = [];
  for (const f of files) {
    const path = join(dir, f.name);
    writingTo(path, () => {
      mkdirSync(dirname(path), { recursive: true });
      if (!existsSync(path) || readFileSync(path, 'utf8') !== f.text) writeFileSync(path, f.text);
    });
    written.push(path);
  }
  return written;
}

/** The module emitter, loaded on first use: it brings ts-morph, which `check` and `ir` do not need. */
export async function loadEmitter(): Promise<typeof import('../codegen/module/index.js')['emitModule']> {
  return (await import('../codegen/module/index.js')).emitModule;
}

