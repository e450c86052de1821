/**
 * safetensors: the checkpoint format of PyTorch, Hugging Face, candle and
 * JAX tools, read and written on plain bytes (Node and browsers alike).
 *
 * Layout of a file:
 *   bytes 0..8        N, the header's length: unsigned 64-bit little-endian
 *   bytes 8..8+N      the header: UTF-8 JSON, an object
 *                       { "<tensor name>": { "dtype": "F32", "shape": [2, 3],
 *                                            "data_offsets": [begin, end] },
 *                         "__metadata__": { "<key>": "<string value>" } }
 *                     padded with spaces so that the data starts 8-byte aligned
 *   bytes 8+N..       the data area: each tensor's bytes, row-major,
 *                     little-endian; offsets are relative to the data area
 *
 * A file is untrusted input. `readSafetensors` checks, before it allocates
 * anything sized by the file: the header length against the file size; the
 * header is UTF-8 JSON, an object, whose entries all have a known dtype, a
 * shape of non-negative integers and a pair of offsets; the offsets, sorted,
 * tile the data area exactly (in bounds, no overlap, no gap: what the
 * reference implementation demands) and each span holds product(shape) ×
 * the dtype's size bytes. Any violation is a WeightsError naming the source
 * and the fault; nothing is returned half-read. Tensor data is copied out
 * (the result never aliases the input).
 *
 * dtypes: F32, I32, U8 and BOOL are kept; F16, BF16 and F64 are converted to
 * f32 on read (`converted` says from what). Others (I64, F8, ...) are
 * recognised and refused by name.
 */
import { WeightsError } from './weights-error.js';

export type SafetensorsDType = 'F32' | 'I32' | 'U8' | 'BOOL' | 'F16' | 'BF16' | 'F64';

/** dtype -> bytes per element, for the dtypes this reader accepts */
const SIZE: Record<SafetensorsDType, number> = { F32: 4, I32: 4, U8: 1, BOOL: 1, F16: 2, BF16: 2, F64: 8 };
/** dtypes of the format that this reader does not accept (named in the error) */
const KNOWN_UNSUPPORTED = new Set(['I64', 'U64', 'I16', 'U16', 'I8', 'U32', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64']);

/** The header may not exceed this (the reference implementation's limit too). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafeTensor {
  /** the dtype as held in memory: F16/BF16/F64 come back as F32 */
  dtype: 'F32' | 'I32' | 'U8' | 'BOOL';
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
  /** the dtype in the file, when it was converted on read */
  converted?: 'F16' | 'BF16' | 'F64';
}

export interface SafetensorsFile {
  /** tensors in the order of their offsets in the file */
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

/** A tensor to write: name, dtype and shape, and its data (row-major). */
export interface TensorToWrite {
  name: string;
  dtype: 'F32' | 'I32' | 'U8' | 'BOOL';
  shape: readonly number[];
  data: Float32Array | Int32Array | Uint8Array;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function toBytes(input: Uint8Array | ArrayBuffer | ArrayBufferView): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new WeightsError(`expected the bytes of a safetensors file (a Uint8Array or an ArrayBuffer), got ${describe(input)}`);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x === 'object' ? (x as object).constructor?.name ?? 'an object' : typeof x;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Parse and validate the bytes of a safetensors file. `source` names it in errors (a path, or 'the checkpoint'). */
export function readSafetensors(input: Uint8Array | ArrayBuffer, source = 'safetensors data'): SafetensorsFile {
  const bytes = toBytes(input);
  const fail = (why: string): never => {
    throw new WeightsError(`${source}: not a valid safetensors file: ${why}`);
  };
  if (bytes.byteLength < 8) fail(`it holds ${bytes.byteLength} byte(s), fewer than the 8 of the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const available = bytes.byteLength - 8;
  if (high !== 0 || low > available) {
    const n = high * 2 ** 32 + low;
    fail(`the header length says ${n} bytes, but only ${available} follow (truncated, or not a safetensors file)`);
  }
  if (low > MAX_HEADER_BYTES) fail(`the header length ${low} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  if (low < 2) fail(`the header length is ${low}, too short for a JSON object`);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + low));
  } catch {
    return fail('the header is not valid UTF-8');
  }
  if (text[0] !== '{') fail(`the header does not start with '{' (it starts with ${JSON.stringify(text.slice(0, 8))})`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return fail('the header is not a JSON object');

  const dataStart = 8 + low;
  const dataLength = bytes.byteLength - dataStart;
  let metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = readMetadata(value, fail);
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`${where} is described by ${describe(value)}, not an object`);
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (typeof dtype !== 'string') return fail(`${where} has no dtype string`);
    if (!(dtype in SIZE)) {
      const why = KNOWN_UNSUPPORTED.has(dtype) ? 'is not supported' : 'is not a safetensors dtype';
      fail(`${where} has dtype ${JSON.stringify(dtype)}, which ${why} (supported: ${Object.keys(SIZE).join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) return fail(`${where} has a shape that is not a list of non-negative integers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) return fail(`${where} has data_offsets that are not a pair of non-negative integers`);
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLength) fail(`${where} has data_offsets [${begin}, ${end}] outside the data area of ${dataLength} bytes`);
    // product(shape) x size must equal the span; compare without building a huge product
    let elements = 1;
    for (const d of shape as number[]) {
      elements *= d;
      if (elements > dataLength) break;
    }
    const want = elements * SIZE[dtype as SafetensorsDType];
    if (want !== end - begin) fail(`${where} is ${dtype}[${(shape as number[]).join(', ')}], which needs ${want} bytes, but its data_offsets [${begin}, ${end}] span ${end - begin}`);
    entries.push({ name, dtype: dtype as SafetensorsDType, shape: shape as number[], begin, end });
  }

  // the spans, in order of their offsets, must tile the data area: no overlap, no gap
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of entries) {
    if (e.begin < at) fail(`tensor ${JSON.stringify(e.name)} (bytes ${e.begin}..${e.end}) overlaps the tensor before it (which ends at ${at})`);
    if (e.begin > at) fail(`the data area has a gap at bytes ${at}..${e.begin}, before tensor ${JSON.stringify(e.name)}`);
    at = e.end;
  }
  if (at !== dataLength) fail(`the tensors cover ${at} bytes of the data area, but it holds ${dataLength} (trailing bytes, or a header that lies)`);

  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) tensors.set(e.name, decode(bytes.subarray(dataStart + e.begin, dataStart + e.end), e.dtype, e.shape));
  return { tensors, metadata };
}

function readMetadata(value: unknown, fail: (why: string) => never): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('__metadata__ is not an object');
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') fail(`__metadata__ value ${JSON.stringify(k)} is ${describe(v)}, not a string (the format allows strings only)`);
    out[k] = v as string;
  }
  return out;
}

/** f16 bits -> number */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Copies one tensor's little-endian bytes out into a fresh typed array. */
function decode(src: Uint8Array, dtype: SafetensorsDType, shape: number[]): SafeTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  switch (dtype) {
    case 'U8':
    case 'BOOL':
      return { dtype, shape, data: src.slice() };
    case 'F32':
    case 'I32': {
      const data = dtype === 'F32' ? new Float32Array(n) : new Int32Array(n);
      if (LITTLE_ENDIAN) new Uint8Array(data.buffer).set(src);
      else if (dtype === 'F32') for (let i = 0; i < n; i++) data[i] = view.getFloat32(4 * i, true);
      else for (let i = 0; i < n; i++) data[i] = view.getInt32(4 * i, true);
      return { dtype, shape, data };
    }
    case 'F16': {
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = halfToFloat(view.getUint16(2 * i, true));
      return { dtype: 'F32', shape, data, converted: 'F16' };
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32
      const data = new Float32Array(n);
      const bits = new Uint32Array(data.buffer);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return { dtype: 'F32', shape, data, converted: 'BF16' };
    }
    case 'F64': {
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getFloat64(8 * i, true);
      return { dtype: 'F32', shape, data, converted: 'F64' };
    }
  }
}

/**
 * The bytes of a safetensors file holding `tensors` in the given order and
 * `metadata` (string values only). The header is padded with spaces so the
 * data area starts 8-byte aligned.
 */
export function writeSafetensors(tensors: readonly TensorToWrite[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new WeightsError(`safetensors metadata must be strings: ${JSON.stringify(k)} is ${describe(v)}`);
    header.__metadata__ = metadata;
  }
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === '__metadata__' || seen.has(t.name)) throw new WeightsError(`cannot write tensor name ${JSON.stringify(t.name)} twice or as __metadata__`);
    seen.add(t.name);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n) throw new WeightsError(`tensor ${JSON.stringify(t.name)} is ${t.dtype}[${t.shape.join(', ')}] (${n} values) but holds ${t.data.length}`);
    const size = n * SIZE[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.byteLength) / 8) * 8 - 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, padded, true);
  view.setUint32(4, 0, true);
  out.set(json, 8);
  let at = 8 + padded;
  for (const t of tensors) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (LITTLE_ENDIAN || t.data instanceof Uint8Array) out.set(bytes, at);
    else if (t.data instanceof Float32Array) t.data.forEach((v, i) => view.setFloat32(at + 4 * i, v, true));
    else t.data.forEach((v, i) => view.setInt32(at + 4 * i, v, true));
    at += bytes.byteLength;
  }
  return out;
}
