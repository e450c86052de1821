/**
 * End to end in a real browser: headless Chromium (playwright-core driving the
 * system's /usr/bin/chromium; no browser download) loads a page served from
 * http://localhost (WebGPU needs a secure context), which imports the built
 * runtime (dist/runtime, plain ES modules) and a module generated from
 * examples/mlp/mlp.dnn, then:
 *   - on WebGPU (navigator.gpu; SwiftShader here): predict, one Adam step, predict, weights;
 *   - on gpu.js in WebGL2 mode: the same;
 *   - every registry op with a gpu.js kernel, every sample, on WebGL2.
 * Everything must equal the cpu backend's results, computed here in Node.
 * No Chromium: under CI (CI=true) the test fails; locally it is skipped with
 * the reason printed.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import type { CompiledModel } from '../../compiler/compiled.js';
import { allOps } from '../../compiler/ops/index.js';
import { emitModule } from '../../codegen/module/emit.js';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { hasGpujs } from '../../codegen/gpujs/index.js';
import { instantiate } from '../../runtime/index.js';
import type { DType, Model, TypedArray } from '../../runtime/types.js';
import { assertClose, rng } from '../webgpu/helpers.js';
import { CHROMIUM, CHROMIUM_ARGS, CI, ensureDist } from '../helpers/browser.js';
import { oneNodeModel, sampleData, symbolicShapes, TOLERANCE } from '../gpujs/helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = join(root, 'test/.out/browser');
/** tolerance against cpu: SwiftShader's exp/log/division are float32 approximations */
const TOL = 1e-4;

// ---------------------------------------------------------------- the files the page reads

interface Given {
  data: number[];
  shape: number[];
}
const given = (t: { data: ArrayLike<number>; shape: number[] }): Given => ({ data: Array.from(t.data), shape: t.shape });

interface OpCase {
  label: string;
  dtypes: Record<string, DType>;
  program: unknown;
  feed: Record<string, Given>;
  want: Record<string, number[]>;
}

/** Per registry op with a gpu.js kernel and per sample: the program, inputs, and the cpu backend's outputs. */
async function opCases(): Promise<OpCase[]> {
  const cases: OpCase[] = [];
  for (const def of allOps()) {
    if (def.kind === 'leaf' || !hasGpujs(def.name)) continue;
    for (const [si, sample] of def.samples.entries()) {
      const next = rng(4321 + si);
      const data = sample.inputs.map((s) => sampleData(s, next));
      const feed: Record<string, { data: TypedArray; shape: number[] }> = {};
      data.forEach((d, i) => (feed[`x${i}`] = { data: d.data, shape: d.shape }));
      const models: [string, CompiledModel][] = [['static', oneNodeModel(def, data.map((d) => d.shape), data.map((d) => d.dtype), sample.attrs)]];
      const sym = symbolicShapes(sample);
      if (sym)
        try {
          models.push(['symbolic', oneNodeModel(def, sym, data.map((d) => d.dtype), sample.attrs)]);
        } catch {
          // the shape rule needs static dims here
        }
      for (const [kind, model] of models) {
        const program = programFromModel(model);
        const cpu = await instantiate(program, { backend: 'cpu' });
        const want: Record<string, number[]> = {};
        const dtypes: Record<string, DType> = {};
        for (const [k, t] of Object.entries(await cpu.predict(feed))) {
          want[k] = Array.from(t.data);
          dtypes[k] = t.dtype;
        }
        cpu.dispose();
        const g: Record<string, Given> = {};
        for (const [k, t] of Object.entries(feed)) g[k] = given(t);
        cases.push({ label: `${def.name} #${si}${sample.note ? ` (${sample.note})` : ''} ${kind}`, dtypes, program, feed: g, want });
      }
    }
  }
  return cases;
}

interface ModelCase {
  seed: number;
  inputs: Record<string, Given>;
  batch: Record<string, Given>;
}
interface ModelRun {
  backend: string;
  predict: Record<string, number[]>;
  after: Record<string, number[]>;
  loss: number;
  metrics: Record<string, number>;
  weights: Record<string, number[]>;
  ms?: number;
  error?: string;
}

async function prepare(): Promise<{ model: ModelCase; want: ModelRun; ops: OpCase[] }> {
  mkdirSync(OUT, { recursive: true });
  const file = 'examples/mlp/mlp.dnn';
  const res = compileSource(readFileSync(join(root, file), 'utf8'), file);
  const { files } = emitModule(res.file!, { emit: 'js', sourceName: 'mlp_browser', runtimeImport: '/dist/runtime/index.js' });
  for (const f of files) writeFileSync(join(OUT, f.name), f.text);
  const next = rng(77);
  const B = 6;
  const x = { data: Float32Array.from({ length: B * 8 }, () => 2 * next() - 1), shape: [B, 8] };
  const label = { data: Int32Array.from({ length: B }, () => Math.floor(next() * 2)), shape: [B] };
  const model: ModelCase = { seed: 3, inputs: { features: given(x) }, batch: { features: given(x), label: given(label) } };
  // the expected results: the same module on the cpu backend, here
  const ts = emitModule(res.file!, { emit: 'ts', sourceName: 'mlp_browser_node', runtimeImport: '../../../runtime/index.js' }).files[0];
  writeFileSync(join(OUT, ts.name), ts.text);
  const mod = (await import(join(OUT, ts.name))) as { create(o: object): Promise<Model> };
  const cpu = await mod.create({ seed: model.seed, backend: 'cpu' });
  const p1 = await cpu.predict({ features: x });
  const step = await cpu.trainStep({ features: x, label });
  const p2 = await cpu.predict({ features: x });
  const w = await cpu.readWeights();
  cpu.dispose();
  const arr = (r: Record<string, { data: TypedArray }>) => Object.fromEntries(Object.entries(r).map(([k, t]) => [k, Array.from(t.data)]));
  const want: ModelRun = { backend: 'cpu', predict: arr(p1), after: arr(p2), loss: step.loss, metrics: step.metrics, weights: Object.fromEntries(Object.entries(w).map(([k, v]) => [k, Array.from(v)])) };
  const ops = await opCases();
  writeFileSync(join(OUT, 'cases.json'), JSON.stringify({ module: 'mlp_browser.js', model, ops: ops.map((c) => ({ program: c.program, feed: c.feed })) }));
  return { model, want, ops };
}

// ---------------------------------------------------------------- the server and the browser

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.json': 'application/json', '.map': 'application/json' };

/** Serves the repository read-only on an ephemeral localhost port; `/` is the test page. */
function serve(): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rel = url.pathname === '/' ? 'test/browser/page.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const path = normalize(join(root, rel));
    if (!path.startsWith(root + sep) || !existsSync(path) || statSync(path).isDirectory()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(path));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, port: (server.address() as AddressInfo).port })));
}

interface PageResult {
  error?: string;
  userAgent?: string;
  webgpu?: ModelRun;
  webgl2?: ModelRun;
  ops?: { outputs?: Record<string, (number | string)[]>; error?: string }[];
  opsMs?: number;
}

async function runPage(): Promise<{ result: PageResult; logs: string[] }> {
  const { chromium } = await import('playwright-core');
  const { server, port } = await serve();
  const logs: string[] = [];
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') logs.push(`console: ${m.text()}`);
    });
    await page.goto(`http://localhost:${port}/`);
    await page.waitForFunction(() => (window as unknown as { __done?: boolean }).__done === true, null, { timeout: 120_000, polling: 200 });
    const result = (await page.evaluate(() => (window as unknown as { __result: unknown }).__result)) as PageResult;
    return { result, logs };
  } finally {
    await browser.close();
    server.close();
  }
}

// ---------------------------------------------------------------- the tests

let ran: { result: PageResult; logs: string[]; want: ModelRun; ops: OpCase[] } | undefined;
let skipped = false;

test.before(async () => {
  if (!existsSync(CHROMIUM)) {
    if (CI) return; // the first test fails with the reason
    skipped = true;
    console.log(`\n  [browser test skipped] no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
    return;
  }
  ensureDist(root);
  const { want, ops } = await prepare();
  const t0 = Date.now();
  const page = await runPage();
  ran = { ...page, want, ops };
  console.log(`\n  [browser] ${page.result.userAgent ?? ''}: page ${Date.now() - t0} ms (webgpu MLP ${page.result.webgpu?.ms} ms, webgl2 MLP ${page.result.webgl2?.ms} ms, ${ops.length} op cases ${page.result.opsMs} ms)`);
});

function checkRun(got: ModelRun | undefined, want: ModelRun, backend: string, label: string): void {
  assert.ok(got, `${label}: no result`);
  if (got.error) assert.unreachable(`${label}: ${got.error}`);
  assert.is(got.backend, backend, `${label}: backend`);
  for (const k of Object.keys(want.predict)) assertClose(got.predict[k], want.predict[k], `${label} predict ${k}`, TOL);
  assertClose([got.loss], [want.loss], `${label} loss of one adam step`, TOL);
  for (const k of Object.keys(want.metrics)) assertClose([got.metrics[k]], [want.metrics[k]], `${label} metric ${k}`, TOL);
  for (const k of Object.keys(want.weights)) assertClose(got.weights[k], want.weights[k], `${label} weights ${k} after one step`, TOL);
  for (const k of Object.keys(want.after)) assertClose(got.after[k], want.after[k], `${label} predict after the step ${k}`, TOL);
}

test('Chromium is here and the page ran', () => {
  if (skipped) return;
  if (!ran) return assert.unreachable(`no Chromium at ${CHROMIUM} under CI`);
  if (ran.result.error) assert.unreachable(`the page failed: ${ran.result.error}\n${ran.logs.join('\n')}`);
});

test('WebGPU in the page: the generated MLP predicts and trains like the cpu backend', () => {
  if (!ran) return;
  checkRun(ran.result.webgpu, ran.want, 'webgpu', 'webgpu');
});

test('gpu.js WebGL2 in the page: the generated MLP predicts and trains like the cpu backend', () => {
  if (!ran) return;
  checkRun(ran.result.webgl2, ran.want, 'gpujs', 'gpujs/webgl2');
});

test('gpu.js WebGL2 in the page: every op with a gpu.js kernel, every sample, equals cpu', () => {
  if (!ran) return;
  const got = ran.result.ops ?? [];
  const cases = ran.ops;
  assert.is(got.length, cases.length, 'op cases run');
  const failures: string[] = [];
  cases.forEach((c, i) => {
    const r = got[i];
    if (r.error) return void failures.push(`${c.label}: ${r.error.split('\n')[0]}`);
    for (const k of Object.keys(c.want)) {
      const out = (r.outputs?.[k] ?? []).map(Number);
      try {
        assertClose(out, c.want[k], `${c.label} ${k}`, c.dtypes[k] === 'f32' ? TOL : TOLERANCE[c.dtypes[k]]);
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
  });
  assert.equal(failures, [], `${failures.length} of ${cases.length} op cases differ on WebGL2:\n${failures.join('\n')}`);
  assert.ok(cases.length > 80);
});

test.run();
