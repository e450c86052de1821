/**
 * examples/cartpole-reinforce and examples/cartpole-dqn (CI, fixed seeds):
 * short runs of the RL loops against the TypeScript CartPole, then 100
 * evaluation episodes with the greedy policy (CartPole-v1's rules) beside a
 * random policy on the same episodes (about 22). (Full runs: README.md of
 * each example.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runExample } from '../../examples/shared/run-example.js';
import { CartPole } from '../../examples/shared/cartpole.js';

test('CartPole: seeded, deterministic, a random policy lasts about 22 steps', () => {
  const play = (seed: number) => {
    const env = new CartPole(seed);
    const lengths: number[] = [];
    let s = 12345;
    for (let ep = 0; ep < 200; ep++) {
      env.reset();
      let n = 0;
      for (;;) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        n++;
        const r = env.step(s >>> 31);
        if (r.terminated || r.truncated) break;
      }
      lengths.push(n);
    }
    return lengths;
  };
  const a = play(3);
  assert.equal(a, play(3));
  const mean = a.reduce((x, y) => x + y, 0) / a.length;
  assert.ok(mean > 15 && mean < 30, `random policy mean return ${mean}`);
});

type RlResult = ReturnType<typeof runExample> & { baselines: { random: { eval_return: number } } };

test('REINFORCE: after 200 episodes the greedy policy beats a random one on 100 evaluation episodes by far', () => {
  const r = runExample('cartpole-reinforce') as RlResult;
  const random = r.baselines.random.eval_return;
  assert.ok(random > 15 && random < 30, `random policy ${random}`);
  assert.ok(r.metrics.eval_return >= 4 * random, `greedy evaluation return ${r.metrics.eval_return} vs random ${random}`);
});

test('DQN: after 6,000 steps the greedy policy beats a random one on 100 evaluation episodes', () => {
  const r = runExample('cartpole-dqn') as RlResult;
  const random = r.baselines.random.eval_return;
  assert.ok(r.metrics.eval_return >= 2 * random, `greedy evaluation return ${r.metrics.eval_return} vs random ${random}`);
});

test.run();
