/**
 * `dnnc predict FILE.dnn --weights W --input DATA`: inference on a file of
 * inputs with trained weights.
 *
 * DATA is JSON or CSV:
 *   { "image": [...], ... }   by input name: nested arrays with the batch
 *                             first, or { "data": [...flat], "shape": [...] }
 *   [ sample, sample, ... ]   one sample per element: for a model with one
 *                             input a nested or flat array of its values, else
 *                             an object by input name
 *   CSV with a header row     one sample per row, every column a value of the
 *                             model's single input, in row-major order
 * Output: per sample, the outputs (and the arg max of class scores); with
 * --json one line { "outputs": { name: { dtype, shape, data } } } with data
 * nested like the shape (NaN and ±Infinity, which JSON cannot write, as
 * null). --check-finite stops at the first NaN or ±Infinity among the inputs
 * or the outputs, naming it (exit 1).
 */
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { NonFiniteError } from '../runtime/finite.js';
import { load, readFileChecked } from '../runtime/node.js';
import type { BackendName, IOSpec, Model, Tensor, TensorInput } from '../runtime/types.js';
import { CliError, compileOrReport } from './common.js';
import { loadFactory, pickAnyModel } from './module.js';

export interface PredictOpts {
  weights: string;
  input: string;
  json?: boolean;
  model?: string;
  backend: 'auto' | BackendName;
  param?: Record<string, number>;
  /** keys in-graph noise (noise(), uniform_noise()) by this seed alone */
  seed?: number;
  /** stop at the first NaN or ±Infinity among the inputs or the outputs (predict's checkFinite) */
  checkFinite?: boolean;
}

/** Input files above this size are refused before they are read. */
const MAX_INPUT_BYTES = 512 * 2 ** 20;

const flatten = (x: unknown): unknown[] => (Array.isArray(x) ? x.flatMap(flatten) : [x]);

/** Samples (one per element) into one batch per input: flat data with the shape [N, ...sample shape]. */
function stack(samples: unknown[], inputs: IOSpec[], source: string): Record<string, TensorInput> {
  if (samples.length === 0) throw new CliError(`${source} holds no samples`);
  const out: Record<string, TensorInput> = {};
  for (const spec of inputs) {
    const per = spec.shape.slice(1);
    const values = samples.map((s, i) => {
      const v = inputs.length === 1 && (Array.isArray(s) || typeof s === 'number') ? s : s && typeof s === 'object' ? (s as Record<string, unknown>)[spec.name] : undefined;
      if (v === undefined) throw new CliError(`${source}: sample ${i} has no value for input '${spec.name}'`);
      return v;
    });
    if (per.some((d) => typeof d !== 'number')) {
      out[spec.name] = values as unknown as TensorInput; // symbolic sample dims: the nesting gives the shape
      continue;
    }
    const size = (per as number[]).reduce((a, b) => a * b, 1);
    const data: number[] = [];
    values.forEach((v, i) => {
      const flat = flatten(v);
      if (flat.length !== size) throw new CliError(`${source}: sample ${i} has ${flat.length} value(s) for input '${spec.name}', which takes ${size} per sample (${spec.dtype}[${per.join(', ')}])`);
      for (const x of flat) data.push(typeof x === 'boolean' ? Number(x) : (x as number));
    });
    out[spec.name] = { data, shape: [samples.length, ...(per as number[])] };
  }
  return out;
}

/** The inputs in a JSON or CSV file, by input name. */
export function readInputs(path: string, inputs: IOSpec[]): Record<string, TensorInput> {
  const bytes = readFileChecked(path, 'input file');
  if (bytes.byteLength > MAX_INPUT_BYTES) throw new CliError(`the input file '${path}' has ${bytes.byteLength} bytes, more than the ${MAX_INPUT_BYTES} this command reads`);
  const text = new TextDecoder().decode(bytes);
  const kind = extname(path).toLowerCase();
  if (kind === '.json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new CliError(`${path} is not valid JSON: ${(e as Error).message}`);
    }
    if (Array.isArray(value)) return stack(value, inputs, path);
    if (value && typeof value === 'object') return value as Record<string, TensorInput>;
    throw new CliError(`${path} must hold an object by input name or an array of samples, not ${value === null ? 'null' : typeof value}`);
  }
  if (kind === '.csv') {
    if (inputs.length !== 1) throw new CliError(`a CSV file feeds a model with one input; this one has ${inputs.map((i) => i.name).join(', ')}: give a JSON file`);
    let rows: string[][];
    try {
      rows = parse(text, { bom: true, trim: true, skip_empty_lines: true }) as string[][];
    } catch (e) {
      throw new CliError(`${path}: malformed CSV: ${(e as Error).message}`);
    }
    const samples = rows.slice(1).map((r, i) =>
      r.map((cell, j) => {
        const v = Number(cell);
        if (cell === '' || !Number.isFinite(v)) throw new CliError(`${path}: row ${i + 2}, column '${rows[0][j] ?? j + 1}': ${JSON.stringify(cell)} is not a number`);
        return v;
      }),
    );
    return stack(samples, inputs, path);
  }
  throw new CliError(`the input file '${path}' must be .json or .csv`);
}

/** data nested like shape (row-major) */
function nest(data: ArrayLike<number>, shape: number[]): unknown {
  if (shape.length === 0) return data[0];
  const inner = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0] }, (_, i) => nest(Array.prototype.slice.call(data, i * inner, (i + 1) * inner), shape.slice(1)));
}

function describeSample(t: Tensor, i: number): string {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const row = Array.from(t.data.subarray(i * per, (i + 1) * per));
  const shown = row.slice(0, 12).map((v) => (Number.isInteger(v) ? String(v) : v.toFixed(4)));
  const values = `[${shown.join(', ')}${row.length > 12 ? `, ... (${row.length} values)` : ''}]`;
  if (t.shape.length !== 2 || t.dtype !== 'f32') return values;
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
  return `class ${best}  ${values}`;
}

export async function cmdPredict(file: string, opts: PredictOpts): Promise<void> {
  if (opts.seed !== undefined && opts.seed > 2 ** 24) throw new CliError(`--seed must be at most 16777216 (2^24), got ${opts.seed}`);
  const { file: compiled } = compileOrReport(file, opts.param);
  const model = pickAnyModel(compiled, file, opts.model);
  const inputs = readInputs(opts.input, model.inputs);
  const create = await loadFactory(compiled, file, model.name);
  const instance = (await create({ backend: opts.backend })) as Model;
  try {
    load(instance, opts.weights, { allowExtra: compiled.models.length > 1 });
    let outputs: Record<string, Tensor>;
    try {
      outputs = await instance.predict(inputs, { checkFinite: opts.checkFinite === true, ...(opts.seed === undefined ? {} : { seed: opts.seed }) });
    } catch (e) {
      // a non-finite output comes from the model or the weights, not from the input file
      if (e instanceof NonFiniteError && e.role === 'output') throw new CliError(e.message);
      // the inputs do not fit the model: a mistake in the input file, said as the runtime words it
      throw new CliError(`${opts.input}: ${(e as Error).message}`);
    }
    if (opts.json) {
      const out = Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: nest(t.data, t.shape) }]));
      process.stdout.write(JSON.stringify({ model: model.name, outputs: out }) + '\n');
      return;
    }
    for (const [name, t] of Object.entries(outputs)) {
      process.stdout.write(`${name}: ${t.dtype}[${t.shape.join(', ')}]\n`);
      const n = t.shape.length ? t.shape[0] : 1;
      for (let i = 0; i < n; i++) process.stdout.write(`  ${i}: ${t.shape.length ? describeSample(t, i) : String(t.data[0])}\n`);
    }
  } finally {
    instance.dispose();
  }
}
