/** Small helpers over columnar data sets (runtime/types.ts Dataset). */
import type { Dataset } from '../../runtime/types.js';

/** The first n samples of a data set (views, no copy). */
export function head(d: Dataset, n: number): Dataset {
  const size = Math.min(n, d.size);
  const fields: Dataset['fields'] = {};
  for (const [k, f] of Object.entries(d.fields)) {
    const per = f.sampleShape.reduce((a, b) => a * b, 1);
    fields[k] = { ...f, data: f.data.subarray(0, size * per) };
  }
  return { name: size < d.size ? `${d.name}[:${size}]` : d.name, size, fields };
}

/** The samples at `idx` of a field, gathered into one batch array. */
export function gather<T extends Float32Array | Int32Array>(data: T, per: number, idx: ArrayLike<number>): T {
  const out = new (data.constructor as new (n: number) => T)(idx.length * per);
  for (let i = 0; i < idx.length; i++) out.set(data.subarray(idx[i] * per, (idx[i] + 1) * per), i * per);
  return out;
}

/** One epoch of shuffled mini-batches: arrays of sample indices (the last, short batch is dropped). */
export function epochBatches(size: number, batch: number, rng: { int(n: number): number }): Int32Array[] {
  const order = Int32Array.from({ length: size }, (_, i) => i);
  for (let i = size - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const out: Int32Array[] = [];
  for (let s = 0; s + batch <= size; s += batch) out.push(order.subarray(s, s + batch));
  return out;
}
