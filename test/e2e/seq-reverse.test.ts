/**
 * Sequence learning test (CI, < 60 s on 2 cores, fixed seeds). The reverse example (a one-layer Transformer encoder) on 4,000 sequences for one epoch: held-out
 * token accuracy on 500 sequences. The full run (README.md) reaches 1.0.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { learn } from '../helpers/learning.js';

test('the reverse Transformer learns to reverse token sequences (held-out token_accuracy)', async () => {
  const source = readFileSync(new URL('../../examples/reverse/reverse.dnn', import.meta.url), 'utf8');
  const { metrics, baselines, seconds } = await learn(source, 'reverse.dnn', { train: 4000, validation: 500, epochs: 1 });
  assert.ok(metrics.token_accuracy >= 0.97, `token_accuracy ${metrics.token_accuracy} after ${seconds.toFixed(1)} s (want >= 0.97)`);
  assert.ok(baselines.copy.token_accuracy < 0.3, `copying the input scores ${baselines.copy.token_accuracy}`);
});

test.run();
