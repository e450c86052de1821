/**
 * The peers of the CPU bench (bench/cpu.bench.ts): PyTorch, timed by
 * bench/torch_cpu_peer.py in a child process per thread count, and the same
 * networks in TF.js (its pure-JS cpu and its wasm backends).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { BATCH, clock, here, only, peerNames, quick, threads, type Outcome, type PeerName, type TfPeer } from './cpu-bench-options.js';

// ------------------------------------------------------------ PyTorch

type TorchRows = Record<string, { medianMs: number; samples: number }>;
export const torchRuns = new Map<number, { rows?: TorchRows; version?: string; error?: string }>();

/** PyTorch's timings of every selected case on `n` threads (one child process per thread count). */
function torchOn(n: number): { rows?: TorchRows; version?: string; error?: string } {
  const hit = torchRuns.get(n);
  if (hit) return hit;
  let r: { rows?: TorchRows; version?: string; error?: string };
  try {
    const out = execFileSync('python3', [join(here, 'torch_cpu_peer.py'), `--threads=${n}`, `--cases=${[...only].join(',')}`, `--batch=${BATCH}`, `--clock=${clock}`, ...(quick ? ['--quick'] : [])], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 600_000,
      // Debian's python3-torch lives in the system python (a python3 earlier on PATH may lack it)
      env: { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}`, OMP_NUM_THREADS: String(n) },
    });
    const j = JSON.parse(out.trim().split('\n').pop()!) as { rows?: TorchRows; torch?: string; error?: string };
    r = j.error ? { error: j.error } : { rows: j.rows, version: j.torch };
  } catch (e) {
    r = { error: `python3 bench/torch_cpu_peer.py failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
  torchRuns.set(n, r);
  return r;
}

function torchOutcome(caseId: string, n: number): Outcome {
  const r = torchOn(n);
  if (r.error) return { status: 'n/a', reason: r.error };
  const t = r.rows?.[caseId];
  if (!t) return { status: 'n/a', reason: `PyTorch peer has no case ${caseId}` };
  return { status: 'ok', timing: { median: t.medianMs / 1000, mean: t.medianMs / 1000, rme: 0, samples: t.samples } };
}

export function torchPeers(caseId: string): Partial<Record<PeerName, Outcome>> {
  if (!peerNames.includes('torch')) return {};
  return { torch: torchOutcome(caseId, threads), ...(threads > 1 ? { torch1: torchOutcome(caseId, 1) } : {}) };
}

// ------------------------------------------------------------ TF.js

export async function useBackend(name: TfPeer): Promise<void> {
  // TF.js greets Node users on the console when a backend starts: keep the table readable
  const { log, warn } = console;
  console.log = console.warn = () => {};
  try {
    if (!(await tf.setBackend(name))) throw new Error(`TF.js backend '${name}' did not start`);
    await tf.ready();
    tf.scalar(0).dispose(); // the greeting comes with the backend's first tensor
  } finally {
    Object.assign(console, { log, warn });
  }
}

export function tfLeNet(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'relu' }),
      tf.layers.dense({ units: 84, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
}

export function tfMlp(): tf.Sequential {
  return tf.sequential({
    layers: [tf.layers.dense({ inputShape: [784], units: 128, activation: 'relu' }), tf.layers.dense({ units: 10 })],
  });
}

/** A TF.js network with the step and predict functions the cases time. */
export function tfRunner(net: tf.Sequential, x: tf.Tensor, y: tf.Tensor) {
  const optimizer = tf.train.adam(1e-3);
  return {
    train: () => {
      const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, net.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true);
      cost!.dataSync();
      cost!.dispose();
    },
    predict: () => {
      const out = net.predict(x) as tf.Tensor;
      out.dataSync();
      out.dispose();
    },
    dispose: () => {
      optimizer.dispose();
      net.dispose();
      x.dispose();
      y.dispose();
    },
  };
}
