/**
 * Bounded work: no input reaches the JS stack limit or allocates without
 * bound. Long chains compile; deep nesting and oversized shapes, repeats,
 * graphs and parameter counts are located diagnostics (DNN0032, DNN0033),
 * each answered quickly. The limits are those of compiler/limits.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { compileSource } from '../../compiler/compile.js';
import { didYouMean } from '../../compiler/diagnostics.js';
import { MAX_CONSTANT_ELEMENTS, MAX_DIM_EXPRESSION_LENGTH, MAX_NESTING, MAX_OPERATIONS, MAX_UNROLL } from '../../compiler/limits.js';
import { instantiate } from '../../runtime/index.js';

const model = (body: string, head = 'input x: f32[B, 4]\n  output y: f32[B, 4]') => `model M {\n  ${head}\n  ${body}\n}\n`;

/**
 * This process's CPU time, ms. The time bounds below count CPU time, not the
 * wall clock, so that a machine busy with other work (other test files,
 * other processes on two cores) does not make them fail: a run that waits
 * for a core spends no CPU time. The bounds are several times what a run
 * costs here (the 5,000-product loss, the slowest, about 0.8 s of a 5 s
 * bound) and well below what the work they guard against costs: without
 * the length limit of "did you mean", the file with a 30,000-character
 * model name takes 10 s.
 */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function compile(src: string, sourceDir?: string) {
  const t0 = cpuMs();
  const r = compileSource(src, 't.dnn', sourceDir ? { sourceDir } : {});
  return { ...r, ms: cpuMs() - t0, list: r.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`) };
}

/** The one diagnostic of `src`, checked to carry `code`, a message matching `pattern`, and the given line:col. */
function only(src: string, code: string, pattern: RegExp, at?: string) {
  const r = compile(src);
  assert.is(r.diagnostics.length, 1, r.list.join('\n'));
  const d = r.diagnostics[0];
  assert.is(d.code, code, r.list[0]);
  assert.match(d.message, pattern);
  if (at) assert.is(`${d.span.line}:${d.span.col}`, at, r.list[0]);
  return r;
}

test('a 5,000-term sum compiles and computes 5000·x', async () => {
  const r = compile(model(`y = ${Array.from({ length: 5000 }, () => 'x').join(' + ')}`));
  assert.equal(r.list, []);
  const m = await instantiate(programFromModel(r.file!.models[0]));
  const { y } = await m.predict({ x: new Float32Array([1, 2, 0.5, -1]) });
  assert.equal(Array.from(y.data), [5000, 10000, 2500, -5000]);
});

test('a 10,000-stage pipe compiles', async () => {
  const r = compile(model(`y = x${' |> relu'.repeat(10000)}`));
  assert.equal(r.list, []);
  const m = await instantiate(programFromModel(r.file!.models[0]));
  const { y } = await m.predict({ x: new Float32Array([1, -2, 3, 0]) });
  assert.equal(Array.from(y.data), [1, 0, 3, 0]);
});

test(`brackets nested ${MAX_NESTING} deep compile; one more is DNN0032 at the bracket that goes too deep`, () => {
  const ok = compile(model(`y = ${'('.repeat(MAX_NESTING - 1)}x${')'.repeat(MAX_NESTING - 1)}`));
  assert.equal(ok.list, []);
  const col = '  y = '.length + MAX_NESTING; // model M { is level 1; this '(' opens level MAX_NESTING + 1
  only(model(`y = ${'('.repeat(MAX_NESTING)}x${')'.repeat(MAX_NESTING)}`), 'DNN0032', new RegExp(`expression nested deeper than ${MAX_NESTING}`), `4:${col}`);
});

test('runs of signs and of ** nest too: DNN0032, not a stack overflow', () => {
  only(model(`y = ${'-'.repeat(5000)}x`), 'DNN0032', /nested deeper/);
  only(model(`y = ${Array.from({ length: 5000 }, () => 'x').join(' ** ')}`), 'DNN0032', /nested deeper/);
  assert.equal(compile(model(`y = ${'-'.repeat(20)}x`)).list, []);
});

test('blocks calling blocks past the nesting budget: DNN0032 at a call, no stack overflow', () => {
  const n = MAX_NESTING + 20;
  const blocks = Array.from({ length: n }, (_, i) => `block B${i}(x: f32[B, 4]) -> f32[B, 4] { return ${i + 1 < n ? `B${i + 1}(x)` : 'relu(x)'} }`).join('\n');
  const r = compile(`${blocks}\n${model('y = B0(x)')}`);
  assert.is(r.diagnostics.length, 1, r.list.join('\n'));
  assert.is(r.diagnostics[0].code, 'DNN0032');
  assert.ok(r.diagnostics[0].span.line <= n, r.list[0]);
});

test('long index chains and member chains are lowered in a loop', () => {
  const r = compile(model(`y = x${'[0]'.repeat(20000)}`));
  assert.equal(r.diagnostics.map((d) => d.code), ['DNN0026']); // too many indices, not a stack overflow
});

test('"did you mean" answers in milliseconds for a 30,000-character name and many candidates', () => {
  const long = 'a'.repeat(30000);
  const candidates = Array.from({ length: 50000 }, (_, i) => `layer_${i}`);
  const t0 = cpuMs();
  assert.is(didYouMean(long, [...candidates, long.slice(1)]), '');
  assert.is(didYouMean('lay3r_4021', candidates), "; did you mean 'layer_4021'?");
  const ms = cpuMs() - t0;
  assert.ok(ms < 1000, `took ${ms} ms of CPU time`);
  const r = compile(`model ${long} { input x: f32[B, 4] output y: f32[B, 4] y = x }\ntrain ${long}b { t: f32[B, 4] loss = mse(y, t) optimizer = sgd(lr: 0.1) }`);
  assert.equal(r.diagnostics.map((d) => d.code), ['DNN0013']);
  assert.ok(r.ms < 2000, `${r.ms} ms`);
});

test('repeat counts above the limit are refused before unrolling', () => {
  const r = only(model(`h = x\n  repeat 1000000000 { h = relu(h) }\n  y = h`), 'DNN0033', new RegExp(`repeat 1000000000 is above the limit of ${MAX_UNROLL.toLocaleString('en-US')}`), '5:10');
  assert.ok(r.ms < 1000, `${r.ms} ms`);
  only(model(`repeat 1000000000 { }\n  y = x`), 'DNN0033', /above the limit/);
});

test('dims, tensor sizes and parameter counts have limits, checked before anything is allocated', () => {
  only(model('y = x', 'input x: f32[B, 99999999999]\n  output y: f32[B, 99999999999]'), 'DNN0033', /dimension 99999999999, above the limit of 2\^31 - 1/, '2:12');
  only(model('y = x + sum(zeros[100000, 100000])'), 'DNN0033', /10,000,000,000 elements \[100000, 100000\], above the limit of 2\^31 per tensor/, '4:15');
  only(model('y = x |> dense(40000) |> dense(40000)'), 'DNN0033', /brings the model to 1,600,200,000 parameters, above the limit of 2\^30/, '4:28');
  only(model('y = x', 'param D = 1e300\n  input x: f32[B, D]\n  output y: f32[B, D]'), 'DNN0033', /above the limit/);
  // symbolic dims: a product of 10,000 symbols would take quadratic time; it stops at the limit, located at the operator that crosses it
  const long = Array.from({ length: 10_000 }, () => 'T').join(' * ');
  const d = only(model('y = x', `input x: f32[T, 4]\n  input z: f32[${long}]\n  output y: f32[T, 4]`), 'DNN0033', new RegExp(`above the limit of ${MAX_DIM_EXPRESSION_LENGTH} for a symbolic dim`));
  assert.is(d.diagnostics[0].span.line, 3);
  assert.ok(d.ms < 4000, `${d.ms} ms`);
  assert.equal(compile(model('y = x', 'input x: f32[T, 4]\n  input z: f32[2*T*T-1]\n  output y: f32[T, 4]')).list, []);
  // a big constant operand is not folded (folding would materialise 1.6e9 values)
  const r = compile(model('y = x + sum(zeros[40000, 40000])'));
  assert.equal(r.list, []);
  assert.ok(r.ms < 2000, `${r.ms} ms`);
});

test(`a sinusoidal table past ${MAX_CONSTANT_ELEMENTS.toLocaleString('en-US')} values is DNN0033 before it is built`, () => {
  // found by the fuzzer: positional(T, 1000000) built a 512 x 1,000,000 table and ran out of memory
  const r = only(
    model('y = x + positional(T, 1000000)', 'input x: f32[B, T, 4]\n  output y: f32[B, T, 4]'),
    'DNN0033',
    /positional: a sinusoidal table of 512 x 1,000,000 = 512,000,000 values is above the limit of 2\^18/,
    '4:11',
  );
  assert.ok(r.ms < 1000, `${r.ms} ms`);
  only(model('y = x + positional(600, 512)', 'input x: f32[B, 600, 512]\n  output y: f32[B, 600, 512]'), 'DNN0033', /600 x 512 = 307,200 values/, '4:11');
  assert.equal(compile(model('y = x + positional(T, 512)', 'input x: f32[B, T, 512]\n  output y: f32[B, T, 512]')).list, []);
  assert.equal(compile(model('y = x + positional(T, 4096, kind: learned)', 'input x: f32[B, T, 4096]\n  output y: f32[B, T, 4096]')).list, []);
});

test('a dim that is negative for every value of its symbols is DNN0022 where it is made', () => {
  only(model('y = x + sum(noise(B - B - B, 4))'), 'DNN0022', /the dimension -B, which is negative for every positive value of its symbols/, '4:15');
  only(model('y = x + sum(noise(B - 2*B - 1, 4))'), 'DNN0022', /negative for every positive value/);
  assert.equal(compile(model('y = x + sum(noise(2*B - 1, 4))')).list, []);
});

test(`a file past ${MAX_OPERATIONS.toLocaleString('en-US')} operations is DNN0033, in bounded time, also when differentiation crosses it`, () => {
  const r = compile(model(`h = x\n  repeat ${MAX_UNROLL} { h = h * 2 + 1 }\n  y = h`));
  assert.ok(r.diagnostics.length >= 1, 'expected a diagnostic');
  assert.is(r.diagnostics[0].code, 'DNN0033');
  assert.match(r.diagnostics[0].message, /file grows past/);
  assert.ok(r.ms < 5000, `${r.ms} ms`);
  // a loss of 5,000 products lowers to 5,000 operations and differentiates to more than the limit
  const loss = Array.from({ length: 5000 }, () => 'y').join(' * ');
  const t = compile(`${model('y = x |> dense(4)')}train M {\n  t: f32[B, 4]\n  loss = mse(${loss}, t)\n  optimizer = sgd(lr: 0.1)\n}\n`);
  assert.equal(t.list.map((l) => l.replace(/[\d,]+ operations/, 'N operations')), ["6:7 DNN0033 with M.trainStep the file compiles to N operations, above the limit of 20,000"]);
  assert.ok(t.ms < 5000, `${t.ms} ms`);
});

test('data files: compiling reads only the header of a regular file; devices and FIFOs are DNN0035', () => {
  const train = (path: string) => `${model('y = dense(x, 4)')}train M { data = csv("${path}", label: "y")  t: f32[B, 4]  loss = mse(y, t)  optimizer = sgd(lr: 0.1) }\n`;
  const dev = compile(train('/dev/zero'), '.');
  assert.equal(dev.list, [`6:22 DNN0035 csv: '/dev/zero': cannot read it: it is a device, not a regular file`]);
  assert.ok(dev.ms < 2000);
  const dir = join('test', '.out', 'limits');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (spawnSync('mkfifo', [join(dir, 'pipe.csv')]).status === 0 && existsSync(join(dir, 'pipe.csv'))) {
    const fifo = compile(train('pipe.csv'), dir);
    assert.equal(fifo.list, [`6:22 DNN0035 csv: 'pipe.csv': cannot read it: it is a pipe (FIFO), not a regular file`]);
  }
  assert.equal(compile(train('missing.csv'), dir).list, []); // not there yet: the runtime reports it
});

test(`past ${100} errors one DNN0034 ends the list`, () => {
  const r = compile(model(Array.from({ length: 300 }, (_, i) => `a${i} = nope${i}`).join('\n  ') + '\n  y = x'));
  assert.is(r.diagnostics.length, 101);
  assert.is(r.diagnostics.filter((d) => d.code === 'DNN0034').length, 1);
});

test.run();
