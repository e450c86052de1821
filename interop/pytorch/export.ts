/**
 * The PyTorch package of a .dnn file (docs/interop.md), as a list of files:
 *
 *   model.py            an nn.Module per model (./model.ts)
 *   training.py         the train block: optimizer, schedule, loss and metrics (./training.ts)
 *   train.py            DistributedDataParallel training (python/train.py)
 *   layers.py ops.py optim.py checkpoint.py data.py safetensors_io.py constants.py
 *                       the package's library (python/), the same for every export
 *   weights/<Model>.safetensors   each model's weights (given, or its initial ones), dnnc's format
 *   data/train.safetensors, data/validation.safetensors
 *                       the train block's data sets, one tensor per input, so the
 *                       package trains offline on exactly dnnc's samples
 *   constants.safetensors  large constant tensors of the forwards (position tables)
 *   dnnc-export.json    what was exported from where (marks the folder as the export's)
 *   README.md
 *
 * The train block exported is the one of `model` (or the file's only model
 * with a train block); a file whose train blocks have steps (a GAN) gets its
 * models, weights and library, without train.py (not exported yet).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompiledFile, CompiledModel, DataSpec } from '../../compiler/compiled.js';
import { makeDiagnostic, type Diagnostic } from '../../compiler/diagnostics.js';
import type { Graph } from '../../compiler/ir.js';
import { torchMapping } from '../../compiler/ops/torch.js';
import { syntheticSpan } from '../../grammar/span.js';
import { encodeFile } from '../../runtime/checkpoint.js';
import { loadDataset } from '../../runtime/data/index.js';
import { writeSafetensors, type TensorToWrite } from '../../runtime/safetensors.js';
import { mapFields } from '../../runtime/train.js';
import type { Dataset, TypedArray } from '../../runtime/types.js';
import { weightSpecs } from '../weights.js';
import { modelSource, type ModelSource } from './model.js';
import { ExportError, trainingSource } from './training.js';

export { ExportError } from './training.js';

export interface PackageFile {
  name: string;
  content: string | Uint8Array;
}

export interface PytorchExportOptions {
  /** the .dnn file as given, and its folder (data paths are relative to it) */
  file: string;
  /** the source text, for docstrings */
  source?: string;
  /** each model's weights by path */
  weights: (model: CompiledModel) => ReadonlyMap<string, TypedArray>;
  /** the model whose train block to export (default: the only one with a train block) */
  model?: string;
  version: string;
  /** write the train block's data sets into the package (default true) */
  data?: boolean;
}

export interface PytorchExport {
  files: PackageFile[];
  diagnostics: Diagnostic[];
  /** what a user should know: layers kept as ops, a train block not exported */
  notes: string[];
}

const LIBRARY = ['layers.py', 'ops.py', 'optim.py', 'checkpoint.py', 'data.py', 'safetensors_io.py', 'constants.py'];

/** The folder of the package's Python library: beside this file in the sources, at the package root once built. */
function libraryDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [join(here, 'python'), join(here, '..', '..', '..', 'interop', 'pytorch', 'python')]) if (existsSync(join(dir, 'layers.py'))) return dir;
  throw new Error(`the Python library of the PyTorch export is missing (looked in ${join(here, 'python')})`);
}

/** DNN0031 for every op of `graphs` without a PyTorch rule. */
function unmapped(owner: string, graphs: Graph[], file: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const g of graphs)
    for (const n of g.nodes) {
      if (['input', 'param', 'state', 'const'].includes(n.op)) continue;
      const m = torchMapping(n.op);
      if (m && typeof m === 'function') continue;
      if (seen.has(n.op)) continue;
      seen.add(n.op);
      const layer = n.scope && n.scope !== owner ? n.scope.slice(owner.length + 1) : undefined;
      out.push(
        makeDiagnostic('DNN0031', n.span ?? syntheticSpan(file), {
          owner,
          format: 'PyTorch',
          what: `the op '${n.op}'`,
          from: layer ? ` (from layer '${layer}')` : '',
          reason: m ? m.unsupported : 'no entry in compiler/ops/torch.ts',
        }),
      );
    }
  return out;
}

const FILE_DTYPE = { f32: 'F32', i32: 'I32', bool: 'U8' } as const;

/** A data set as a safetensors file: one tensor per input the step needs, samples on axis 0. */
function splitFile(data: Dataset, model: CompiledModel, spec: DataSpec): Uint8Array {
  const train = model.train!;
  const mapping = mapFields({ inputs: model.inputs, outputs: model.outputs, trainInputs: train.trainInputs }, data);
  const tensors: TensorToWrite[] = [];
  const metadata: Record<string, string> = { dataset: `${spec.name}(${Object.entries(spec.args).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')})`, size: String(data.size) };
  for (const [input, field] of Object.entries(mapping)) {
    const f = data.fields[field];
    const d = f.dtype === 'bool' ? Uint8Array.from(f.data as ArrayLike<number>) : f.dtype === 'i32' ? Int32Array.from(f.data as ArrayLike<number>) : Float32Array.from(f.data as ArrayLike<number>);
    if (f.dtype === 'bool') metadata[`${input}.dtype`] = 'bool';
    tensors.push({ name: input, dtype: FILE_DTYPE[f.dtype], shape: [data.size, ...f.sampleShape], data: d });
  }
  return writeSafetensors(tensors, metadata);
}

/** The data set evaluation runs on: the train block's `validate`, else the 'test' split of a built-in set read with split: train (as dnnc evaluate). */
function validationSpec(data: DataSpec, validate: DataSpec | undefined): DataSpec | undefined {
  if (validate) return validate;
  if (data.name !== 'csv' && data.args.split === 'train') return { name: data.name, args: { ...data.args, split: 'test' } };
  return undefined;
}

function pickTrained(compiled: CompiledFile, name: string | undefined): CompiledModel | undefined {
  if (name !== undefined) {
    const m = compiled.models.find((x) => x.name === name);
    if (!m) throw new ExportError(`'${compiled.file}' has no model '${name}'; its models: ${compiled.models.map((x) => x.name).join(', ')}`);
    if (!m.train) throw new ExportError(`model '${name}' has no train block in '${compiled.file}'`);
    return m;
  }
  const trained = compiled.models.filter((m) => m.train);
  if (trained.length > 1) throw new ExportError(`'${compiled.file}' trains several models (${trained.map((m) => m.name).join(', ')}): pick one with --model NAME`);
  return trained[0];
}

export function pytorchPackage(compiled: CompiledFile, o: PytorchExportOptions): PytorchExport {
  const notes: string[] = [];
  const trained = pickTrained(compiled, o.model);
  const diagnostics = compiled.models.flatMap((m) => unmapped(m.name, [m.predict, ...(m === trained ? [m.train!.evaluate] : [])], o.file));
  if (diagnostics.length) return { files: [], diagnostics, notes };

  const files: PackageFile[] = [];
  const lib = libraryDir();
  for (const name of LIBRARY) {
    let text = readFileSync(join(lib, name), 'utf8');
    if (name === 'checkpoint.py') text = text.replace(/^DNNC_VERSION = .*$/m, `DNNC_VERSION = ${JSON.stringify(o.version)}`);
    files.push({ name, content: text });
  }

  // models, their weights, their large constants
  const sources: ModelSource[] = compiled.models.map((m) => modelSource(m, o.file, o.source));
  for (const s of sources) for (const f of s.fallbacks) notes.push(`${f.path} is written as its ops, not as a layers.py module: ${f.why}`);
  for (const m of compiled.models)
    if ((m.layers ?? []).some((l) => l.kind === 'dropout'))
      notes.push(`${m.name} has dropout, which predict graphs leave out: the exported module has no dropout and trains without it`);
  files.push({ name: 'model.py', content: modelFile(sources, o) });
  for (const m of compiled.models) {
    const w = o.weights(m);
    const named = weightSpecs(m).map((s) => ({ name: s.path, spec: s, data: w.get(s.path)! }));
    files.push({ name: `weights/${m.name}.safetensors`, content: encodeFile(m.name, 'weights', named, []) });
  }
  const constants = sources.flatMap((s) => s.constants);
  if (constants.length)
    files.push({
      name: 'constants.safetensors',
      content: writeSafetensors(constants.map((c) => ({ name: c.name, dtype: FILE_DTYPE[c.dtype], shape: c.shape, data: c.dtype === 'f32' ? Float32Array.from(c.data) : c.dtype === 'i32' ? Int32Array.from(c.data) : Uint8Array.from(c.data) }))),
    });

  // the train block
  let trainNote = '';
  if (trained?.train?.data && o.data === false) {
    notes.push('the data sets are left out (--no-data): give train.py --train-data and --validation-data');
    files.push({ name: 'training.py', content: trainingSource(trained, o.file, o.source, { train: '' }) });
    files.push({ name: 'train.py', content: readFileSync(join(lib, 'train.py'), 'utf8') });
  } else if (trained?.train?.data) {
    const t = trained.train;
    const baseDir = dirname(resolve(o.file));
    const vspec = validationSpec(t.data!, t.validate);
    const dataFiles = { train: 'data/train.safetensors', ...(vspec ? { validation: 'data/validation.safetensors' } : {}) };
    files.push({ name: 'training.py', content: trainingSource(trained, o.file, o.source, dataFiles) });
    files.push({ name: 'train.py', content: readFileSync(join(lib, 'train.py'), 'utf8') });
    files.push({ name: dataFiles.train, content: splitFile(loadDataset(t.data!, baseDir), trained, t.data!) });
    if (vspec) files.push({ name: 'data/validation.safetensors', content: splitFile(loadDataset(vspec, baseDir), trained, vspec) });
  } else if (trained) {
    notes.push(`train block '${trained.train!.name}' names no data set: training.py has its loss, train.py is not written`);
    files.push({ name: 'training.py', content: trainingSource(trained, o.file, o.source, { train: '' }) });
  } else if ((compiled.trainers ?? []).length) {
    trainNote = `The train block${compiled.trainers!.length > 1 ? 's' : ''} ${compiled.trainers!.map((t) => `'${t.name}'`).join(', ')} with steps (several models or optimizers) ${compiled.trainers!.length > 1 ? 'are' : 'is'} not exported yet: the models and their weights are.`;
    notes.push(trainNote);
  }
  files.push({ name: '__init__.py', content: initFile(sources, o) });
  files.push({ name: 'README.md', content: readme(compiled, trained, o, notes) });
  files.push({
    name: 'dnnc-export.json',
    content: JSON.stringify({ format: 'dnnc-pytorch-export', dnnc_version: o.version, source: o.file, models: compiled.models.map((m) => m.name), trains: trained?.name ?? null, files: files.map((f) => f.name) }, null, 2) + '\n',
  });
  return { files, diagnostics: [], notes };
}

function modelFile(sources: ModelSource[], o: PytorchExportOptions): string {
  return [
    `"""The models of ${o.file} as PyTorch modules, exported by dnnc ${o.version}.`,
    '',
    "Each class mirrors its model: one module per layer with weights, at the path dnnc names",
    "it by (state_dict keys are dnnc's tensor paths without the model's name), and forward is",
    "the model's predict graph. The weights keep dnnc's layouts (layers.py says where they",
    "differ from torch.nn's own layers), so checkpoint.py moves them in and out unchanged.",
    '"""',
    'import torch',
    'import torch.nn.functional as F',
    'from torch import nn',
    '',
    'import constants  # noqa: F401 (large constant tensors, when a model has any)',
    'import layers',
    'import ops  # noqa: F401',
    '',
    '',
    sources.map((s) => s.text).join('\n\n'),
    '',
    '# the classes by dnnc model name',
    `MODELS = {${sources.map((s) => `${JSON.stringify(s.name)}: ${s.className}`).join(', ')}}`,
    '',
  ].join('\n');
}

function initFile(sources: ModelSource[], o: PytorchExportOptions): string {
  return [
    `"""${o.file} exported by dnnc ${o.version}: models, dnnc checkpoints, and train.py for DistributedDataParallel (README.md)."""`,
    'import os',
    'import sys',
    '',
    '# the modules import each other by plain names (train.py runs as a script from this folder)',
    'sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))',
    '',
    `from model import MODELS, ${sources.map((s) => s.className).join(', ')}  # noqa: E402,F401`,
    'import checkpoint  # noqa: E402,F401',
    '',
  ].join('\n');
}

function readme(compiled: CompiledFile, trained: CompiledModel | undefined, o: PytorchExportOptions, notes: string[]): string {
  const t = trained?.train;
  const lines = [
    `# ${o.file} for PyTorch`,
    '',
    `Exported by dnnc ${o.version} (\`dnnc export ${o.file} --to pytorch\`). Needs PyTorch (1.13 or newer) and numpy.`,
    '',
    '## Models',
    '',
    ...compiled.models.map((m) => `- \`model.${m.name}\`: ${m.inputs.map((i) => `${i.name} ${i.dtype}[${i.shape.join(', ')}]`).join(', ')} -> ${m.outputs.map((x) => `${x.name} ${x.dtype}[${x.shape.join(', ')}]`).join(', ')}; weights in \`weights/${m.name}.safetensors\``),
    '',
    '```python',
    'import checkpoint',
    `from model import ${compiled.models[0].name}`,
    `m = ${compiled.models[0].name}().eval()`,
    `checkpoint.load_weights(m, "weights/${compiled.models[0].name}.safetensors")   # or a checkpoint dnnc or train.py wrote`,
    '```',
    '',
    "state_dict keys are dnnc's tensor paths without the model's name (`conv2d_1.weight` is dnnc's",
    `\`${compiled.models[0].name}.conv2d_1.weight\`); layouts are dnnc's (layers.py lists where they differ from torch.nn).`,
    '',
  ];
  if (t) {
    lines.push(
      `## Training ${trained!.name} (train ${t.name})`,
      '',
      `training.py holds the train block: ${t.optimizer.kind} (lr ${t.optimizer.lr}), schedule ${t.schedule.kind}, batch ${t.batch}, ${t.epochs} epoch(s), metrics ${t.metrics.map((m) => m.name).join(', ') || 'none'}, and the loss.`,
      '',
      '```sh',
      'python3 train.py --save run.safetensors                 # one process',
      'python3 train.py --world-size 2 --save run.safetensors  # two processes, DistributedDataParallel (gloo on CPUs, nccl on GPUs)',
      'torchrun --nproc-per-node 4 train.py                    # under torchrun (newer PyTorch)',
      `dnnc evaluate ${o.file} --weights run.safetensors      # the checkpoint in dnnc`,
      '```',
      '',
      '`--batch` is the global batch: each process takes batch / world-size samples per step.',
      'Several machines: `--world-size 8 --nodes 2 --node-rank 0|1 --master-addr HOST` on each, or torchrun.',
      '',
    );
  }
  if (notes.length) lines.push('## Notes', '', ...notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}
