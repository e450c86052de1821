/**
 * Standard layers, written over registry primitives (small core: autodiff,
 * fusion and codegen only see the primitives), by family: core.ts (dense,
 * normalisation, dropout, noise), conv.ts (images), sequence.ts (embedding,
 * attention), recurrent.ts (rnn, lstm, gru).
 */
import type { BuiltinImpl } from '../../builtin.js';
import { batchnorm, dense, dropout, flatten, layernorm, noiseLayer, reshape, stopGradient } from './core.js';
import { conv2d, conv2dTranspose, globalAvgpool, pool, upsample } from './conv.js';
import { recurrent } from './recurrent.js';
import { attention, embedding, positional, rmsnorm } from './sequence.js';

export { ACTIVATION_DOCS, ACTIVATIONS, INIT_DOCS, INITS } from './common.js';
export { sinusoidalTable } from './sequence.js';

export const layerBuiltins: BuiltinImpl[] = [
  dense,
  flatten,
  reshape,
  layernorm,
  conv2d,
  pool('maxpool', 'maxpool2d'),
  pool('avgpool', 'avgpool2d'),
  globalAvgpool,
  batchnorm,
  dropout,
  conv2dTranspose,
  upsample,
  stopGradient,
  noiseLayer('noise', 'random_normal', 'standard-normal noise'),
  noiseLayer('uniform_noise', 'random_uniform', 'uniform noise in [0, 1)'),
  embedding,
  positional,
  rmsnorm,
  attention,
  recurrent('rnn'),
  recurrent('lstm'),
  recurrent('gru'),
  // scan(Cell, over: x, ...) is no layer: it calls a user block per time step, so the lowerer handles it (lower/blocks.ts)
];
