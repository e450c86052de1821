/**
 * Test helpers for the gpujs backend (not a test file): one-node models of
 * registry ops with their sample inputs, and the comparison of two backends.
 * In Node the gpujs tests run gpu.js in its `cpu` mode (always available;
 * headless-gl is not installed here); the WebGL path is tested in Chromium
 * (test/browser).
 */
import * as assert from 'uvu/assert';
import type { DType } from '../../compiler/ir.js';
import type { Tensor } from '../../runtime/types.js';
import { assertClose } from '../webgpu/helpers.js';

export { assertClose, rng } from '../webgpu/helpers.js';

/** Tolerance per dtype: f32 relative 1e-4 (gpu.js float math, other rounding of intermediates), i32 and bool exact. */
export const TOLERANCE: Record<DType, number> = { f32: 1e-4, i32: 0, bool: 0 };

export { oneNodeModel, sampleData, symbolicShapes } from '../helpers/registry.js';

export function sameTensor(got: Tensor, want: Tensor, label: string): void {
  assert.equal(got.shape, want.shape, `${label}: shape`);
  assert.is(got.dtype, want.dtype, `${label}: dtype`);
  assertClose(got.data, want.data, label, TOLERANCE[want.dtype]);
}
