/**
 * The gpu.js renderers of the ops of compiler/ops/binary.ts.
 */
import type { OpTable } from '../../../compiler/ops/index.js';
import type { GpujsRenderer } from '../types.js';

/** a binary op's renderer from its gpu.js scalar expression, where the JS one uses what gpu.js cannot compile (operands are floats; bool 0/1) */
const binary = (gpujs: (a: string, b: string) => string): GpujsRenderer => ({ scalar: (args) => gpujs(args[0], args[1]) });

/** op name -> gpu.js renderer */
export const binaryGpujsRenderers: OpTable<GpujsRenderer> = {
  logical_and: binary((a, b) => `(${a} !== 0 && ${b} !== 0 ? 1 : 0)`),
  logical_or: binary((a, b) => `(${a} !== 0 || ${b} !== 0 ? 1 : 0)`),
  where: {
    scalar: (args) => `(${args[0]} !== 0 ? ${args[1]} : ${args[2]})`,
  },
};
