/**
 * Baselines of window forecasting (the `seasonal` set: x f32[W, 1] -> target
 * f32[H]): the forecasts a model has to beat, as mse on the evaluated split.
 *   mean            the train targets' mean, every time
 *   persistence     the last observed value, repeated
 *   seasonal_naive  the value one period (12 steps) before each target
 *   linear_ar       least-squares linear autoregression on the whole window
 *                   (one linear map per horizon step, with a bias), fitted on
 *                   the train split: the strong simple baseline
 */
import type { Dataset } from '../types.js';
import { solveSpd } from './linalg.js';

export const SEASON = 12;

function windows(d: Dataset): { x: ArrayLike<number>; y: ArrayLike<number>; n: number; W: number; H: number } {
  const x = d.fields.x;
  const y = d.fields.target;
  if (!x || !y) throw new Error(`forecast baselines need the fields x and target; ${d.name} has ${Object.keys(d.fields).join(', ')}`);
  return { x: x.data, y: y.data, n: d.size, W: x.sampleShape[0], H: y.sampleShape[0] };
}

const mse = (d: ReturnType<typeof windows>, predict: (i: number, h: number) => number): number => {
  let s = 0;
  for (let i = 0; i < d.n; i++) for (let h = 0; h < d.H; h++) s += (d.y[i * d.H + h] - predict(i, h)) ** 2;
  return s / (d.n * d.H);
};

/** Least-squares weights [(W + 1) × H] (the last row is the bias) of a linear map from window to targets. */
export function fitLinearAr(train: Dataset, ridge = 1e-6): Float64Array {
  const t = windows(train);
  const n = t.W + 1;
  const A = new Float64Array(n * n);
  const B = new Float64Array(n * t.H);
  const row = new Float64Array(n);
  for (let i = 0; i < t.n; i++) {
    for (let j = 0; j < t.W; j++) row[j] = t.x[i * t.W + j];
    row[t.W] = 1;
    for (let j = 0; j < n; j++) {
      for (let k = j; k < n; k++) A[j * n + k] += row[j] * row[k];
      for (let h = 0; h < t.H; h++) B[j * t.H + h] += row[j] * t.y[i * t.H + h];
    }
  }
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < j; k++) A[j * n + k] = A[k * n + j];
    A[j * n + j] += ridge * t.n;
  }
  return solveSpd(A, B, n, t.H);
}

export function forecastBaselines(train: Dataset, evaluated: Dataset): Record<string, { mse: number }> {
  const t = windows(train);
  const e = windows(evaluated);
  let mean = 0;
  for (let i = 0; i < t.n * t.H; i++) mean += t.y[i] / (t.n * t.H);
  const w = fitLinearAr(train);
  const last = (i: number) => e.x[i * e.W + e.W - 1];
  return {
    mean: { mse: mse(e, () => mean) },
    persistence: { mse: mse(e, last) },
    // the value SEASON steps before target h: inside the window for h < SEASON, else an earlier forecast's source
    seasonal_naive: { mse: mse(e, (i, h) => e.x[i * e.W + e.W - SEASON + (h % SEASON)]) },
    linear_ar: {
      mse: mse(e, (i, h) => {
        let s = w[e.W * e.H + h];
        for (let j = 0; j < e.W; j++) s += e.x[i * e.W + j] * w[j * e.H + h];
        return s;
      }),
    },
  };
}
