/** WGSL code generation: one compute shader per kernel group, and which ops lack one. */
export { generateWgslKernel, hasWgsl, type WgslKernelSource } from './kernel.js';
export { elementwiseWgsl } from './elementwise.js';
export { missingKernels, type MissingKernel } from './missing.js';
