/**
 * The options, settings and measuring of the CPU bench (bench/cpu.bench.ts),
 * shared by its peers (cpu-bench-peers.ts): see cpu.bench.ts for the flags.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshResultsPath } from './results-path.js';
import { measure as measureWith, measureCpu, type Timing } from './measure.js';
import { resolveThreads } from '../runtime/threads.js';

export const here = dirname(fileURLToPath(import.meta.url));
export const BATCH = 64;
export const MATMUL_N = 1024;

export type TfPeer = 'cpu' | 'wasm';
export type PeerName = TfPeer | 'torch' | 'torch1';

// ------------------------------------------------------------ options

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
export const quick = argv.includes('--quick');
export const only = new Set((opt('only') ?? 'lenet5,mlp784,matmul').split(',').filter(Boolean));
export const peerNames = (opt('peers') ?? 'cpu,wasm,torch').split(',').filter(Boolean);
export const tfPeers = peerNames.filter((p): p is TfPeer => p === 'cpu' || p === 'wasm');
export const threads = resolveThreads(opt('threads') !== undefined ? Number(opt('threads')) : undefined);
export const withJs = opt('js') !== '0';
export const clock = opt('clock') === 'cpu' ? 'cpu' : 'wall';

/** the JSON's path: --out, else a results file that no earlier run wrote */
export const outPath = opt('out') ?? freshResultsPath(join(here, 'results'), 'cpu');

// ------------------------------------------------------------ measuring

export type Outcome = { status: 'ok'; timing: Timing } | { status: 'not compiled yet' | 'n/a' | 'failed'; reason: string };

/** benchmark.js timing shared by the suites (bench/measure.ts), with this run's --quick */
export const measure = (fn: () => unknown | Promise<unknown>, expectSeconds: number): Promise<Timing> => (clock === 'cpu' ? measureCpu : measureWith)(fn, expectSeconds, quick);
