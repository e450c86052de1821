/**
 * predict's `checkFinite`: NaN and ±Infinity flow through a model as IEEE
 * arithmetic says (relu(NaN) is NaN, as in PyTorch), so a bad value in an
 * input or in the weights shows in the outputs rather than vanishing. With
 * checkFinite, predict stops at the first non-finite input value, or else at
 * the first non-finite output value, naming the tensor and the element.
 */
import type { TypedArray } from './types.js';

/** The error predict throws under checkFinite. */
export class NonFiniteError extends Error {
  constructor(
    readonly model: string,
    /** 'input' or 'output' */
    readonly role: 'input' | 'output',
    /** the input's or output's name */
    readonly tensor: string,
    /** where: one index per dimension */
    readonly index: number[],
    readonly value: number,
  ) {
    const where = index.length ? ` at [${index.join(', ')}]` : '';
    const cause = role === 'output' ? ' though every input is finite (the weights, or an overflow inside the model)' : '';
    super(`model '${model}': ${role} '${tensor}' is not finite${where}: ${value}${cause} (checkFinite)`);
    this.name = 'NonFiniteError';
  }
}

/** The flat position of the first NaN or ±Infinity in `data`, or -1. Only f32 data can hold one. */
export function firstNonFinite(data: TypedArray): number {
  if (!(data instanceof Float32Array)) return -1;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

/** Row-major indices of the flat position `flat` in `shape`. */
export function unflatten(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1, rest = flat; d >= 0; d--) {
    const n = shape[d] || 1;
    index[d] = rest % n;
    rest = Math.floor(rest / n);
  }
  return index;
}

/** Throws a NonFiniteError for the first non-finite value of `data` (shape `shape`). */
export function requireFinite(model: string, role: 'input' | 'output', tensor: string, data: TypedArray, shape: readonly number[]): void {
  const at = firstNonFinite(data);
  if (at >= 0) throw new NonFiniteError(model, role, tensor, unflatten(at, shape), data[at]);
}
