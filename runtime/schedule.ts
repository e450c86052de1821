/**
 * Learning-rate schedules: the `lr` hyper input of a training step, from the
 * optimizer's base rate and the 1-based optimizer step count.
 *
 *   constant              lr
 *   step {step_size, gamma = 0.1}
 *                         lr * gamma^floor((step - 1) / step_size)
 *   exponential {gamma, decay_steps = 1}
 *                         lr * gamma^((step - 1) / decay_steps)
 *   warmup {warmup}       lr * min(1, step / warmup)
 *   cosine {total, warmup = 0, min_lr = 0}
 *                         linear warmup to lr over `warmup` steps, then
 *                         min_lr + (lr - min_lr) * (1 + cos(pi * p)) / 2 with
 *                         p = min(1, (step - warmup) / (total - warmup)).
 *                         `total` (also spelt total_steps or steps) defaults to
 *                         the run's total step count when fit knows it, else
 *                         the rate stays at lr after the warmup.
 */
import type { ProgramTrain } from './program.js';

export function learningRate(spec: ProgramTrain['schedule'], baseLr: number, step: number, totalSteps?: number): number {
  const o = spec.options ?? {};
  switch (spec.kind) {
    case 'constant':
      return baseLr;
    case 'step': {
      const size = o.step_size ?? o.stepSize ?? o.size ?? 1;
      const gamma = o.gamma ?? 0.1;
      return baseLr * Math.pow(gamma, Math.floor((step - 1) / Math.max(1, size)));
    }
    case 'exponential': {
      const gamma = o.gamma ?? 0.96;
      const every = o.decay_steps ?? o.decaySteps ?? 1;
      return baseLr * Math.pow(gamma, (step - 1) / Math.max(1, every));
    }
    case 'warmup': {
      const w = o.warmup ?? o.warmup_steps ?? 0;
      return w > 0 ? baseLr * Math.min(1, step / w) : baseLr;
    }
    case 'cosine': {
      const w = o.warmup ?? o.warmup_steps ?? 0;
      const total = o.total ?? o.total_steps ?? o.steps ?? totalSteps;
      const minLr = o.min_lr ?? o.minLr ?? 0;
      if (w > 0 && step <= w) return baseLr * (step / w);
      if (!total || total <= w) return baseLr;
      const p = Math.min(1, (step - w) / (total - w));
      return minLr + ((baseLr - minLr) * (1 + Math.cos(Math.PI * p))) / 2;
    }
    default:
      throw new Error(`unknown learning-rate schedule '${(spec as { kind: string }).kind}'`);
  }
}
