/**
 * Sequence learning test (CI, < 60 s on 2 cores, fixed seeds). The forecast example (GRU) on the first 3,000 training windows for one epoch:
 * skill = 1 - mse / persistence mse on the held-out tail of the series.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { learn } from '../helpers/learning.js';

test('the GRU forecaster beats persistence on the held-out tail (skill)', async () => {
  const source = readFileSync(new URL('../../examples/forecast/forecast.dnn', import.meta.url), 'utf8');
  const { metrics: r, seconds } = await learn(source, 'forecast.dnn', { train: 3000, validation: 1200, epochs: 1 });
  const v = r.skill;
  assert.ok(v >= 0.7, `skill ${v} after ${seconds.toFixed(1)} s (want >= 0.7)`);
});

test.run();
