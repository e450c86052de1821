/**
 * Test helpers for the gpujs backend (not a test file): one-node models of
 * registry ops with their sample inputs, and the comparison of two backends.
 * In Node the gpujs tests run gpu.js in its `cpu` mode (always available;
 * headless-gl is not installed here); the WebGL path is tested in Chromium
 * (test/browser).
 */
import * as assert from 'uvu/assert';
import type { Dim } from '../../compiler/dims.js';
import type { DType } from '../../compiler/ir.js';
import type { OpDef, OpSample } from '../../compiler/ops/types.js';
import type { Tensor, TypedArray } from '../../runtime/types.js';
import { assertClose } from '../webgpu/helpers.js';

export { assertClose, rng } from '../webgpu/helpers.js';

/** Tolerance per dtype: f32 relative 1e-4 (gpu.js float math, other rounding of intermediates), i32 and bool exact. */
export const TOLERANCE: Record<DType, number> = { f32: 1e-4, i32: 0, bool: 0 };

export { oneNodeModel, sampleData } from '../helpers/registry.js';

/** The sample's shapes with the leading dim of the highest-rank inputs made symbolic (B), when they agree. */
export function symbolicShapes(sample: OpSample): Dim[][] | undefined {
  const ranks = sample.inputs.map((s) => s.shape.length);
  const top = Math.max(...ranks);
  if (top < 1) return undefined;
  const firsts = sample.inputs.filter((s) => s.shape.length === top).map((s) => s.shape[0]);
  if (firsts.some((d) => d !== firsts[0]) || firsts[0] < 2) return undefined;
  return sample.inputs.map((s) => (s.shape.length === top ? ['B', ...s.shape.slice(1)] : [...s.shape]));
}

export function sameTensor(got: Tensor, want: Tensor, label: string): void {
  assert.equal(got.shape, want.shape, `${label}: shape`);
  assert.is(got.dtype, want.dtype, `${label}: dtype`);
  assertClose(got.data, want.data, label, TOLERANCE[want.dtype]);
}
