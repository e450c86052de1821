/**
 * The browser demo (examples/mnist-web) end to end, through the user's loop:
 *   1. `dnnc train examples/mnist/mnist.dnn --save-weights W` (3 epochs here)
 *      and `dnnc compile examples/mnist/mnist.dnn --emit js`;
 *   2. the demo's own server (serve.mjs) and page in headless Chromium, on
 *      WebGPU and on gpu.js/WebGL2 (SwiftShader), fetching W;
 *   3. ten held-out test digits drawn onto the canvas with the mouse, as a
 *      user would (one pen stroke per run of ink in a row, a thin pen one
 *      MNIST pixel wide): the page's prediction must be the digit's label
 *      for at least 9 of the 10, on each backend.
 * No Chromium: under CI the test fails; locally it is skipped with the reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mnist } from '../../runtime/data/mnist.js';
import { CHROMIUM, CHROMIUM_ARGS, CI, ensureDist } from '../helpers/browser.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const rel = 'test/.out/mnist-web';
const out = join(root, rel);
const EPOCHS = '3';
const DIGITS = 10;

function dnnc(args: string[]): void {
  const r = spawnSync(process.execPath, [join(root, 'dist/cli/dnnc.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 600_000, env: { ...process.env, CI: 'true' } });
  assert.is(r.status, 0, `dnnc ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
}

/** Rows of ink (pixels above one half), as strokes between pixel centres on a pad `scale` times larger. */
function strokes(image: Float32Array, scale: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) {
      if (image[y * 28 + x] <= 0.5) continue;
      let end = x;
      while (end + 1 < 28 && image[y * 28 + end + 1] > 0.5) end++;
      out.push([(x + 0.5) * scale, (end + 0.5) * scale, (y + 0.5) * scale]);
      x = end;
    }
  return out;
}

async function drawAndRead(page: Page, image: Float32Array): Promise<number> {
  await page.click('#clear');
  const box = (await page.locator('#pad').boundingBox())!;
  const scale = box.width / 28;
  const before = Number(await page.getAttribute('#prediction', 'data-count'));
  for (const [x0, x1, y] of strokes(image, scale)) {
    await page.mouse.move(box.x + x0, box.y + y);
    await page.mouse.down();
    if (x1 > x0) await page.mouse.move(box.x + x1, box.y + y);
    await page.mouse.up();
  }
  await page.waitForFunction((n) => Number(document.querySelector('#prediction')!.getAttribute('data-count')) > n, before, { timeout: 60_000 });
  return Number(await page.getAttribute('#prediction', 'data-label'));
}

let skipped = false;
test.before(() => {
  if (!existsSync(CHROMIUM)) {
    skipped = !CI;
    if (skipped) console.log(`\n  [mnist-web test skipped] no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
    return;
  }
  ensureDist(root);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  dnnc(['train', 'examples/mnist/mnist.dnn', '--epochs', EPOCHS, '--save-weights', `${rel}/mnist.safetensors`]);
  dnnc(['compile', 'examples/mnist/mnist.dnn', '--emit', 'js', '-o', `${rel}/generated`]);
});

test('the demo classifies ten held-out digits drawn with the mouse, on WebGPU and on WebGL', async () => {
  if (skipped) return;
  if (!existsSync(CHROMIUM)) return assert.unreachable(`no Chromium at ${CHROMIUM} under CI`);
  const test = mnist({ split: 'test' });
  const images = test.fields.image.data as Float32Array;
  const labels = test.fields.label.data;
  const { startServer } = (await import(pathToFileURL(join(root, 'examples/mnist-web/serve.mjs')).href)) as {
    startServer(o: { root: string; port: number }): Promise<{ server: import('node:http').Server; port: number }>;
  };
  const { server, port } = await startServer({ root, port: 0 });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const report: string[] = [];
  try {
    for (const [backend, runtime, shown] of [['webgpu', 'webgpu', /^ready on WebGPU/], ['webgl', 'gpujs', /^ready on WebGL2 through gpu\.js/]] as const) {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://localhost:${port}/examples/mnist-web/?backend=${backend}&module=/${rel}/generated/mnist.js&weights=/${rel}/mnist.safetensors`);
      await page.waitForFunction(() => document.querySelector('#status')!.getAttribute('data-state') !== 'loading', null, { timeout: 120_000 });
      const status = (await page.textContent('#status')) ?? '';
      assert.is(await page.getAttribute('#status', 'data-state'), 'ready', `${backend}: ${status} ${errors.join('; ')}`);
      assert.match(status, shown);
      assert.is(await page.getAttribute('#status', 'data-backend'), runtime);
      await page.selectOption('#pen', '10'); // one MNIST pixel wide on the 280-pixel pad
      const got: number[] = [];
      const t0 = Date.now();
      for (let i = 0; i < DIGITS; i++) got.push(await drawAndRead(page, images.subarray(i * 784, (i + 1) * 784)));
      const want = Array.from(labels.subarray(0, DIGITS));
      const right = got.filter((g, i) => g === want[i]).length;
      report.push(`${backend}: ${right}/${DIGITS} (drawn ${got.join('')}, labels ${want.join('')}, ${Date.now() - t0} ms)`);
      assert.ok(right >= 9, `${backend}: ${right} of ${DIGITS} right: predicted ${got.join(' ')} for ${want.join(' ')}`);
      assert.equal(errors, [], `${backend}: page errors`);
      await page.close();
    }
  } finally {
    console.log(`\n  [mnist-web] ${report.join('; ')}`);
    await browser.close();
    server.close();
  }
});

test.run();
