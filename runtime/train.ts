/**
 * The training loop behind `model.fit` and `model.evaluate`, independent of
 * backends: it only needs a Model's `trainStep` (fit) or a function running
 * one evaluation batch (evaluate).
 *
 * fit, per epoch:
 *   1. order the samples: a seeded Fisher-Yates shuffle (the same seed gives
 *      the same order in every run; each epoch continues the same stream),
 *      or the identity when `shuffle: false`;
 *   2. cut the order into batches of `batchSize`, the last one partial (the
 *      batch dim is symbolic, so any size runs);
 *   3. per batch gather the rows of every mapped field into typed arrays
 *      (`buildBatch`), call `trainStep`, stop on a NaN/Inf loss unless
 *      `continueOnNaN`, report `onBatch` (returning false stops);
 *   4. average loss and metrics over the epoch weighted by batch size,
 *      evaluate the validation set (metrics prefixed `val_`), report `onEpoch`
 *      (returning false stops after this epoch).
 *
 * Fields map to the model's inputs and train inputs by name; when names
 * differ, see `mapFields`.
 */
import { Rng } from './data/random.js';
import type { Dataset, DatasetField, DType, EpochResult, FitOptions, FitResult, IOSpec, Model, Signature, StepResult, Tensor, TrainingPosition, TypedArray } from './types.js';

/** A user-facing error about training (data that does not fit the model, a loss that became NaN). */
export class TrainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainError';
  }
}

/** model input/train-input name -> data set field name */
export type FieldMapping = Record<string, string>;

/**
 * Which data set field feeds each input the step needs (the model's inputs,
 * then its train inputs):
 *   1. a field with the input's name feeds it;
 *   2. if exactly one model input is left and exactly one field other than
 *      `label` is left, that field feeds it (e.g. field `features` -> input `x`);
 *   3. if exactly one train input is left and the `label` field is unused,
 *      `label` feeds it (e.g. `label` -> train input `target`);
 *   4. anything still unfed is an Error listing the fields and the inputs.
 * Fields nobody needs are ignored.
 */
export function mapFields(signature: Signature, data: Dataset, needTrainInputs = true): FieldMapping {
  const needed = needTrainInputs ? [...signature.inputs, ...signature.trainInputs] : [...signature.inputs];
  const fields = Object.keys(data.fields);
  const mapping: FieldMapping = {};
  const used = new Set<string>();
  for (const spec of needed) {
    if (Object.prototype.hasOwnProperty.call(data.fields, spec.name)) {
      mapping[spec.name] = spec.name;
      used.add(spec.name);
    }
  }
  const unmatchedInputs = signature.inputs.filter((s) => !(s.name in mapping));
  const spare = fields.filter((f) => !used.has(f) && f !== 'label');
  if (unmatchedInputs.length === 1 && spare.length === 1) {
    mapping[unmatchedInputs[0].name] = spare[0];
    used.add(spare[0]);
  }
  if (needTrainInputs) {
    const unmatchedTrain = signature.trainInputs.filter((s) => !(s.name in mapping));
    if (unmatchedTrain.length === 1 && 'label' in data.fields && !used.has('label')) {
      mapping[unmatchedTrain[0].name] = 'label';
      used.add('label');
    }
  }
  const missing = needed.filter((s) => !(s.name in mapping));
  if (missing.length > 0) {
    const describe = (s: IOSpec) => `${s.name}: ${s.dtype}[${s.shape.join(', ')}]`;
    const fieldList = fields.map((f) => `${f}: ${data.fields[f].dtype}[${['N', ...data.fields[f].sampleShape].join(', ')}]`);
    throw new TrainError(
      `the data set ${data.name} does not provide ${missing.map((s) => `'${s.name}'`).join(', ')}: ` +
        `it has the fields ${fieldList.join(', ') || '(none)'}; the model needs ${needed.map(describe).join(', ')}` +
        ` (name the fields like the inputs)`,
    );
  }
  for (const spec of needed) checkFieldShape(spec, data.fields[mapping[spec.name]], mapping[spec.name], data.name);
  return mapping;
}

function checkFieldShape(spec: IOSpec, field: DatasetField, fieldName: string, dataName: string): void {
  const sample = spec.shape.slice(1);
  const ok = sample.length === field.sampleShape.length && sample.every((d, i) => typeof d !== 'number' || d === field.sampleShape[i]);
  if (!ok) {
    throw new TrainError(
      `field '${fieldName}' of ${dataName} has samples of shape [${field.sampleShape.join(', ')}], ` +
        `but '${spec.name}' is ${spec.dtype}[${spec.shape.join(', ')}] (a batch of [${sample.join(', ')}])`,
    );
  }
}

const arrayFor: Record<DType, new (n: number) => TypedArray> = {
  f32: Float32Array,
  i32: Int32Array,
  bool: Uint8Array,
};

/**
 * Gathers the samples `indices` of each mapped field into one tensor per
 * input: shape [indices.length, ...sampleShape], dtype converted to the
 * input's dtype when the field's differs (e.g. integer labels for an f32 target).
 */
export function buildBatch(signature: Signature, data: Dataset, mapping: FieldMapping, indices: ArrayLike<number>): Record<string, Tensor> {
  const specs = [...signature.inputs, ...signature.trainInputs];
  const batch: Record<string, Tensor> = {};
  const n = indices.length;
  for (const spec of specs) {
    const fieldName = mapping[spec.name];
    if (fieldName === undefined) continue;
    const field = data.fields[fieldName];
    const per = field.sampleShape.reduce((a, b) => a * b, 1);
    const Ctor = arrayFor[spec.dtype];
    const out = new Ctor(n * per);
    const src = field.data;
    if (per === 1) {
      for (let i = 0; i < n; i++) out[i] = src[indices[i]];
    } else if (out.constructor === src.constructor) {
      for (let i = 0; i < n; i++) out.set(src.subarray(indices[i] * per, indices[i] * per + per), i * per);
    } else {
      for (let i = 0; i < n; i++) {
        const s = indices[i] * per;
        for (let j = 0; j < per; j++) out[i * per + j] = src[s + j];
      }
    }
    batch[spec.name] = { dtype: spec.dtype, shape: [n, ...field.sampleShape], data: out };
  }
  return batch;
}

/** Checks that every field holds `size` samples of its sample shape. */
export function checkDataset(data: Dataset): void {
  if (!Number.isInteger(data.size) || data.size <= 0) throw new TrainError(`the data set ${data.name} is empty`);
  for (const [name, f] of Object.entries(data.fields)) {
    const per = f.sampleShape.reduce((a, b) => a * b, 1);
    if (f.data.length !== data.size * per) {
      throw new TrainError(`field '${name}' of ${data.name} holds ${f.data.length} values, but ${data.size} samples of [${f.sampleShape.join(', ')}] need ${data.size * per}`);
    }
  }
}

function positiveInt(v: number, what: string): number {
  if (!Number.isInteger(v) || v <= 0) throw new TrainError(`${what} must be a positive integer, got ${v}`);
  return v;
}

/**
 * Lets the event loop run (signal handlers among its events): kernels run
 * synchronously, so without this an abort from SIGINT would only be seen
 * when the whole fit is over. setImmediate where it exists (Node), else a
 * zero timeout (browsers).
 */
const yieldToEvents = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Weighted running means of a loss and named metrics. */
class Means {
  private total = 0;
  private loss = 0;
  private sums: Record<string, number> = {};
  add(r: StepResult, weight: number): void {
    this.total += weight;
    this.loss += r.loss * weight;
    for (const [k, v] of Object.entries(r.metrics ?? {})) this.sums[k] = (this.sums[k] ?? 0) + v * weight;
  }
  get count(): number {
    return this.total;
  }
  get meanLoss(): number {
    return this.loss / this.total;
  }
  metrics(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.sums)) out[k] = v / this.total;
    return out;
  }
}

/** What fit tells a model that keeps its training position (for checkpoints). */
interface PositionTracker {
  planSteps(moreSteps: number): void;
  atPosition(position: TrainingPosition): void;
}

/** initialEpoch/initialBatch, checked against the run's epochs and batches per epoch. */
function resumePoint(options: FitOptions, epochs: number, batches: number): { initialEpoch: number; initialBatch: number } {
  const initialEpoch = options.initialEpoch ?? 0;
  const initialBatch = options.initialBatch ?? 0;
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch > epochs)
    throw new TrainError(`initialEpoch must be an integer from 0 to epochs (${epochs}), got ${initialEpoch}`);
  if (!Number.isInteger(initialBatch) || initialBatch < 0 || initialBatch >= batches || (initialBatch > 0 && initialEpoch === epochs))
    throw new TrainError(`initialBatch must be an integer from 0 to ${batches - 1} (the batches of an epoch at this batch size, minus one) within the run's epochs, got ${initialBatch} after epoch ${initialEpoch} of ${epochs}`);
  return { initialEpoch, initialBatch };
}

export interface FitDefaults {
  epochs: number;
  batchSize: number;
  seed: number;
}

/** The loop behind `model.fit` (see the file comment). */
export async function fitModel(model: Model, data: Dataset, options: FitOptions, defaults: FitDefaults): Promise<FitResult> {
  const epochs = positiveInt(options.epochs ?? defaults.epochs, 'epochs');
  const batchSize = positiveInt(options.batchSize ?? defaults.batchSize, 'batchSize');
  const shuffle = options.shuffle ?? true;
  checkDataset(data);
  const signature = model.signature;
  const mapping = mapFields(signature, data);
  if (options.validation) {
    checkDataset(options.validation);
    mapFields(signature, options.validation); // fail before the first epoch, not after it
  }

  const rng = new Rng(defaults.seed);
  const order = new Int32Array(data.size);
  const batches = Math.ceil(data.size / batchSize);
  const { initialEpoch, initialBatch } = resumePoint(options, epochs, batches);
  const tracked = model as Partial<PositionTracker>;
  // schedules that decay over the whole run need its length: what is left of it
  tracked.planSteps?.((epochs - initialEpoch) * batches - initialBatch);
  const history: EpochResult[] = [];
  const start = now();
  let step = initialEpoch * batches + initialBatch;
  let stop = false;
  let interrupted = false;

  for (let epoch = 1; epoch <= epochs && !stop && !interrupted; epoch++) {
    const epochStart = now();
    for (let i = 0; i < order.length; i++) order[i] = i;
    // a resumed run draws the orders of the epochs it skips too, so the stream continues where it was
    if (shuffle) rng.shuffle(order);
    if (epoch <= initialEpoch) continue;
    const means = new Means();
    for (let b = epoch === initialEpoch + 1 ? initialBatch : 0; b < batches; b++) {
      const indices = order.subarray(b * batchSize, Math.min(data.size, (b + 1) * batchSize));
      const batch = buildBatch(signature, data, mapping, indices);
      step++;
      const result = await model.trainStep(batch);
      tracked.atPosition?.({ ...(b + 1 === batches ? { epoch, batch: 0 } : { epoch: epoch - 1, batch: b + 1 }), epochs, batchSize, samples: data.size });
      if (!Number.isFinite(result.loss) && !options.continueOnNaN) {
        const what = Number.isNaN(result.loss) ? 'NaN' : 'Inf';
        throw new TrainError(`loss became ${what} at step ${step} (epoch ${epoch}, batch ${b + 1}); lower the learning rate, or keep going with the fit option continueOnNaN (dnnc train --continue-on-nan)`);
      }
      means.add(result, indices.length);
      const seconds = (now() - epochStart) / 1000;
      const reply = await options.onBatch?.({
        epoch,
        epochs,
        batch: b + 1,
        batches,
        step,
        loss: result.loss,
        samplesPerSecond: seconds > 0 ? means.count / seconds : 0,
      });
      if (reply === false) {
        stop = true;
        break;
      }
      if (options.signal && (await yieldToEvents(), options.signal.aborted)) {
        // aborted (Ctrl-C): no validation, the cut epoch is not reported
        interrupted = true;
        break;
      }
    }
    if (means.count === 0 || interrupted) break;
    const metrics = means.metrics();
    if (options.validation) {
      const val = await model.evaluate(options.validation, { batchSize, signal: options.signal });
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      for (const [k, v] of Object.entries(val)) metrics[`val_${k}`] = v;
    }
    const result: EpochResult = { epoch, loss: means.meanLoss, metrics, seconds: (now() - epochStart) / 1000 };
    history.push(result);
    // awaited: a callback may score the model between epochs
    if ((await options.onEpoch?.(result)) === false) stop = true;
  }

  const result: FitResult = { epochs: history.length, history, metrics: finalMetrics(history, options.validation !== undefined), seconds: (now() - start) / 1000 };
  if (interrupted) result.interrupted = true;
  return result;
}

/** The last epoch's validation metrics (without the `val_` prefix) when validating, else its training loss and metrics. */
function finalMetrics(history: EpochResult[], validated: boolean): Record<string, number> {
  const last = history[history.length - 1];
  if (!last) return {};
  const out: Record<string, number> = {};
  if (validated) {
    for (const [k, v] of Object.entries(last.metrics)) if (k.startsWith('val_')) out[k.slice(4)] = v;
  } else {
    out.loss = last.loss;
    for (const [k, v] of Object.entries(last.metrics)) out[k] = v;
  }
  return out;
}

/**
 * Loss and metrics over a whole data set, in order, in batches of
 * `batchSize`: means weighted by the sample count each batch reports.
 * Returns { loss, ...metrics }.
 */
export async function evaluateDataset(
  runBatch: (batch: Record<string, Tensor>) => Promise<StepResult & { count: number }>,
  signature: Signature,
  data: Dataset,
  batchSize: number,
  signal?: AbortSignal,
): Promise<Record<string, number>> {
  positiveInt(batchSize, 'batchSize');
  checkDataset(data);
  const mapping = mapFields(signature, data);
  const means = new Means();
  const indices = new Int32Array(data.size);
  for (let i = 0; i < indices.length; i++) indices[i] = i;
  for (let s = 0; s < data.size; s += batchSize) {
    const idx = indices.subarray(s, Math.min(data.size, s + batchSize));
    const r = await runBatch(buildBatch(signature, data, mapping, idx));
    means.add(r, r.count);
    if (signal && (await yieldToEvents(), signal.aborted)) break; // the caller sees signal.aborted: the means are partial
  }
  return { loss: means.meanLoss, ...means.metrics() };
}
