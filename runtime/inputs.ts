/**
 * Input checking and conversion: names, dtypes and shapes against the
 * entry's specs, and binding of the symbolic dims.
 *
 * Algorithm:
 *  1. Unknown names and missing inputs are errors naming them and listing
 *     the expected inputs.
 *  2. Each value becomes flat data plus, when it says so, a shape:
 *     {data, shape} and Tensors carry one; nested arrays give theirs by
 *     nesting (a plain array of numbers whose rank is below the expected
 *     rank is taken as flat); typed arrays are flat.
 *  3. Shaped inputs first: ranks must agree, numeric dims must be equal,
 *     plain symbols ("B") are bound or checked.
 *  4. Flat inputs: the product of the known dims must divide the length; a
 *     single unbound plain symbol is solved from it.
 *  5. Composite dims ("B*T", "T-1") are checked once everything is bound.
 *  6. Data is converted to the expected array type: integer-valued floats
 *     to i32, 0/1 (or booleans) to bool, any numbers to f32; other values
 *     are errors naming the input.
 */
import { dimSymbols, evalDim, isDimName, shapeToString, type Dim } from '../compiler/dims.js';
import type { Dims, ProgramEntry } from './program.js';
import type { DType, TensorInput, TypedArray } from './types.js';

export interface InputSpec {
  name: string;
  dtype: DType;
  shape: Dim[];
}

type Flat = ArrayLike<number> & { length: number };

interface Normalized {
  spec: InputSpec;
  data: Flat;
  /** the dtype the caller said it has (typed array kind or Tensor dtype), for messages */
  given: string;
  shape?: number[];
}

const isTyped = (x: unknown): x is TypedArray | Float64Array | Int8Array | Int16Array | Uint16Array | Uint32Array =>
  ArrayBuffer.isView(x) && !(x instanceof DataView);

function typedName(x: ArrayBufferView): string {
  if (x instanceof Float32Array) return 'f32';
  if (x instanceof Int32Array) return 'i32';
  if (x instanceof Uint8Array) return 'u8';
  return x.constructor.name;
}

export const describe = (dtype: string, shape: readonly Dim[]) => `${dtype}${shapeToString(shape)}`;

function flatten(x: unknown, name: string, expected: string, rank: number): { data: number[]; shape: number[] } {
  const shape: number[] = [];
  let cur: unknown = x;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    // deeper than the input's rank can only be a mistake: stop before walking it (no stack overflow)
    if (shape.length > Math.max(rank, 1)) throw new Error(`input '${name}': expected ${expected}, received an array nested deeper than ${Math.max(rank, 1)}`);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  const data: number[] = [];
  const walk = (v: unknown, d: number) => {
    if (d === shape.length) {
      if (typeof v === 'number') data.push(v);
      else if (typeof v === 'boolean') data.push(v ? 1 : 0);
      else throw new Error(`input '${name}': expected ${expected}, received a nested array holding ${Array.isArray(v) ? 'a ragged array' : typeof v}`);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d])
      throw new Error(`input '${name}': expected ${expected}, received a ragged nested array (dim ${d} is not ${shape[d]} everywhere)`);
    for (const e of v) walk(e, d + 1);
  };
  walk(x, 0);
  return { data, shape };
}

function normalize(spec: InputSpec, x: TensorInput): Normalized {
  const expected = describe(spec.dtype, spec.shape);
  if (isTyped(x)) return { spec, data: x as Flat, given: typedName(x) };
  if (Array.isArray(x)) {
    const { data, shape } = flatten(x, spec.name, expected, spec.shape.length);
    const flat = shape.length === 1 && shape.length < spec.shape.length;
    return { spec, data, given: spec.dtype, shape: flat ? undefined : shape };
  }
  if (x && typeof x === 'object' && 'data' in x && 'shape' in x) {
    const t = x as { data: unknown; shape: unknown; dtype?: unknown };
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new Error(`input '${spec.name}': expected ${expected}, received an object whose shape is not a list of non-negative integers`);
    const data = isTyped(t.data) ? (t.data as Flat) : Array.isArray(t.data) ? flatten(t.data, spec.name, expected, spec.shape.length).data : undefined;
    if (!data) throw new Error(`input '${spec.name}': expected ${expected}, received an object whose data is not an array`);
    const given = typeof t.dtype === 'string' ? t.dtype : isTyped(t.data) ? typedName(t.data) : spec.dtype;
    return { spec, data, given, shape: [...(t.shape as number[])] };
  }
  throw new Error(`input '${spec.name}': expected ${expected} (a typed array, a nested array or { data, shape }), received ${x === null ? 'null' : typeof x}`);
}

const isPlainSymbol = isDimName;

/**
 * Check `given` against `specs`, bind the symbolic dims, and convert the data.
 * `skip` names inputs the runtime supplies itself (hyper inputs).
 */
export function bindInputs(
  model: string,
  specs: InputSpec[],
  given: Record<string, TensorInput>,
  what = 'input',
): { dims: Dims; data: Map<string, TypedArray>; shapes: Map<string, number[]> } {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const list = () => specs.map((s) => `${s.name}: ${describe(s.dtype, s.shape)}`).join(', ');
  if (given === null || typeof given !== 'object') throw new Error(`model '${model}' expects an object of ${what}s { ${list()} }`);
  for (const k of Object.keys(given))
    if (!byName.has(k)) throw new Error(`unknown ${what} '${k}' for model '${model}'; expected ${what}s: ${list()}`);
  const norm: Normalized[] = [];
  for (const s of specs) {
    const v = given[s.name];
    if (v === undefined) throw new Error(`missing ${what} '${s.name}' (${describe(s.dtype, s.shape)}) for model '${model}'; expected ${what}s: ${list()}`);
    norm.push(normalize(s, v));
  }
  // no prototype: a dim may be called `constructor` or `__proto__`
  const dims: Dims = Object.create(null) as Dims;
  const fail = (n: Normalized, received: string, why = '') => {
    throw new Error(`${what} '${n.spec.name}': expected ${describe(n.spec.dtype, n.spec.shape)}, received ${received}${why}`);
  };
  const shapes = new Map<string, number[]>();
  // 3. shaped
  for (const n of norm) {
    if (!n.shape) continue;
    const s = n.spec.shape;
    const recv = describe(n.given, n.shape);
    if (n.shape.length !== s.length) fail(n, recv, ` (rank ${n.shape.length} instead of ${s.length})`);
    const size = n.shape.reduce((a, b) => a * b, 1);
    if (size !== n.data.length) fail(n, recv, ` (but its data holds ${n.data.length} values)`);
    s.forEach((d, i) => {
      const got = n.shape![i];
      if (typeof d === 'number') {
        if (d !== got) fail(n, recv, ` (dim ${i} should be ${d})`);
      } else if (isPlainSymbol(d)) {
        if (dims[d] === undefined) dims[d] = got;
        else if (dims[d] !== got) fail(n, recv, ` (${d} = ${dims[d]} from an earlier input)`);
      }
    });
    shapes.set(n.spec.name, n.shape);
  }
  // 4. flat: solve one unknown plain symbol at a time
  let pending = norm.filter((n) => !n.shape);
  while (pending.length) {
    const next: Normalized[] = [];
    let progressed = false;
    for (const n of pending) {
      const s = n.spec.shape;
      const unknown = new Set(s.flatMap((d) => dimSymbols(d)).filter((x) => dims[x] === undefined));
      const recv = `${n.given}[${n.data.length}] (flat)`;
      if (unknown.size === 0) {
        const shape = s.map((d) => evalDim(d, dims));
        const size = shape.reduce((a, b) => a * b, 1);
        if (size !== n.data.length) fail(n, recv, ` (${describe(n.spec.dtype, shape)} holds ${size} values)`);
        shapes.set(n.spec.name, shape);
        progressed = true;
        continue;
      }
      const sym = [...unknown][0];
      const solvable = unknown.size === 1 && s.filter((d) => dimSymbols(d).includes(sym)).every((d) => d === sym) && s.filter((d) => d === sym).length === 1;
      if (!solvable) {
        next.push(n);
        continue;
      }
      const known = s.filter((d) => d !== sym).reduce<number>((a, d) => a * evalDim(d, dims), 1);
      if (known === 0 || n.data.length % known !== 0 || n.data.length === 0)
        fail(n, recv, ` (${n.data.length} is not a positive multiple of ${known})`);
      dims[sym] = n.data.length / known;
      shapes.set(n.spec.name, s.map((d) => evalDim(d, dims)));
      progressed = true;
    }
    if (!progressed) {
      const n = next[0];
      fail(n, `${n.given}[${n.data.length}] (flat)`, ': cannot infer its dims from a flat array; pass { data, shape }');
    }
    pending = next;
  }
  // 5. composite dims
  for (const n of norm) {
    if (!n.shape) continue;
    n.spec.shape.forEach((d, i) => {
      if (typeof d === 'string' && !isPlainSymbol(d)) {
        const want = evalDim(d, dims);
        if (want !== n.shape![i]) fail(n, describe(n.given, n.shape!), ` (dim ${i} should be ${d} = ${want})`);
      }
    });
  }
  // 6. convert
  const data = new Map<string, TypedArray>();
  for (const n of norm) data.set(n.spec.name, convert(n, what));
  return { dims, data, shapes };
}

function convert(n: Normalized, what: string): TypedArray {
  const { dtype, name } = n.spec;
  const d = n.data;
  if (dtype === 'f32') {
    if (d instanceof Float32Array) return d;
    return Float32Array.from(d as ArrayLike<number>);
  }
  if (dtype === 'i32') {
    if (d instanceof Int32Array) return d;
    const out = new Int32Array(d.length);
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (!Number.isInteger(v) || v > 2147483647 || v < -2147483648)
        throw new Error(`${what} '${name}': expected i32 values, received ${n.given} holding ${v} at index ${i}`);
      out[i] = v;
    }
    return out;
  }
  if (d instanceof Uint8Array) {
    for (let i = 0; i < d.length; i++)
      if (d[i] > 1) throw new Error(`${what} '${name}': expected bool values (0 or 1), received ${n.given} holding ${d[i]} at index ${i}`);
    return d;
  }
  const out = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v !== 0 && v !== 1) throw new Error(`${what} '${name}': expected bool values (0 or 1), received ${n.given} holding ${v} at index ${i}`);
    out[i] = v;
  }
  return out;
}

/** Integer values an input may hold: [0, below), token ids of an embedding or class ids of a loss. */
export interface InputRange {
  input: string;
  below: number;
  what: string;
  /** absent: token ids (a vocabulary) */
  kind?: 'classes';
}

/**
 * An input value the model cannot take (a token id outside the vocabulary, a
 * class id outside the classes), with where it is, so that a training loop
 * can name the sample it came from. Recognised by `name`: the runtime may be
 * loaded twice (from source and from dist).
 */
export class InputValueError extends Error {
  constructor(
    message: string,
    readonly input: string,
    /** flat index into the input's data */
    readonly position: number,
    readonly value: number,
    /** "outside the vocabulary [0, 10) of embedding(vocab: 10)" */
    readonly problem: string,
    /** what to do about it */
    readonly fix: string,
  ) {
    super(message);
    this.name = 'InputValueError';
  }
}

/**
 * Dims that an entry can only handle up to a size (a positional table's
 * length): an Error naming the input that brought the dim, what limits it,
 * and the sizes.
 */
export function checkLimits(
  model: string,
  inputs: readonly InputSpec[],
  dims: Record<string, number>,
  limits: readonly { dim: string; max: number; what: string }[] | undefined,
  ranges?: readonly InputRange[],
  data?: ReadonlyMap<string, ArrayLike<number>>,
): void {
  for (const r of ranges ?? []) {
    const values = data?.get(r.input);
    if (!values) continue;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v >= 0 && v < r.below) continue;
      const [item, set, fix] =
        r.kind === 'classes'
          ? ['class id', 'the classes', 'fix the labels, or give the model as many outputs as there are classes']
          : ['token id', 'the vocabulary', 'fix the data, or give the embedding a larger vocab'];
      const problem = `outside ${set} [0, ${r.below}) of ${r.what}`;
      throw new InputValueError(`${model}: ${item} ${v} at position ${i} of '${r.input}' is ${problem}`, r.input, i, v, problem, fix);
    }
  }
  for (const l of limits ?? []) {
    const v = dims[l.dim];
    if (v === undefined || v <= l.max) continue;
    const input = inputs.find((i) => i.shape.some((d) => d === l.dim));
    throw new Error(`${model}: input '${input?.name ?? '?'}' has ${l.dim} = ${v}, longer than ${l.max}, the most ${l.what} allows`);
  }
}

/**
 * The inputs bound dims for which the model cannot run: a dim it computes by
 * subtraction (`T - 5`) comes out negative. Named after the inputs that
 * bound its symbols.
 */
export class DimError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DimError';
  }
}

/** The dims of an entry's tensors that subtract, hence may come out negative: found once per entry. */
const subtracting = new WeakMap<ProgramEntry, Dim[]>();

function dimsThatSubtract(entry: ProgramEntry): Dim[] {
  let found = subtracting.get(entry);
  if (!found) {
    const all = [...entry.buffers.map((b) => b.shape), ...entry.outputs.map((o) => o.shape)].flat();
    found = [...new Set(all.filter((d): d is string => typeof d === 'string' && d.includes('-')))];
    subtracting.set(entry, found);
  }
  return found;
}

/** Throws a DimError when the bound dims make one of the entry's tensors have a negative dim. */
export function checkDims(model: string, inputs: readonly InputSpec[], dims: Dims, entry: ProgramEntry): void {
  for (const d of dimsThatSubtract(entry)) {
    const symbols = dimSymbols(d);
    if (symbols.some((x) => dims[x] === undefined)) continue;
    const v = evalDim(d, dims);
    if (v >= 0) continue;
    const from = inputs.filter((i) => i.shape.some((x) => typeof x === 'string' && dimSymbols(x).some((y) => symbols.includes(y)))).map((i) => `'${i.name}'`);
    const bound = symbols.map((x) => `${x} = ${dims[x]}`).join(', ');
    throw new DimError(`${model}: ${from.length ? `input ${from.join(', ')} gives` : 'the inputs give'} ${bound}, but the model computes a tensor with the dim ${d} = ${v}: it needs larger inputs`);
  }
}
