/**
 * Sequence models on gpujs (gpu.js cpu mode in Node) against cpu:
 * examples/reverse (Transformer), examples/adding (LSTM) and examples/charlm
 * (embedding + LSTM), shrunk to small dims, predict the same and 3 Adam steps
 * give the same losses, metrics and weights (see test/webgpu/seq-models.ts).
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { test } from 'uvu';
import { compareSeqCase, SEQ_CASES } from '../webgpu/seq-models.js';

for (const c of SEQ_CASES)
  test(`${c.name}: predict and 3 adam steps agree on cpu and gpujs`, async () => {
    const worst = await compareSeqCase(c, { backend: 'gpujs', gpujs: { mode: 'cpu' } }, { values: 1e-4, weights: 1e-4 });
    if (process.env.SEQ_VERBOSE) console.log(`\n  ${c.name}: largest weight difference ${worst.toExponential(2)}`);
  });

test.run();
