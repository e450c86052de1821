/**
 * `dnnc export FILE.dnn --to onnx|pytorch -o OUT [--weights W] [--model NAME]`:
 * hands a model to another engine (docs/interop.md).
 *
 *   --to onnx      OUT.onnx: the predict graph of one model (opset 17),
 *                  the weights as initializers (from W, else the initial ones)
 *   --to pytorch   OUT/: a Python package, an nn.Module per model, the train
 *                  block's loss, optimizer, schedule and metrics, its data,
 *                  and train.py for DistributedDataParallel
 *
 * Nothing half-written is left at OUT: the file (or folder) is written under
 * a temporary name beside it and renamed at the end. An op without a mapping
 * is a located diagnostic (DNN0031); a weights file of another model or an
 * unsupported opset is a one-line error; both exit 1.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { CompiledFile, CompiledModel } from '../compiler/compiled.js';
import { readFileChecked, writeFileAtomic } from '../runtime/node.js';
import { DNNC_VERSION } from '../runtime/version.js';
import type { TypedArray } from '../runtime/types.js';
import { initialWeights, weightsFromFile } from '../interop/weights.js';
import { CliError, compileOrReport, DiagnosticsReported, printDiagnostics } from './common.js';
import { checkOutputDir } from './fs-errors.js';
import { pickAnyModel } from './module.js';
import { isMissingPackage, missingPackageMessage } from '../runtime/optional-package.js';

export interface ExportOpts {
  to: 'onnx' | 'pytorch';
  out: string;
  weights?: string;
  model?: string;
  opset?: number;
  seed?: number;
  /** false with --no-data */
  data?: boolean;
  param?: Record<string, number>;
}

/** The weights to write: from --weights, else the initial weights of the model's seed. */
function weightsFor(model: CompiledModel, compiled: CompiledFile, opts: ExportOpts, bytes: Uint8Array | undefined): Map<string, TypedArray> {
  if (bytes) return weightsFromFile(model, bytes, opts.weights!, compiled.models.length > 1);
  const seed = opts.seed ?? model.train?.seed ?? 0;
  process.stderr.write(`note: no --weights: exporting the initial weights of ${model.name} (seed ${seed})\n`);
  return initialWeights(model, seed);
}

/** The ONNX exporter; its package onnx-proto (with protobufjs, about 20 MB) is an optional peer loaded only here. */
async function loadOnnxExport(): Promise<typeof import('../interop/onnx/export.js')> {
  try {
    return await import('../interop/onnx/export.js');
  } catch (e) {
    if (isMissingPackage(e, 'onnx-proto')) throw new CliError(missingPackageMessage('onnx-proto', 'dnnc export --to onnx'));
    throw e;
  }
}

export async function cmdExport(file: string, opts: ExportOpts): Promise<void> {
  checkOutputDir(dirname(opts.out)); // before any work: the file or folder is created there
  const result = compileOrReport(file, opts.param);
  const compiled = result.file;
  const bytes = opts.weights ? readFileChecked(opts.weights, 'weights file') : undefined;
  if (opts.to === 'onnx') {
    const { exportOnnx, ONNX_OPSET } = await loadOnnxExport();
    if (opts.opset !== undefined && opts.opset !== ONNX_OPSET)
      throw new CliError(`ONNX opset ${opts.opset} is not supported: dnnc writes opset ${ONNX_OPSET} (LayerNormalization needs 17; ONNX 1.12 and ONNX Runtime 1.12 and later read it)`);
    const model = pickAnyModel(compiled, file, opts.model);
    const exported = exportOnnx(model, { weights: weightsFor(model, compiled, opts, bytes), file, version: DNNC_VERSION });
    if (!exported.bytes) {
      printDiagnostics(exported.diagnostics, result.sources, true);
      throw new DiagnosticsReported();
    }
    writeFileAtomic(opts.out, exported.bytes);
    process.stdout.write(`wrote ${opts.out} (${model.name}, ONNX opset ${ONNX_OPSET}, ${exported.bytes.byteLength} bytes)\n`);
    return;
  }
  if (opts.opset !== undefined) throw new CliError('--opset applies to --to onnx only');
  const { pytorchPackage, ExportError } = await import('../interop/pytorch/export.js');
  let pkg: ReturnType<typeof pytorchPackage>;
  try {
    pkg = pytorchPackage(compiled, { file, source: result.sources.get(file), weights: (m) => weightsFor(m, compiled, opts, bytes), model: opts.model, version: DNNC_VERSION, data: opts.data !== false });
  } catch (e) {
    if (e instanceof ExportError) throw new CliError(e.message);
    throw e;
  }
  if (pkg.diagnostics.length) {
    printDiagnostics(pkg.diagnostics, result.sources, true);
    throw new DiagnosticsReported();
  }
  writeFolderAtomic(opts.out, pkg.files);
  for (const n of pkg.notes) process.stderr.write(`note: ${n}\n`);
  process.stdout.write(`wrote ${opts.out}/ (${pkg.files.length} files: ${compiled.models.map((m) => m.name).join(', ')})\n`);
}

const MARKER = 'dnnc-export.json';

/**
 * Writes the files into a temporary folder beside `out`, then renames it to
 * `out`. An earlier export at `out` (it has dnnc-export.json) is replaced;
 * any other existing file or non-empty folder is refused, never deleted.
 */
function writeFolderAtomic(out: string, files: { name: string; content: string | Uint8Array }[]): void {
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new CliError(`cannot write the package to '${out}': it is a file`);
    if (readdirSync(out).length && !existsSync(join(out, MARKER))) throw new CliError(`cannot write the package to '${out}': the folder holds files dnnc did not write (no ${MARKER}); pick a new folder`);
  }
  const parent = dirname(out);
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const temp = join(parent, `.${basename(out)}.${tag}.tmp`);
  try {
    mkdirSync(parent, { recursive: true });
    for (const f of files) {
      const path = join(temp, f.name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.content);
    }
    if (existsSync(out)) {
      const old = join(parent, `.${basename(out)}.${tag}.old`);
      renameSync(out, old);
      renameSync(temp, out);
      rmSync(old, { recursive: true, force: true });
    } else renameSync(temp, out);
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot write the package to '${out}': ${(e as Error).message}`);
  }
}
