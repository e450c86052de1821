/** CPU code generation: kernels as JS source specialised to static shapes, and entry plans. */
export { planCpuEntry, kernelName, type CpuEntryPlan, type PlanOptions } from './plan.js';
export { generateKernel, renderKernel, compileKernels, kernelComment, singleNodeGroup, type CpuKernelSource, type KernelGroup } from './kernel.js';
export { broadcastLoops, elementwiseBody } from './elementwise.js';
export { cpuTemplates, cpuSplitTemplates } from './templates.js';
export { splitPrologue } from './split.js';
