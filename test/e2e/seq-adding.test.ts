/**
 * Sequence learning test (CI, < 60 s on 2 cores, fixed seeds). The adding example with sequences of 20 steps instead of 50 (to stay fast),
 * 6,000 sequences, three epochs: test mse against the mean predictor's, fitted on the same sequences.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { learn } from '../helpers/learning.js';

test('the adding-problem LSTM gets well below the mean predictor (held-out mse)', async () => {
  const source = readFileSync(new URL('../../examples/adding/adding.dnn', import.meta.url), 'utf8').replace('f32[B, 50, 2]', 'f32[B, 20, 2]').replace('adding(split: train)', 'adding(split: train, length: 20)').replace('adding(split: validation)', 'adding(split: validation, length: 20)').replace('adding(split: test)', 'adding(split: test, length: 20)');
  const { metrics, baselines, seconds } = await learn(source, 'adding.dnn', { train: 6000, validation: 1000, epochs: 3 });
  assert.ok(metrics.mse <= 0.15 * baselines.mean.mse, `mse ${metrics.mse} vs the mean predictor's ${baselines.mean.mse} after ${seconds.toFixed(1)} s (want below 15% of it)`);
});

test.run();
