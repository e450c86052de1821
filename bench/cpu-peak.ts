/**
 * The ceilings the CPU kernels are measured against, on this machine, in
 * this Node: what WebAssembly SIMD128 reaches at best, by CPU time of this
 * thread (steady on a shared machine).
 *
 *   npm run bench:peak
 *
 *  - f32x4 multiply + add: 12 independent accumulators, acc += x * y, no
 *    loads (SIMD128 has no fused multiply-add: 8 FLOP are a mul and an
 *    add of 4 lanes). The GEMM micro-kernels cannot beat this.
 *  - the same with a v128.load32_splat and a v128.load per two multiplies
 *    (the 6x8 GEMM micro-kernel's instruction mix, from L1).
 *  - memory: a v128 copy of 2 MiB (L2/L3) and of 64 MiB (DRAM), GB/s of
 *    bytes read plus written: the bound of the elementwise kernels, the
 *    optimizer update and the pooling.
 * Each on an ordinary memory and on a shared one (what the model's memory
 * is in Node; on this machine they measure the same).
 *
 * Prints GFLOP/s and GB/s; the figures in docs/performance.md divide each
 * kernel's rate by these.
 */
import { assembleWat } from '../codegen/wasm/assemble.js';

const ACC = 12;
const acc = (i: number) => `$a${i}`;

/** n iterations of ACC f32x4 mul+add from registers (2 x 12 per iteration) */
function regsFunc(): string {
  const body = Array.from({ length: ACC }, (_, i) => `(local.set ${acc(i)} (f32x4.add (local.get ${acc(i)}) (f32x4.mul (local.get $b${i & 1}) (local.get $s))))`);
  return loopFunc('regs', ACC, [...body, ...body]);
}

/**
 * A GEMM micro-kernel's instruction mix, from L1: R rows x 8 columns, 4 k
 * per iteration; per k two v128 loads of B and, for each row, A's value
 * splat by v128.load32_splat ('load') or by a shuffle of one v128 load of
 * 4 k values per row ('shuffle', XNNPACK's wasmsimd "splat" kernels).
 */
function gemmFunc(name: string, R: number, splat: 'load' | 'shuffle'): string {
  const body: string[] = [];
  if (splat === 'shuffle') for (let r = 0; r < R; r++) body.push(`(local.set $v${r} (v128.load offset=${256 + r * 16} (local.get $p)))`);
  for (let k = 0; k < 4; k++) {
    body.push(`(local.set $b0 (v128.load offset=${k * 32} (local.get $p)))`, `(local.set $b1 (v128.load offset=${k * 32 + 16} (local.get $p)))`);
    for (let r = 0; r < R; r++) {
      const lane = Array.from({ length: 4 }, () => Array.from({ length: 4 }, (_, b) => k * 4 + b).join(' ')).join(' ');
      body.push(`(local.set $s ${splat === 'load' ? `(v128.load32_splat offset=${256 + r * 16 + k * 4} (local.get $p))` : `(i8x16.shuffle ${lane} (local.get $v${r}) (local.get $v${r}))`})`);
      body.push(`(local.set ${acc(2 * r)} (f32x4.add (local.get ${acc(2 * r)}) (f32x4.mul (local.get $s) (local.get $b0))))`);
      body.push(`(local.set ${acc(2 * r + 1)} (f32x4.add (local.get ${acc(2 * r + 1)}) (f32x4.mul (local.get $s) (local.get $b1))))`);
    }
  }
  return loopFunc(name, 2 * R, body, R);
}

function loopFunc(name: string, accs: number, body: string[], rows = 0): string {
  const locals = [...Array.from({ length: accs }, (_, i) => `(local ${acc(i)} v128)`), ...Array.from({ length: rows }, (_, r) => `(local $v${r} v128)`)].join(' ');
  const sum = Array.from({ length: accs }, (_, i) => `(local.get ${acc(i)})`).reduce((a, b) => `(f32x4.add ${a} ${b})`);
  return `(func (export "${name}") (param $n i32) (param $p i32) (result f32) ${locals} (local $b0 v128) (local $b1 v128) (local $s v128)
    (local.set $b0 (f32x4.splat (f32.const 1.0000001)))
    (local.set $b1 (f32x4.splat (f32.const 0.9999999)))
    (local.set $s (f32x4.splat (f32.const 0.5)))
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      ${body.join('\n      ')}
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (f32x4.extract_lane 0 ${sum}))`;
}

const MIXES: [string, number, 'load' | 'shuffle'][] = [
  ['gemm6_load', 6, 'load'],
  ['gemm6_shuffle', 6, 'shuffle'],
  ['gemm4_load', 4, 'load'],
  ['gemm4_shuffle', 4, 'shuffle'],
  ['gemm5_shuffle', 5, 'shuffle'],
];

const copyFunc = `(func (export "copy") (param $src i32) (param $dst i32) (param $bytes i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $src) (local.get $bytes)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (v128.store offset=0 (local.get $dst) (v128.load offset=0 (local.get $src)))
      (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $src)))
      (v128.store offset=32 (local.get $dst) (v128.load offset=32 (local.get $src)))
      (v128.store offset=48 (local.get $dst) (v128.load offset=48 (local.get $src)))
      (local.set $src (i32.add (local.get $src) (i32.const 64)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
      (br $l))))`;

type Exports = Record<string, (n: number, p: number) => number> & { copy(src: number, dst: number, bytes: number): void };
/** the probes on an ordinary memory, and on a shared one (the model's memory in Node, where the threads run) */
const instance = (shared: boolean): Exports => {
  const memory = shared ? '(memory (export "memory") 2100 2100 shared)' : '(memory (export "memory") 2100)';
  const wat = `(module ${memory} ${regsFunc()} ${MIXES.map(([n, r, sp]) => gemmFunc(n, r, sp)).join(' ')} ${copyFunc})`;
  return new WebAssembly.Instance(new WebAssembly.Module(assembleWat(wat, 'peak.wat') as BufferSource)).exports as unknown as Exports;
};

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** the best of `reps` runs of fn, in CPU milliseconds (after one warm-up) */
function best(fn: () => void, reps = 9): number {
  fn();
  let min = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = cpuMs();
    fn();
    min = Math.min(min, cpuMs() - t0);
  }
  return min;
}

const N = 2_000_000;
// regs: 2 x 12 f32x4 mul+add per iteration; a mix: 4 k x R rows x 2 vectors
const gflops = (fl: number, ms: number) => (fl / ms / 1e6).toFixed(1);
for (const shared of [false, true]) {
  const exports = instance(shared);
  process.stdout.write(`${shared ? 'shared' : 'ordinary'} memory:\n`);
  process.stdout.write(`  f32x4 mul+add, registers only: ${gflops(2 * ACC * 8 * N, best(() => exports.regs(N, 0)))} GFLOP/s\n`);
  for (const [name, R, splat] of MIXES)
    process.stdout.write(`  ${R}x8 GEMM step, A by ${splat === 'load' ? 'v128.load32_splat' : 'v128.load + shuffle'} (L1): ${gflops(4 * R * 2 * 8 * N, best(() => exports[name](N, 0)))} GFLOP/s\n`);
  for (const [label, bytes, reps] of [['2 MiB (L2/L3)', 2 << 20, 200], ['64 MiB (DRAM)', 64 << 20, 4]] as const) {
    const t = best(() => {
      for (let r = 0; r < reps; r++) exports.copy(0, 64 << 20, bytes);
    });
    process.stdout.write(`  v128 copy ${label}: ${((2 * bytes * reps) / t / 1e6).toFixed(1)} GB/s (read + write)\n`);
  }
}
