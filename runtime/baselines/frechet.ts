/**
 * Scores of generated samples in the feature space of a classifier:
 *   frechetDistance   ‖μa − μb‖² + Tr(Σa + Σb − 2 (Σa Σb)^½) between the
 *                     Gaussians fitted to two sets of features (FID's formula;
 *                     FID itself uses Inception features, the examples use
 *                     their own MNIST classifier's, and say so)
 *   classifierScore   exp(E_x[KL(p(y|x) ‖ p(y))]): high when each sample is
 *                     confidently one class and the classes are spread
 *   classCounts       how many samples the classifier puts in each class
 * Tr((Σa Σb)^½) is the sum of the square roots of the eigenvalues of
 * Σa^½ Σb Σa^½ (symmetric, so Jacobi rotations find them).
 */
import { meanAndCovariance, symmetricEigen } from './linalg.js';

function sqrtSymmetric(S: Float64Array, d: number): Float64Array {
  const { values, vectors } = symmetricEigen(S, d);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const s = Math.sqrt(Math.max(0, values[k]));
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[i * d + j] += s * vectors[i * d + k] * vectors[j * d + k];
  }
  return out;
}

function matmul(A: Float64Array, B: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) for (let j = 0; j < d; j++) out[i * d + j] += A[i * d + k] * B[k * d + j];
  return out;
}

/** The Fréchet distance between the Gaussians fitted to `a` (na rows) and `b` (nb rows) of d features. */
export function frechetDistance(a: ArrayLike<number>, na: number, b: ArrayLike<number>, nb: number, d: number): number {
  const A = meanAndCovariance(a, na, d);
  const B = meanAndCovariance(b, nb, d);
  let dist = 0;
  for (let i = 0; i < d; i++) dist += (A.mean[i] - B.mean[i]) ** 2;
  let trace = 0;
  for (let i = 0; i < d; i++) trace += A.cov[i * d + i] + B.cov[i * d + i];
  const root = sqrtSymmetric(A.cov, d);
  const inner = matmul(matmul(root, B.cov, d), root, d);
  // symmetrise against rounding before the eigen-decomposition
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) inner[i * d + j] = inner[j * d + i] = (inner[i * d + j] + inner[j * d + i]) / 2;
  const { values } = symmetricEigen(inner, d);
  let cross = 0;
  for (const v of values) cross += Math.sqrt(Math.max(0, v));
  return dist + trace - 2 * cross;
}

/** Softmax of each row of n rows of c logits. */
export function softmaxRows(logits: ArrayLike<number>, n: number, c: number): Float64Array {
  const p = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < c; k++) max = Math.max(max, logits[i * c + k]);
    let sum = 0;
    for (let k = 0; k < c; k++) sum += p[i * c + k] = Math.exp(logits[i * c + k] - max);
    for (let k = 0; k < c; k++) p[i * c + k] /= sum;
  }
  return p;
}

/** exp(E_x[KL(p(y|x) ‖ p(y))]) over n rows of c class probabilities: 1 to c. */
export function classifierScore(probs: ArrayLike<number>, n: number, c: number): number {
  const marginal = new Float64Array(c);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) marginal[k] += probs[i * c + k] / n;
  let kl = 0;
  for (let i = 0; i < n; i++)
    for (let k = 0; k < c; k++) {
      const p = probs[i * c + k];
      if (p > 0) kl += (p * Math.log(p / marginal[k])) / n;
    }
  return Math.exp(kl);
}

/** How many of n rows of c scores have each class as their arg max. */
export function classCounts(scores: ArrayLike<number>, n: number, c: number): number[] {
  const counts = new Array<number>(c).fill(0);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < c; k++) if (scores[i * c + k] > scores[i * c + best]) best = k;
    counts[best]++;
  }
  return counts;
}
