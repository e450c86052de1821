/**
 * Sequence learning test (CI, < 60 s on 2 cores, fixed seeds). The forecast
 * example (GRU) on the first 3,000 training windows for one epoch, scored on
 * the test stretch of the series against the baselines fitted on the same
 * windows: it must beat the mean forecast, persistence and the seasonal-naive
 * forecast by a wide margin. (The least-squares linear AR model is the strong
 * baseline the full run is measured against: see the example's README.)
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { learn } from '../helpers/learning.js';

test('the GRU forecaster beats the mean, persistence and seasonal-naive forecasts on the test stretch', async () => {
  const source = readFileSync(new URL('../../examples/forecast/forecast.dnn', import.meta.url), 'utf8');
  const { metrics, baselines, seconds } = await learn(source, 'forecast.dnn', { train: 3000, validation: 500, test: 1000, epochs: 1 });
  for (const b of ['mean', 'persistence', 'seasonal_naive'])
    assert.ok(metrics.mse < 0.5 * baselines[b].mse, `mse ${metrics.mse} vs ${b} ${baselines[b].mse} after ${seconds.toFixed(1)} s (want below half of it)`);
});

test.run();
