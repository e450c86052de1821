/**
 * Sequence models on webgpu against cpu: examples/reverse (Transformer),
 * examples/adding (LSTM) and examples/charlm (embedding + LSTM), shrunk to
 * small dims, predict the same and 3 Adam steps give the same losses,
 * metrics and weights (see seq-models.ts).
 */
import { test } from 'uvu';
import { compareSeqCase, SEQ_CASES } from './seq-models.js';
import { haveWebGpu } from './helpers.js';

for (const c of SEQ_CASES)
  test(`${c.name}: predict and 3 adam steps agree on cpu and webgpu`, async () => {
    if (!(await haveWebGpu())) return;
    const worst = await compareSeqCase(c, { backend: 'webgpu' }, { values: 1e-4, weights: 1e-4 });
    if (process.env.SEQ_VERBOSE) console.log(`\n  ${c.name}: largest weight difference ${worst.toExponential(2)}`);
  });

test.run();
