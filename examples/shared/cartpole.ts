/**
 * CartPole: balance a pole on a cart by pushing the cart left or right.
 *
 * The classic control problem of Barto, Sutton & Anderson (1983), with the
 * constants and the termination rule every RL library uses:
 *   state (x, x_dot, theta, theta_dot); actions 0 = push left, 1 = push right
 *   with a force of 10 N; cart 1.0 kg, pole 0.1 kg, pole half-length 0.5 m,
 *   gravity 9.8 m/s², explicit Euler steps of 0.02 s.
 *   An episode starts with each state variable uniform in [-0.05, 0.05] and
 *   ends when |x| > 2.4 m, |theta| > 12° or after `maxSteps` (500) steps.
 *   The reward is 1 for every step taken, the last one included, so the
 *   return of an episode is its length (at most 500); a random policy
 *   averages about 22.
 * Seeded: the same seed gives the same episodes for the same actions.
 */
import { Rng } from '../../runtime/data/index.js';

const GRAVITY = 9.8;
const MASS_CART = 1.0;
const MASS_POLE = 0.1;
const TOTAL_MASS = MASS_CART + MASS_POLE;
const HALF_LENGTH = 0.5;
const POLE_MASS_LENGTH = MASS_POLE * HALF_LENGTH;
const FORCE = 10.0;
const TAU = 0.02;
const THETA_LIMIT = (12 * 2 * Math.PI) / 360;
const X_LIMIT = 2.4;

export const OBS_SIZE = 4;
export const ACTIONS = 2;

export interface StepResult {
  obs: Float32Array;
  reward: number;
  /** the pole fell or the cart left the track */
  terminated: boolean;
  /** the step cap was reached (the episode did not fail) */
  truncated: boolean;
}

export class CartPole {
  private s = new Float64Array(4);
  private steps = 0;
  private readonly rng: Rng;

  constructor(
    seed: number,
    readonly maxSteps = 500,
  ) {
    this.rng = new Rng(seed);
  }

  reset(): Float32Array {
    for (let i = 0; i < 4; i++) this.s[i] = -0.05 + 0.1 * this.rng.next();
    this.steps = 0;
    return Float32Array.from(this.s);
  }

  step(action: number): StepResult {
    const [x, xDot, theta, thetaDot] = this.s;
    const force = action === 1 ? FORCE : -FORCE;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const temp = (force + POLE_MASS_LENGTH * thetaDot * thetaDot * sin) / TOTAL_MASS;
    const thetaAcc = (GRAVITY * sin - cos * temp) / (HALF_LENGTH * (4 / 3 - (MASS_POLE * cos * cos) / TOTAL_MASS));
    const xAcc = temp - (POLE_MASS_LENGTH * thetaAcc * cos) / TOTAL_MASS;
    this.s[0] = x + TAU * xDot;
    this.s[1] = xDot + TAU * xAcc;
    this.s[2] = theta + TAU * thetaDot;
    this.s[3] = thetaDot + TAU * thetaAcc;
    this.steps++;
    const terminated = Math.abs(this.s[0]) > X_LIMIT || Math.abs(this.s[2]) > THETA_LIMIT;
    const truncated = !terminated && this.steps >= this.maxSteps;
    return { obs: Float32Array.from(this.s), reward: 1, terminated, truncated };
  }
}

/** Mean of the last n values (of all when fewer). */
export function meanOfLast(values: readonly number[], n = 100): number {
  const tail = values.slice(-n);
  return tail.length ? tail.reduce((a, b) => a + b, 0) / tail.length : 0;
}

/** The seed stream of evaluation episodes: apart from every training stream. */
export const EVAL_SEED = 2_000_000;

/**
 * Returns of `episodes` evaluation episodes under CartPole-v1's rules (500
 * steps at most), all played at once: `act` gets the observations of the
 * live episodes (rows of 4) and returns one action each. With a greedy
 * policy this is how RL results are reported; solved = average >= 475.
 */
export async function evaluationReturns(act: (obs: Float32Array, n: number) => Promise<ArrayLike<number>>, episodes = 100, seed = EVAL_SEED): Promise<number[]> {
  const envs = Array.from({ length: episodes }, (_, i) => new CartPole(seed + i));
  const obs = envs.map((e) => e.reset());
  const returns = new Array<number>(episodes).fill(0);
  const live = envs.map(() => true);
  while (live.some(Boolean)) {
    const ids = live.flatMap((l, i) => (l ? [i] : []));
    const batch = new Float32Array(ids.length * OBS_SIZE);
    ids.forEach((e, j) => batch.set(obs[e], j * OBS_SIZE));
    const actions = await act(batch, ids.length);
    ids.forEach((e, j) => {
      const r = envs[e].step(actions[j]);
      returns[e] += r.reward;
      obs[e] = r.obs;
      if (r.terminated || r.truncated) live[e] = false;
    });
  }
  return returns;
}

/** The arg max of each row of `n` rows of ACTIONS scores: the greedy action. */
export function greedy(scores: ArrayLike<number>, n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = scores[i * ACTIONS + 1] > scores[i * ACTIONS] ? 1 : 0;
  return out;
}

/** Evaluation returns of the uniformly random policy: the baseline every agent must beat. */
export async function randomPolicyReturns(episodes = 100, seed = EVAL_SEED): Promise<number[]> {
  const rng = new Rng(seed + 31);
  return evaluationReturns(async (_obs, n) => Int32Array.from({ length: n }, () => rng.int(ACTIONS)), episodes, seed);
}

export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
