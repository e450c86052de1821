/**
 * The safetensors reader/writer on bytes: the layout the format's spec
 * describes (checked byte by byte here, independently of the reader), the
 * dtypes it converts, and a file for each way a file can be wrong.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSafetensors, writeSafetensors, MAX_HEADER_BYTES } from '../../runtime/safetensors.js';

/** A file assembled by hand: header JSON (padded to 8 bytes) and raw data. */
function rawFile(header: unknown, data: Uint8Array, options: { headerLength?: bigint; pad?: boolean } = {}): Uint8Array {
  let json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  if (options.pad !== false) {
    const padded = new Uint8Array(Math.ceil((8 + json.length) / 8) * 8 - 8).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, options.headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32bytes = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);

test('the writer follows the layout: u64 LE header length, JSON header, 8-byte aligned data, LE values', () => {
  const bytes = writeSafetensors(
    [
      { name: 'a.weight', dtype: 'F32', shape: [2, 2], data: Float32Array.from([1, -2, 3.5, 0.25]) },
      { name: 'a.ids', dtype: 'I32', shape: [3], data: Int32Array.from([7, -1, 2 ** 30]) },
      { name: 'mask', dtype: 'BOOL', shape: [2], data: Uint8Array.from([1, 0]) },
    ],
    { format: 'dnnc', note: 'x' },
  );
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const n = Number(view.getBigUint64(0, true));
  assert.is((8 + n) % 8, 0, 'data area aligned to 8');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.equal(header.__metadata__, { format: 'dnnc', note: 'x' });
  assert.equal(header['a.weight'], { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] });
  assert.equal(header['a.ids'], { dtype: 'I32', shape: [3], data_offsets: [16, 28] });
  assert.equal(header.mask, { dtype: 'BOOL', shape: [2], data_offsets: [28, 30] });
  assert.is(bytes.length, 8 + n + 30);
  assert.is(view.getFloat32(8 + n + 4, true), -2);
  assert.is(view.getInt32(8 + n + 24, true), 2 ** 30);
  assert.is(bytes[8 + n + 28], 1);
});

test('round trip: tensors, shapes (scalars and empty tensors too) and metadata come back as written', () => {
  const tensors = [
    { name: 'w', dtype: 'F32' as const, shape: [3, 1], data: Float32Array.from([1.5, NaN, -Infinity]) },
    { name: 'scalar', dtype: 'I32' as const, shape: [], data: Int32Array.from([42]) },
    { name: 'empty', dtype: 'F32' as const, shape: [0, 4], data: new Float32Array(0) },
    { name: 'u8', dtype: 'U8' as const, shape: [5], data: Uint8Array.from([0, 1, 2, 254, 255]) },
  ];
  const file = readSafetensors(writeSafetensors(tensors, { k: 'v' }));
  assert.equal(file.metadata, Object.assign(Object.create(null), { k: 'v' }));
  assert.equal([...file.tensors.keys()], ['w', 'scalar', 'empty', 'u8']);
  for (const t of tensors) {
    const got = file.tensors.get(t.name)!;
    assert.is(got.dtype, t.dtype);
    assert.equal(got.shape, t.shape);
    assert.equal(Array.from(got.data), Array.from(t.data));
    assert.is.not(got.data.buffer, t.data.buffer);
  }
});

test('F16, BF16 and F64 are converted to f32 on read, and say so', () => {
  // f16: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, smallest subnormal 2^-24 = 0x0001, inf = 0x7c00
  const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00]).buffer);
  // bf16: the top halves of float32 1.0 (0x3f80) and -0.5 (0xbf00)
  const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xbf00]).buffer);
  const f64 = new Uint8Array(Float64Array.from([0.1, -3]).buffer);
  const data = new Uint8Array([...f16, ...bf16, ...f64]);
  const header = {
    h: { dtype: 'F16', shape: [5], data_offsets: [0, 10] },
    b: { dtype: 'BF16', shape: [2], data_offsets: [10, 14] },
    d: { dtype: 'F64', shape: [2], data_offsets: [14, 30] },
  };
  const file = readSafetensors(rawFile(header, data));
  assert.equal(Array.from(file.tensors.get('h')!.data), [1, -2, 65504, 2 ** -24, Infinity]);
  assert.is(file.tensors.get('h')!.converted, 'F16');
  assert.equal(Array.from(file.tensors.get('b')!.data), [1, -0.5]);
  assert.is(file.tensors.get('b')!.dtype, 'F32');
  assert.equal(Array.from(file.tensors.get('d')!.data), [Math.fround(0.1), -3]);
});

test('a view into a larger buffer reads like a copy (byteOffset respected)', () => {
  const bytes = writeSafetensors([{ name: 'x', dtype: 'F32', shape: [2], data: Float32Array.from([4, 5]) }]);
  const big = new Uint8Array(bytes.length + 13);
  big.set(bytes, 13);
  assert.equal(Array.from(readSafetensors(big.subarray(13)).tensors.get('x')!.data), [4, 5]);
});

const ok = { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
const bad: [string, Uint8Array, RegExp][] = [
  ['empty', new Uint8Array(0), /fewer than the 8 of the header length/],
  ['7 bytes', new Uint8Array(7), /fewer than the 8/],
  ['header length beyond the file', rawFile(ok, f32bytes(1, 2), { headerLength: 1000n }), /header length says 1000 bytes, but only \d+ follow/],
  ['header length of 2^64 - 1', rawFile(ok, f32bytes(1, 2), { headerLength: 2n ** 64n - 1n }), /header length says/],
  ['header length 0', rawFile('', new Uint8Array(8), { headerLength: 0n, pad: false }), /too short/],
  ['header is not JSON', rawFile('{"x": nope}', new Uint8Array(0)), /not valid JSON/],
  ['header is not an object', rawFile('{}', new Uint8Array(0)).map((b, i) => (i === 8 ? 0x5b : b)), /does not start with '\{'/],
  ['header is a JSON array', rawFile('[1]', new Uint8Array(0)), /does not start with/],
  ['header is not UTF-8', rawFile('{"\u00e9":1}', new Uint8Array(0)).map((b, i) => (i === 11 ? 0xff : b)), /not valid UTF-8/],
  ['entry not an object', rawFile({ x: 3 }, new Uint8Array(0)), /tensor "x" is described by number/],
  ['unknown dtype', rawFile({ x: { dtype: 'F33', shape: [2], data_offsets: [0, 8] } }, f32bytes(1, 2)), /"F33", which is not a safetensors dtype/],
  ['unsupported dtype', rawFile({ x: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, f32bytes(1, 2)), /"I64", which is not supported/],
  ['negative dim', rawFile({ x: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, f32bytes(1, 2)), /shape that is not a list of non-negative integers/],
  ['fractional dim', rawFile({ x: { dtype: 'F32', shape: [1.5], data_offsets: [0, 8] } }, f32bytes(1, 2)), /shape/],
  ['offsets not a pair', rawFile({ x: { dtype: 'F32', shape: [2], data_offsets: [0] } }, f32bytes(1, 2)), /data_offsets that are not a pair/],
  ['offsets reversed', rawFile({ x: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, f32bytes(1, 2)), /outside the data area/],
  ['offsets beyond the data', rawFile({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32bytes(1, 2)), /outside the data area of 8 bytes/],
  ['shape and span disagree', rawFile({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32bytes(1, 2)), /needs 12 bytes, but its data_offsets \[0, 8\] span 8/],
  ['huge shape', rawFile({ x: { dtype: 'F32', shape: [2 ** 40, 2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, f32bytes(1, 2)), /needs \S+ bytes/],
  ['overlap', rawFile({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32bytes(1, 2)), /overlaps/],
  ['gap', rawFile({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32bytes(1, 2)), /gap at bytes 0\.\.4/],
  ['trailing bytes', rawFile(ok, f32bytes(1, 2, 3)), /cover 8 bytes of the data area, but it holds 12/],
  ['metadata not an object', rawFile({ ...ok, __metadata__: 'x' }, f32bytes(1, 2)), /__metadata__ is not an object/],
  ['metadata value not a string', rawFile({ ...ok, __metadata__: { step: 3 } }, f32bytes(1, 2)), /"step" is number, not a string/],
];

for (const [label, bytes, message] of bad)
  test(`rejected with a WeightsError naming the source: ${label}`, () => {
    try {
      readSafetensors(bytes, 'bad.safetensors');
    } catch (e) {
      assert.is((e as Error).name, 'WeightsError');
      assert.match((e as Error).message, /^bad\.safetensors: not a valid safetensors file: /);
      assert.match((e as Error).message, message);
      return;
    }
    assert.unreachable('accepted');
  });

test('the header limit is the reference implementation\'s (100 MB)', () => {
  assert.is(MAX_HEADER_BYTES, 100_000_000);
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setUint32(0, MAX_HEADER_BYTES + 1, true);
  assert.throws(() => readSafetensors(bytes), /header length says 100000001 bytes/);
});

test('the writer refuses what the format cannot hold', () => {
  assert.throws(() => writeSafetensors([{ name: 'x', dtype: 'F32', shape: [3], data: new Float32Array(2) }]), /F32\[3\] \(3 values\) but holds 2/);
  assert.throws(() => writeSafetensors([{ name: '__metadata__', dtype: 'F32', shape: [0], data: new Float32Array(0) }]), /__metadata__/);
  assert.throws(() => writeSafetensors([], { step: 3 as unknown as string }), /metadata must be strings/);
});

test.run();
