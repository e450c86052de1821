/** The dnnc runtime: what generated modules import (`import { instantiate } from 'dnnc'`). */
export { instantiate } from './model.js';
export { instantiateTrainer } from './trainer.js';
export { generate, type GenerateOptions } from './generate.js';
export type * from './types.js';
export type { Program, ProgramEntry, ProgramBuffer, ProgramStep, ProgramTensor, ProgramTrain, TrainerProgram, TrainerStepProgram, SyncProgram, KernelFn, KernelPart, SplitRows, SplitKernelFn, Dims, WgslKernelSpec, WgslPass, GpujsKernelSpec, GpujsPass, WasmModuleSpec, WasmKernelSpec } from './program.js';
export { learningRate } from './schedule.js';
export { initTensor, hash32, mulberry32 } from './init.js';
export { readSafetensors, writeSafetensors, MAX_HEADER_BYTES, type SafeTensor, type SafetensorsFile, type TensorToWrite } from './safetensors.js';
export { OPTIMIZER_PREFIX, paramsHash } from './checkpoint.js';
export { WeightsError } from './weights-error.js';
export { NonFiniteError } from './finite.js';
export { BackendError } from './backend-error.js';
export { DNNC_VERSION } from './version.js';
export { InputValueError } from './inputs.js';
