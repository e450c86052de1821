/** gpu.js code generation: kernel functions per kernel group, and which ops lack one. */
export { generateGpujsKernel, hasGpujs, missingGpujs, type MissingGpujs } from './kernel.js';
