/** The module emitter and the program builder (CompiledFile -> generated module / in-process program). */
export { emitModule, emitModuleSource, type EmitOptions, type EmitResult } from './emit.js';
export { planModel, programFromModel, signatureOf, KernelPool, type PlannedProgram, type PlannedEntry } from './plan-model.js';
