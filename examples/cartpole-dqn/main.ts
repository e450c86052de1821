/**
 * DQN on CartPole: an epsilon-greedy agent acts with QNet, stores every
 * transition in a replay buffer and, after each environment step, takes one
 * optimizer step (the trainer's `step`) on a batch sampled from the buffer.
 * The targets are double-DQN targets (van Hasselt et al., 2016): the online
 * network picks the next action, the target network (`models.QNetTarget`,
 * which the train block's `sync` moves toward QNet after every optimizer
 * step, tau 0.005) values it.
 *
 *   npx tsx examples/cartpole-dqn/main.ts [--json] [--seed N] [--quick]
 *
 * Reports eval_return: after training, the mean return of 100 new episodes
 * with the greedy policy under CartPole-v1's rules (500 steps at most;
 * solved: >= 475), beside a random policy's on the same episodes (about 22);
 * and avg_return, the mean of the last 100 training episodes (with
 * exploration). --quick runs 6,000 environment steps instead of 50,000 (the
 * CI test).
 */
import { Rng } from '../../runtime/data/index.js';
import { CartPole, evaluationReturns, greedy, mean, meanOfLast, randomPolicyReturns } from '../shared/cartpole.js';
import { logger, parseArgs, report } from '../shared/cli.js';
import { compileDnn, trainerOf } from '../shared/load.js';
import { ReplayBuffer } from '../shared/replay.js';

const args = parseArgs();
const log = logger(args.json);

const STEPS = args.quick ? 6_000 : 50_000; // environment steps (the .dnn's cosine schedule ends at 50,000 - WARMUP)
const WARMUP = 1_000; // random steps before learning starts
const BATCH = 64;
const GAMMA = 0.98; // a horizon of about 50 steps: 0.99 learned more slowly and less steadily here (README)
const EPS_START = 1.0;
const EPS_END = 0.01;
const EPS_STEPS = args.quick ? 3_000 : 10_000; // linear decay of epsilon

const dqn = await trainerOf(compileDnn(new URL('./cartpole-dqn.dnn', import.meta.url)), 'DQN', { seed: args.seed });
// the trainer starts QNetTarget as a copy of QNet
const { QNet, QNetTarget } = dqn.models;

const env = new CartPole(args.seed);
const rng = new Rng(args.seed + 99);
const buffer = new ReplayBuffer(100_000, 4); // the whole run: early failures stay in the buffer
const returns: number[] = [];

const started = Date.now();
let obs = env.reset();
let episodeReturn = 0;
for (let t = 1; t <= STEPS; t++) {
  const eps = Math.max(EPS_END, EPS_START - ((EPS_START - EPS_END) * t) / EPS_STEPS);
  let action: number;
  if (rng.next() < eps) action = rng.int(2);
  else {
    const { q } = await QNet.predict({ obs: { data: obs, shape: [1, 4] } });
    action = q.data[1] > q.data[0] ? 1 : 0;
  }
  const r = env.step(action);
  // a truncated episode (the 500-step cap) did not fail: its next state still has a value
  buffer.add(obs, action, r.reward, r.obs, r.terminated);
  episodeReturn += r.reward;
  obs = r.obs;
  if (r.terminated || r.truncated) {
    returns.push(episodeReturn);
    if (returns.length % 25 === 0) log(`step ${t}: episode ${returns.length}, average return of the last 100 ${meanOfLast(returns).toFixed(1)}, epsilon ${eps.toFixed(2)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    episodeReturn = 0;
    obs = env.reset();
  }
  if (t <= WARMUP) continue;

  const b = buffer.sample(BATCH, rng);
  const next = { obs: { data: b.next, shape: [BATCH, 4] } };
  const { q: qOnline } = await QNet.predict(next); // picks the next action
  const { q: qTarget } = await QNetTarget.predict(next); // values it
  const target = new Float32Array(BATCH);
  for (let i = 0; i < BATCH; i++) {
    const a = qOnline.data[2 * i + 1] > qOnline.data[2 * i] ? 1 : 0;
    target[i] = b.reward[i] + (1 - b.done[i]) * GAMMA * qTarget.data[2 * i + a];
  }
  await dqn.steps.step({ obs: { data: b.obs, shape: [BATCH, 4] }, action: b.action, target });
}
// evaluation as the field reports it: 100 new episodes, greedy (no exploration), CartPole-v1's 500-step cap
const evalReturns = await evaluationReturns(async (obs, n) => greedy((await QNet.predict({ obs: { data: obs, shape: [n, 4] } })).q.data, n));
const randomReturns = await randomPolicyReturns();
log(`evaluation: greedy average return ${mean(evalReturns).toFixed(1)} over ${evalReturns.length} episodes (solved: >= 475); a random policy: ${mean(randomReturns).toFixed(1)}`);
dqn.dispose();
report(args.json, {
  metrics: { eval_return: mean(evalReturns), avg_return: meanOfLast(returns) },
  baselines: { random: { eval_return: mean(randomReturns) } },
  episodes: returns.length,
  steps: STEPS,
  seconds: (Date.now() - started) / 1000,
});
