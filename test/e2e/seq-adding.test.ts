/**
 * Sequence learning test (CI, < 60 s on 2 cores, fixed seeds). The adding example with sequences of 20 steps instead of 50 (to stay fast),
 * 6,000 sequences, three epochs: held-out mse against the mean predictor's 0.167.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { learn } from '../helpers/learning.js';

test('the adding-problem LSTM gets well below the mean predictor (held-out mse)', async () => {
  const source = readFileSync(new URL('../../examples/adding/adding.dnn', import.meta.url), 'utf8').replace('f32[B, 50, 2]', 'f32[B, 20, 2]').replace('adding(split: train)', 'adding(split: train, length: 20)').replace('adding(split: test)', 'adding(split: test, length: 20)');
  const { metrics: r, seconds } = await learn(source, 'adding.dnn', { train: 6000, validation: 1000, epochs: 3 });
  const v = r.mse;
  assert.ok(v <= 0.02, `mse ${v} after ${seconds.toFixed(1)} s (want <= 0.02 (the mean predictor scores 0.167))`);
});

test.run();
