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
import type { CompiledFile, CompiledModel } from '../compiler/compiled.js';
import { readFileChecked, writeFileAtomic } from '../runtime/node.js';
import { DNNC_VERSION } from '../runtime/version.js';
import type { TypedArray } from '../runtime/types.js';
import { initialWeights, weightsFromFile } from '../interop/weights.js';
import { CliError, compileOrReport, DiagnosticsReported, printDiagnostics } from './common.js';
import { pickAnyModel } from './module.js';

export interface ExportOpts {
  to: 'onnx' | 'pytorch';
  out: string;
  weights?: string;
  model?: string;
  opset?: number;
  seed?: number;
  param?: Record<string, number>;
}

/** The weights to write: from --weights, else the initial weights of the model's seed. */
function weightsFor(model: CompiledModel, compiled: CompiledFile, opts: ExportOpts): Map<string, TypedArray> {
  if (opts.weights) return weightsFromFile(model, readFileChecked(opts.weights, 'weights file'), opts.weights, compiled.models.length > 1);
  const seed = opts.seed ?? model.train?.seed ?? 0;
  process.stderr.write(`note: no --weights: exporting the initial weights of ${model.name} (seed ${seed})\n`);
  return initialWeights(model, seed);
}

export async function cmdExport(file: string, opts: ExportOpts): Promise<void> {
  const result = compileOrReport(file, opts.param);
  const compiled = result.file;
  if (opts.to === 'onnx') {
    const { exportOnnx, ONNX_OPSET } = await import('../interop/onnx/export.js');
    if (opts.opset !== undefined && opts.opset !== ONNX_OPSET)
      throw new CliError(`ONNX opset ${opts.opset} is not supported: dnnc writes opset ${ONNX_OPSET} (LayerNormalization needs 17; ONNX 1.12 and ONNX Runtime 1.12 and later read it)`);
    const model = pickAnyModel(compiled, file, opts.model);
    const weights = weightsFor(model, compiled, opts);
    const exported = exportOnnx(model, { weights, file, version: DNNC_VERSION });
    if (!exported.bytes) {
      printDiagnostics(exported.diagnostics, result.sources, true);
      throw new DiagnosticsReported();
    }
    writeFileAtomic(opts.out, exported.bytes);
    process.stdout.write(`wrote ${opts.out} (${model.name}, ONNX opset ${ONNX_OPSET}, ${exported.bytes.byteLength} bytes)\n`);
    return;
  }
  throw new CliError(`--to ${opts.to}: not available yet`);
}
