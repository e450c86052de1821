/**
 * Browser bundling as an app does it: the package as installed without its
 * optional peers (package.json and dist/ copied into an app's node_modules),
 * a module generated from examples/mlp/mlp.dnn (importing 'dnnc'), and a
 * small app, bundled by esbuild with `--bundle --platform=browser` and no
 * other flag. The bundle must build without errors or warnings and hold no
 * Node-only code; then headless Chromium runs it from http://localhost (a
 * secure context) and its predictions on the cpu and webgpu backends must
 * equal the cpu backend's here in Node; `dnnc/data` in the page (its browser
 * build) gives the same loans and mnist splits, mnist fetched over HTTP.
 * No Chromium: under CI (CI=true) the run fails; locally it is skipped with
 * the reason printed.
 */
import '../../examples/dnnc.data.js'; // the examples' data sets (loans, ring, the sequence sets)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileSource } from '../../compiler/compile.js';
import { emitModule } from '../../codegen/module/emit.js';
import { loans } from '../../runtime/data/loans.js';
import { mnist, mnistDigitsDir } from '../../runtime/data/mnist.js';
import type { Model } from '../../runtime/types.js';
import { CHROMIUM, CHROMIUM_ARGS, CI, ensureDist } from '../helpers/browser.js';
import { assertClose } from '../webgpu/helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const APP = join(root, 'test/.out/bundle');
const SEED = 5;
const BATCH = 3;
const FEATURES = Array.from({ length: BATCH * 8 }, (_, i) => Math.sin(i * 0.7));

const MAIN = `
import { create } from './mlp.js';
import { fetchMnist, loans } from 'dnnc/data';

declare global {
  interface Window { __result?: unknown; __done?: boolean }
}

const features = { data: Float32Array.from(${JSON.stringify(FEATURES)}), shape: [${BATCH}, 8] };

async function predictOn(backend: 'cpu' | 'webgpu' | 'gpujs'): Promise<number[] | string> {
  try {
    const model = await create({ backend, seed: ${SEED} });
    try {
      return Array.from((await model.predict({ features })).logits.data);
    } finally {
      model.dispose();
    }
  } catch (e) {
    return 'error: ' + (e as Error).message;
  }
}

async function data() {
  const test = await fetchMnist('/digits', { split: 'test' });
  return { loans: loans({ split: 'test' }).size, mnist: test.size, labels: Array.from(test.fields.label.data.subarray(0, 20)) };
}

async function run() {
  return { cpu: await predictOn('cpu'), webgpu: await predictOn('webgpu'), gpujs: await predictOn('gpujs'), data: await data() };
}

run().then(
  (result) => { window.__result = result; window.__done = true; },
  (e) => { window.__result = { error: String(e) }; window.__done = true; },
);
`;

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>dnnc bundle test</title></head>
<body><script src="app.js"></script></body></html>
`;

/** The app's folder: dnnc "installed" (package.json + dist, no optional peers), the generated module, main.ts. */
function makeApp(): void {
  rmSync(APP, { recursive: true, force: true });
  const pkg = join(APP, 'node_modules/dnnc');
  mkdirSync(pkg, { recursive: true });
  cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
  for (const part of ['runtime', 'compiler']) cpSync(join(root, 'dist', part), join(pkg, 'dist', part), { recursive: true });
  const file = 'examples/mlp/mlp.dnn';
  const res = compileSource(readFileSync(join(root, file), 'utf8'), file);
  mkdirSync(join(APP, 'src'));
  for (const f of emitModule(res.file!, { emit: 'ts', sourceName: 'mlp' }).files) writeFileSync(join(APP, 'src', f.name), f.text);
  writeFileSync(join(APP, 'src/main.ts'), MAIN);
  mkdirSync(join(APP, 'public'));
  writeFileSync(join(APP, 'public/index.html'), PAGE);
}

let built: { status: number | null; log: string; bundle: string } | undefined;

function bundle(): { status: number | null; log: string; bundle: string } {
  if (built) return built;
  ensureDist(root);
  makeApp();
  const esbuild = join(root, 'node_modules/esbuild/bin/esbuild');
  const r = spawnSync(esbuild, ['src/main.ts', '--bundle', '--platform=browser', '--outfile=public/app.js'], { cwd: APP, encoding: 'utf8', timeout: 60_000 });
  const out = join(APP, 'public/app.js');
  built = { status: r.status, log: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}`, bundle: existsSync(out) ? readFileSync(out, 'utf8') : '' };
  return built;
}

test('esbuild --bundle --platform=browser bundles a generated module and the runtime with no other flag', () => {
  const b = bundle();
  assert.is(b.status, 0, `esbuild failed:\n${b.log}`);
  assert.not.match(b.log, /\[(ERROR|WARNING)\]/, `esbuild reported:\n${b.log}`);
  // nothing of Dawn (the webgpu package) or of Node's module loader is in the bundle
  assert.not.match(b.bundle, /from ["']node:|require\(["']node:(path|url|module)|createRequire|dawn\.node/);
  assert.match(b.bundle, /navigator\.gpu is missing/, 'the browser stand-in for the Dawn loader');
  const kb = statSync(join(APP, 'public/app.js')).size / 1024;
  assert.ok(kb < 1024, `bundle is ${kb.toFixed(0)} KB`);
});

// ---------------------------------------------------------------- the bundle in Chromium

/** Serves the app's public folder, and /digits/<d>.json from the mnist package (what fetchMnist reads). */
function serve(dir: string): Promise<{ server: Server; port: number }> {
  const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.json': 'application/json' };
  const server = createServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/^\/+/, '') || 'index.html';
    const path = name.startsWith('digits/') ? join(mnistDigitsDir(), name.slice('digits/'.length)) : join(dir, name);
    if (name.includes('..') || !existsSync(path)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': types[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(path));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ server, port: (server.address() as AddressInfo).port })));
}

interface PageResult {
  data?: { loans: number; mnist: number; labels: number[] };
  cpu?: number[] | string;
  webgpu?: number[] | string;
  gpujs?: number[] | string;
  error?: string;
}

async function runInChromium(): Promise<{ result: PageResult; logs: string[] }> {
  const { chromium } = await import('playwright-core');
  const { server, port } = await serve(join(APP, 'public'));
  const logs: string[] = [];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    await page.goto(`http://localhost:${port}/`);
    await page.waitForFunction(() => (window as unknown as { __done?: boolean }).__done === true, null, { timeout: 120_000, polling: 200 });
    return { result: (await page.evaluate(() => (window as unknown as { __result: unknown }).__result)) as PageResult, logs };
  } finally {
    await browser.close();
    server.close();
  }
}

test('the bundle runs in Chromium: cpu and webgpu predict as the cpu backend does in Node; gpujs without gpu.js says what to load; dnnc/data fetches mnist', async () => {
  if (!existsSync(CHROMIUM)) {
    if (CI) assert.unreachable(`no Chromium at ${CHROMIUM} under CI`);
    console.log(`\n  [bundle test: browser run skipped] no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
    return;
  }
  const b = bundle();
  assert.is(b.status, 0, `esbuild failed:\n${b.log}`);
  // the expected: the same generated module (TypeScript, importing the runtime's sources) on the cpu backend here
  const here = join(APP, 'node');
  mkdirSync(here, { recursive: true });
  const res = compileSource(readFileSync(join(root, 'examples/mlp/mlp.dnn'), 'utf8'), 'examples/mlp/mlp.dnn');
  const ts = emitModule(res.file!, { emit: 'ts', sourceName: 'mlp_node', runtimeImport: '../../../../runtime/index.js' }).files[0];
  writeFileSync(join(here, ts.name), ts.text);
  const mod = (await import(join(here, ts.name))) as { create(o: object): Promise<Model> };
  const cpu = await mod.create({ backend: 'cpu', seed: SEED });
  const want = Array.from((await cpu.predict({ features: { data: Float32Array.from(FEATURES), shape: [BATCH, 8] } })).logits.data);
  cpu.dispose();

  const { result, logs } = await runInChromium();
  if (result.error) assert.unreachable(`the page failed: ${result.error}\n${logs.join('\n')}`);
  for (const backend of ['cpu', 'webgpu'] as const) {
    const got = result[backend];
    if (typeof got === 'string' || !got) assert.unreachable(`${backend} in the page: ${got}\n${logs.join('\n')}`);
    else assertClose(got, want, `${backend} in the bundled page`, 1e-4);
  }
  assert.match(String(result.gpujs), /gpu\.js.*gpu-browser\.js/);
  // dnnc/data in the page: the generated sets as in Node, mnist fetched over HTTP with the same split
  const test = mnist({ split: 'test' });
  assert.equal(result.data, { loans: loans({ split: 'test' }).size, mnist: test.size, labels: Array.from(test.fields.label.data.subarray(0, 20)) });
});

test.run();
