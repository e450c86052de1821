/**
 * Principal component analysis of images, as the linear baseline of an
 * autoencoder with a code of k numbers: the best linear code of that size
 * in squared error. The top-k eigenvectors of the train covariance come
 * from subspace iteration (k columns, re-orthonormalised each round), then
 * a Rayleigh-Ritz step; the reconstruction of x is mean + V Vᵀ (x - mean).
 */
import { meanAndCovariance, symmetricEigen } from './linalg.js';

/** Orthonormalises the k columns of Q (d×k, row-major) in place (modified Gram-Schmidt). */
function orthonormalise(Q: Float64Array, d: number, k: number): void {
  for (let c = 0; c < k; c++) {
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += Q[i * k + c] * Q[i * k + p];
      for (let i = 0; i < d; i++) Q[i * k + c] -= dot * Q[i * k + p];
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += Q[i * k + c] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < d; i++) Q[i * k + c] /= norm;
  }
}

/** C (d×d) times Q (d×k). */
function times(C: Float64Array, Q: Float64Array, d: number, k: number): Float64Array {
  const out = new Float64Array(d * k);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      const c = C[i * d + j];
      if (c === 0) continue;
      for (let m = 0; m < k; m++) out[i * k + m] += c * Q[j * k + m];
    }
  return out;
}

export interface Pca {
  mean: Float64Array;
  /** d×k, orthonormal columns, by decreasing variance */
  components: Float64Array;
  d: number;
  k: number;
}

export function fitPca(rows: ArrayLike<number>, n: number, d: number, k: number, iterations = 60): Pca {
  const { mean, cov } = meanAndCovariance(rows, n, d);
  let Q: Float64Array = new Float64Array(d * k);
  for (let i = 0; i < d * k; i++) Q[i] = Math.sin(i * 12.9898 + 78.233); // a fixed start, not aligned with any axis
  orthonormalise(Q, d, k);
  for (let it = 0; it < iterations; it++) {
    Q = times(cov, Q, d, k);
    orthonormalise(Q, d, k);
  }
  // Rayleigh-Ritz: rotate the subspace onto the eigenvectors within it
  const CQ = times(cov, Q, d, k);
  const small = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) for (let i = 0; i < d; i++) small[a * k + b] += Q[i * k + a] * CQ[i * k + b];
  const { values, vectors } = symmetricEigen(small, k);
  const order = [...values.keys()].sort((a, b) => values[b] - values[a]);
  const components = new Float64Array(d * k);
  for (let i = 0; i < d; i++) for (let c = 0; c < k; c++) for (let m = 0; m < k; m++) components[i * k + c] += Q[i * k + m] * vectors[m * k + order[c]];
  return { mean, components, d, k };
}

/** Mean squared error per value of reconstructing n rows through the PCA code. */
export function pcaReconstructionMse(p: Pca, rows: ArrayLike<number>, n: number): number {
  const { d, k, mean, components } = p;
  const code = new Float64Array(k);
  let sse = 0;
  for (let r = 0; r < n; r++) {
    code.fill(0);
    for (let i = 0; i < d; i++) {
      const x = rows[r * d + i] - mean[i];
      for (let c = 0; c < k; c++) code[c] += x * components[i * k + c];
    }
    for (let i = 0; i < d; i++) {
      let y = mean[i];
      for (let c = 0; c < k; c++) y += code[c] * components[i * k + c];
      sse += (rows[r * d + i] - y) ** 2;
    }
  }
  return sse / (n * d);
}

/** Mean squared error of answering every row with the train rows' mean. */
export function meanRowMse(train: ArrayLike<number>, nTrain: number, rows: ArrayLike<number>, n: number, d: number): number {
  const mean = new Float64Array(d);
  for (let r = 0; r < nTrain; r++) for (let i = 0; i < d; i++) mean[i] += train[r * d + i] / nTrain;
  let sse = 0;
  for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) sse += (rows[r * d + i] - mean[i]) ** 2;
  return sse / (n * d);
}
