/**
 * A checkpoint file is untrusted input: 12,000 mutations of valid weights
 * files and checkpoints (truncations, flipped and overwritten bytes, header
 * lengths and headers that lie about dtypes, shapes, offsets and metadata,
 * trailing bytes), each loaded into a model. Every one must either load
 * correctly (the model then holds exactly the values stored at the offsets
 * the header gives, read here independently of the reader) or be rejected
 * with a WeightsError naming the file, leaving the model untouched. A crash,
 * another kind of exception or a partial load fails the property.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { compileSource } from '../../compiler/compile.js';
import { instantiate } from '../../runtime/index.js';
import type { Model } from '../../runtime/types.js';

const SRC = `
model Tiny {
  input  x: f32[B, 3]
  output y: f32[B, 2]
  y = x |> dense(4) |> batchnorm |> relu |> dense(2)
}
train Tiny {
  target    : f32[B, 2]
  loss      = mse(y, target)
  optimizer = adam(lr: 1e-2)
  batch     = 4
  epochs    = 1
}`;
const program = programFromModel(compileSource(SRC, 'tiny.dnn').file!.models[0]);
const SOURCE = 'fuzz.safetensors';

// ---------------------------------------------------------------- an oracle that reads files its own way

interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** The header as JSON.parse sees it, and where the data starts; undefined when the bytes have no readable header. */
function peek(bytes: Uint8Array): { header: Record<string, Entry>; dataStart: number } | undefined {
  if (bytes.length < 8) return undefined;
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  if (n > bytes.length - 8) return undefined;
  try {
    return { header: JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')), dataStart: 8 + n };
  } catch {
    return undefined;
  }
}

/** float16 bits to a number, by its definition */
const f16 = (h: number) => {
  const e = (h >> 10) & 31;
  const f = h & 1023;
  const s = h >> 15 ? -1 : 1;
  return e === 0 ? s * f * Math.pow(2, -24) : e === 31 ? (f ? NaN : s * Infinity) : s * Math.pow(2, e - 15) * (1 + f / 1024);
};

/** The f32 values a header entry points at, converted as the docs say. */
function valuesAt(bytes: Uint8Array, dataStart: number, e: Entry): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart + e.data_offsets[0]);
  const n = e.shape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (e.dtype === 'F32') out.push(view.getFloat32(4 * i, true));
    else if (e.dtype === 'F64') out.push(Math.fround(view.getFloat64(8 * i, true)));
    else if (e.dtype === 'F16') out.push(Math.fround(f16(view.getUint16(2 * i, true))));
    else if (e.dtype === 'BF16') out.push(new Float32Array(new Uint32Array([view.getUint16(2 * i, true) << 16]).buffer)[0]);
    else throw new Error(`the model has no ${e.dtype} tensors: loading one as f32 is wrong`);
  }
  return out;
}

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => Object.is(v, b[i]) || (Number.isNaN(v) && Number.isNaN(b[i])));

// ---------------------------------------------------------------- mutations

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'bytes'; writes: [number, number][] }
  | { kind: 'data'; writes: [number, number][] }
  | { kind: 'length'; value: bigint }
  | { kind: 'append'; extra: number[] }
  | { kind: 'header'; edits: HeaderEdit[] };
type HeaderEdit =
  | { kind: 'dtype'; pick: number; dtype: string }
  | { kind: 'dim'; pick: number; axis: number; value: number }
  | { kind: 'rank'; pick: number; shape: number[] }
  | { kind: 'offset'; pick: number; which: 0 | 1; delta: number }
  | { kind: 'drop'; pick: number }
  | { kind: 'rename'; pick: number; name: string }
  | { kind: 'copy'; pick: number; name: string }
  | { kind: 'metadata'; value: unknown }
  | { kind: 'replace'; pick: number; value: unknown };

const dtypes = fc.constantFrom('F32', 'F16', 'BF16', 'F64', 'I32', 'U8', 'BOOL', 'I64', 'F8_E4M3', 'f32', '', 'F32 ');
const weird = fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null), fc.constant([]), fc.constant({}), fc.boolean(), fc.array(fc.integer({ min: -2, max: 20 }), { maxLength: 3 }));
const headerEdit: fc.Arbitrary<HeaderEdit> = fc.oneof(
  fc.record({ kind: fc.constant('dtype' as const), pick: fc.nat(), dtype: dtypes }),
  fc.record({ kind: fc.constant('dim' as const), pick: fc.nat(), axis: fc.nat(3), value: fc.oneof(fc.integer({ min: -1, max: 9 }), fc.constantFrom(2 ** 31, 2 ** 53, 1.5, -0)) }),
  fc.record({ kind: fc.constant('rank' as const), pick: fc.nat(), shape: fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('offset' as const), pick: fc.nat(), which: fc.constantFrom(0 as const, 1 as const), delta: fc.oneof(fc.integer({ min: -16, max: 16 }), fc.constantFrom(2 ** 32, -(2 ** 40), 0.5)) }),
  fc.record({ kind: fc.constant('drop' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('rename' as const), pick: fc.nat(), name: fc.constantFrom('__metadata__', 'optimizer/x', 'Tiny.dense_1.weight', '', '__proto__', 'constructor') }),
  fc.record({ kind: fc.constant('copy' as const), pick: fc.nat(), name: fc.constantFrom('Tiny.extra', 'optimizer/Tiny.dense_1.bias.m', '__proto__') }),
  fc.record({ kind: fc.constant('metadata' as const), value: weird }),
  fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), value: weird }),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('bytes' as const), writes: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('data' as const), writes: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('length' as const), value: fc.oneof(fc.bigUint(2n ** 64n - 1n), fc.bigInt({ min: 0n, max: 2000n })) }),
  fc.record({ kind: fc.constant('append' as const), extra: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 12 }) }),
  fc.record({ kind: fc.constant('header' as const), edits: fc.array(headerEdit, { minLength: 1, maxLength: 3 }) }),
);

/** Rewrites the header (keeping the data area) after applying the edits. */
function editHeader(bytes: Uint8Array, edits: HeaderEdit[], padTo8: boolean): Uint8Array {
  const p = peek(bytes)!;
  const header = p.header as Record<string, unknown>;
  const names = () => Object.keys(header).filter((k) => k !== '__metadata__');
  for (const e of edits) {
    const all = names();
    const name = all[(e as { pick?: number }).pick !== undefined ? (e as { pick: number }).pick % Math.max(1, all.length) : 0];
    const raw = header[name];
    // a previous edit may have replaced the entry by a non-object: later edits skip it
    const entry = raw && typeof raw === 'object' && Array.isArray((raw as Entry).shape) && Array.isArray((raw as Entry).data_offsets) ? (raw as Entry) : undefined;
    switch (e.kind) {
      case 'dtype':
        if (entry) entry.dtype = e.dtype;
        break;
      case 'dim':
        if (entry && entry.shape.length) entry.shape[e.axis % entry.shape.length] = e.value;
        break;
      case 'rank':
        if (entry) entry.shape = e.shape;
        break;
      case 'offset':
        if (entry) entry.data_offsets[e.which] += e.delta;
        break;
      case 'drop':
        delete header[name];
        break;
      case 'rename':
        if (raw !== undefined) {
          delete header[name];
          Object.defineProperty(header, e.name, { value: raw, enumerable: true, configurable: true, writable: true });
        }
        break;
      case 'copy':
        if (entry) Object.defineProperty(header, e.name, { value: { ...entry, data_offsets: [...entry.data_offsets] }, enumerable: true, configurable: true, writable: true });
        break;
      case 'metadata':
        header.__metadata__ = { model: 'Tiny', odd: e.value };
        break;
      case 'replace':
        header[name] = e.value;
        break;
    }
  }
  let json = Buffer.from(JSON.stringify(header));
  if (padTo8) json = Buffer.concat([json, Buffer.alloc((8 - ((8 + json.length) % 8)) % 8, 0x20)]);
  const out = new Uint8Array(8 + json.length + (bytes.length - p.dataStart));
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(p.dataStart), 8 + json.length);
  return out;
}

function mutate(base: Uint8Array, m: Mutation): Uint8Array {
  switch (m.kind) {
    case 'truncate':
      return base.slice(0, m.at % base.length);
    case 'bytes': {
      const out = base.slice();
      // half of the writes land in the header, where most of the structure is
      const headerEnd = peek(base)!.dataStart;
      m.writes.forEach(([at, v], i) => (out[i % 2 ? at % out.length : at % headerEnd] = v));
      return out;
    }
    case 'data': {
      // the data area only: the file stays valid, and must load with these new values (NaN patterns included)
      const out = base.slice();
      const start = peek(base)!.dataStart;
      for (const [at, v] of m.writes) out[start + (at % (out.length - start))] = v;
      return out;
    }
    case 'length': {
      const out = base.slice();
      new DataView(out.buffer).setBigUint64(0, m.value, true);
      return out;
    }
    case 'append':
      return Uint8Array.from([...base, ...m.extra]);
    case 'header':
      return editHeader(base, m.edits, m.edits.length % 2 === 1);
  }
}

// ---------------------------------------------------------------- the property

let loaded = 0;
let rejected = 0;
const reasons = new Map<string, number>();

async function check(model: Model, bytes: Uint8Array, asCheckpoint: boolean): Promise<void> {
  const before = model.getWeights();
  try {
    if (asCheckpoint) model.loadCheckpoint(bytes, { source: SOURCE });
    else model.loadWeights(bytes, { source: SOURCE });
  } catch (e) {
    if (!(e instanceof Error) || e.name !== 'WeightsError') throw new Error(`not a WeightsError: ${String(e)}\n${(e as Error).stack}`);
    if (!e.message.startsWith(SOURCE)) throw new Error(`the error does not name the file: ${e.message}`);
    const after = model.getWeights();
    for (const k of Object.keys(before)) if (!sameBits(after[k], before[k])) throw new Error(`partially loaded: ${k} changed, then: ${e.message}`);
    rejected++;
    const invalid = /not a valid safetensors file: ([^\d"'[(]*)/.exec(e.message);
    const reason = invalid ? `invalid: ${invalid[1].trim()}` : `mismatch: ${/\n {2}(missing|unexpected|wrong shape|wrong dtype)/.exec(e.message)?.[1] ?? e.message.slice(0, 40)}`;
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    return;
  }
  // accepted: the model must hold what the header says the file holds
  const p = peek(bytes);
  if (!p) throw new Error('accepted bytes whose header JSON.parse cannot read');
  const after = model.getWeights();
  for (const [name, values] of Object.entries(after)) {
    const e = p.header[name];
    if (!e) throw new Error(`accepted a file without ${name}`);
    if (!sameBits(values, valuesAt(bytes, p.dataStart, e))) throw new Error(`${name} does not hold the file's values`);
  }
  loaded++;
}

test('12,000 mutated weights files and checkpoints: each loads correctly or is rejected with a WeightsError, never partly', async () => {
  const model = await instantiate(program, { seed: 1 });
  const x = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i));
  await model.trainStep({ x, target: new Float32Array(8) }); // non-zero optimizer state and statistics
  const bases = { weights: await model.saveWeights(), checkpoint: await model.saveCheckpoint() };
  const t0 = Date.now();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom<'weights' | 'checkpoint'>('weights', 'checkpoint'), mutation, fc.boolean(), async (which, m, asCheckpoint) => {
      await check(model, mutate(bases[which], m), asCheckpoint && which === 'checkpoint');
    }),
    { numRuns: 12_000, seed: 20261205, endOnFailure: true },
  );
  const ms = Date.now() - t0;
  console.log(`\n  [checkpoint fuzz] 12000 files in ${ms} ms: ${loaded} loaded correctly, ${rejected} rejected; rejections by reason:\n    ${[...reasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${n} ${r}`).join('\n    ')}`);
  assert.is(loaded + rejected, 12_000);
  // both outcomes happen: the mutations reach past the first checks, and some keep files valid (data bytes, padding)
  assert.ok(rejected > 6000 && loaded > 1000, `${loaded} loaded, ${rejected} rejected`);
  assert.ok(reasons.size >= 15, `rejections of ${reasons.size} kinds only`);
  model.dispose();
});

test.run();
