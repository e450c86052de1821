/**
 * Weights and checkpoints of a model (or a trainer) as safetensors files.
 *
 * Tensor names (documented in docs/checkpoints.md):
 *   <Model>.<layer>.<param>            parameters, as getWeights() names them
 *   <Model>.<layer>.running_mean|var   model state (batchnorm statistics);
 *                                      a trainer's sync targets (RL target
 *                                      networks, EMA copies) are models too
 *   optimizer/<param path>.<moment>    optimizer state (checkpoints only):
 *                                      Adam's m and v, momentum, ...
 * A weights file holds the first two; a checkpoint all three, plus the
 * training position in its metadata. Metadata (strings only, per the
 * format): format, format_version, dnnc_version, model, kind
 * (weights|checkpoint), params_hash (FNV-1a 64 of the weight names, dtypes
 * and shapes), and for checkpoints step, epoch, batch, epochs, batch_size,
 * samples, seed, optimizer, schedule (JSON), step_counts (trainers, JSON).
 *
 * Loading matches the file against the model before anything is written:
 * every missing, unexpected, wrong-shape or wrong-dtype tensor is listed in
 * ONE WeightsError; on success every tensor is copied in.
 */
import type { ProgramTensor } from './program.js';
import { readSafetensors, writeSafetensors, type SafeTensor, type TensorToWrite } from './safetensors.js';
import type { CheckpointInfo, DType, TrainingPosition, TypedArray } from './types.js';
import { DNNC_VERSION } from './version.js';
import { WeightsError } from './weights-error.js';

export const FORMAT_VERSION = '1';
export const OPTIMIZER_PREFIX = 'optimizer/';

const FILE_DTYPE: Record<DType, TensorToWrite['dtype']> = { f32: 'F32', i32: 'I32', bool: 'BOOL' };

export type { CheckpointInfo } from './types.js';

/** A tensor of the model, as it is named in files. */
export interface NamedTensor {
  name: string;
  spec: Pick<ProgramTensor, 'dtype' | 'shape'>;
  data: TypedArray;
}

/** FNV-1a, 64-bit, over UTF-16 code units: the params_hash of a list of weights. */
export function paramsHash(weights: readonly { name: string; spec: Pick<ProgramTensor, 'dtype' | 'shape'> }[]): string {
  const text = weights.map((w) => `${w.name}:${w.spec.dtype}[${w.spec.shape.join(',')}]`).join(';');
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/** The metadata entries of a training position (absent before the first fit). */
export function positionMetadata(p: TrainingPosition | undefined, plannedEpochs: number): Record<string, string> {
  if (!p) return { epoch: '0', batch: '0', epochs: String(plannedEpochs) };
  return { epoch: String(p.epoch), batch: String(p.batch), epochs: String(p.epochs), batch_size: String(p.batchSize), samples: String(p.samples) };
}

/** The training position a checkpoint recorded, when it recorded one (a fit had run). */
export function positionOf(info: CheckpointInfo, plannedEpochs: number): TrainingPosition | undefined {
  if (info.batchSize === undefined || info.samples === undefined) return undefined;
  return { epoch: info.epoch ?? 0, batch: info.batch ?? 0, epochs: info.epochs ?? plannedEpochs, batchSize: info.batchSize, samples: info.samples };
}

/** The bytes of a weights file or a checkpoint. `extra` adds metadata (checkpoints: the training position). */
export function encodeFile(model: string, kind: CheckpointInfo['kind'], weights: readonly NamedTensor[], optimizer: readonly NamedTensor[], extra: Record<string, string> = {}): Uint8Array {
  const metadata: Record<string, string> = {
    format: 'dnnc',
    format_version: FORMAT_VERSION,
    dnnc_version: DNNC_VERSION,
    model,
    kind,
    params_hash: paramsHash(weights),
    ...extra,
  };
  const tensor = (t: NamedTensor, name: string): TensorToWrite => ({ name, dtype: FILE_DTYPE[t.spec.dtype], shape: t.spec.shape, data: t.data });
  return writeSafetensors([...weights.map((t) => tensor(t, t.name)), ...optimizer.map((t) => tensor(t, OPTIMIZER_PREFIX + t.name))], metadata);
}

const num = (meta: Record<string, string>, key: string): number | undefined => {
  const v = meta[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
};

function infoOf(metadata: Record<string, string>, tensors: Map<string, SafeTensor>, fallbackModel: string): CheckpointInfo {
  let stepCounts: Record<string, number> | undefined;
  if (metadata.step_counts !== undefined) {
    try {
      const parsed = JSON.parse(metadata.step_counts) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && Object.values(parsed).every((v) => Number.isSafeInteger(v) && (v as number) >= 0)) stepCounts = parsed as Record<string, number>;
    } catch {
      // left undefined: checked by the caller when it needs them
    }
  }
  const info: CheckpointInfo = {
    kind: metadata.kind === 'checkpoint' ? 'checkpoint' : 'weights',
    model: metadata.model ?? fallbackModel,
    metadata,
    converted: [...tensors].filter(([, t]) => t.converted).map(([n, t]) => `${n} (${t.converted})`),
  };
  for (const [key, field] of [['step', 'step'], ['epoch', 'epoch'], ['batch', 'batch'], ['epochs', 'epochs'], ['seed', 'seed'], ['batch_size', 'batchSize'], ['samples', 'samples']] as const) {
    const v = num(metadata, key);
    if (v !== undefined) info[field] = v;
  }
  if (stepCounts) info.stepCounts = stepCounts;
  return info;
}

const shapeText = (dtype: string, shape: readonly number[]) => `${dtype}[${shape.join(', ')}]`;

/**
 * Parses `bytes` and matches its tensors against `weights` (and, when
 * `optimizer` is given, the optimizer state). Optimizer tensors in the file
 * are ignored when `optimizer` is not asked for (a checkpoint loads as
 * weights); other tensors the model lacks are mismatches unless
 * `allowExtra`. Returns the data per expected name, nothing written yet.
 */
export function decodeFile(
  bytes: Uint8Array | ArrayBuffer,
  target: { what: string; weights: readonly NamedTensor[]; optimizer?: readonly NamedTensor[] },
  options: { source?: string; allowExtra?: boolean } = {},
): { data: Map<string, TypedArray>; info: CheckpointInfo } {
  const source = options.source ?? 'the weights';
  const file = readSafetensors(bytes, source);
  const expected = [...target.weights.map((t) => ({ ...t, file: t.name })), ...(target.optimizer ?? []).map((t) => ({ ...t, file: OPTIMIZER_PREFIX + t.name }))];
  const problems: string[] = [];
  const data = new Map<string, TypedArray>();
  for (const e of expected) {
    const got = file.tensors.get(e.file);
    const want = FILE_DTYPE[e.spec.dtype];
    if (!got) {
      problems.push(`missing ${e.file} (expected ${shapeText(want, e.spec.shape)})`);
      continue;
    }
    const dtypeOk = got.dtype === want || (want === 'BOOL' && got.dtype === 'U8');
    const shapeOk = got.shape.length === e.spec.shape.length && got.shape.every((d, i) => d === e.spec.shape[i]);
    if (!dtypeOk || !shapeOk) {
      const found = shapeText(got.converted ?? got.dtype, got.shape);
      problems.push(`${!shapeOk ? 'wrong shape' : 'wrong dtype'}: ${e.file} is ${found}, expected ${shapeText(want, e.spec.shape)}`);
      continue;
    }
    data.set(e.name, got.data);
  }
  const known = new Set(expected.map((e) => e.file));
  const unexpected = [...file.tensors].filter(([name]) => !known.has(name) && !(target.optimizer === undefined && name.startsWith(OPTIMIZER_PREFIX)));
  if (!options.allowExtra) for (const [name, t] of unexpected) problems.push(`unexpected ${name} (${shapeText(t.converted ?? t.dtype, t.shape)}): ${target.what} has no such tensor`);
  const info = infoOf(file.metadata, file.tensors, target.what);
  if (problems.length) {
    const from = file.metadata.model ? ` (the file was written for '${file.metadata.model}'${file.metadata.kind ? `, as ${file.metadata.kind}` : ''})` : '';
    const hint = target.optimizer && file.metadata.kind === 'weights' ? '; it is a weights file: load it with loadWeights (dnnc train --init) to start from these weights with a fresh optimizer' : '';
    throw new WeightsError(`${source} does not fit ${target.what}${from}: ${problems.length} mismatch${problems.length > 1 ? 'es' : ''}${hint}\n  ${problems.join('\n  ')}`);
  }
  return { data, info };
}

/** Copies loaded tensors into a store of host arrays and sends each to the backend's device (when it keeps one). */
export function assignLoaded(stores: Map<string, TypedArray>, backend: { upload?(path: string): void }, data: Map<string, TypedArray>): void {
  for (const [path, values] of data) {
    stores.get(path)!.set(values);
    backend.upload?.(path);
  }
}
