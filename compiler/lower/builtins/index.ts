/** Every built-in callable, by name. */
import type { BuiltinImpl } from '../builtin.js';
import { layerBuiltins } from './layers/index.js';
import { mathBuiltins } from './math.js';
import { trainingBuiltins } from './training.js';

export const builtins = new Map<string, BuiltinImpl>();
for (const b of [...layerBuiltins, ...mathBuiltins, ...trainingBuiltins]) {
  if (builtins.has(b.name)) throw new Error(`built-in '${b.name}' is defined twice`);
  builtins.set(b.name, b);
}
