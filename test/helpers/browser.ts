/**
 * What the browser tests share: the system Chromium (playwright-core never
 * downloads one), its flags for WebGPU and WebGL on SwiftShader without a
 * display, and a dist/ as new as the sources (pages import the built runtime).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CI = process.env.CI === 'true' || process.env.CI === '1';
export const CHROMIUM_ARGS = ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--disable-background-networking', '--no-first-run', '--headless'];

/** dist/ (what the pages import) must be at least as new as the sources; rebuild when it is not. */
export function ensureDist(root: string): void {
  const newest = (dir: string): number => {
    let t = 0;
    for (const f of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, f.name);
      if (f.isDirectory()) t = Math.max(t, newest(p));
      else if (f.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
    }
    return t;
  };
  const built = join(root, 'dist/runtime/backends/gpujs.js');
  const sources = Math.max(newest(join(root, 'runtime')), newest(join(root, 'compiler')));
  if (existsSync(built) && statSync(join(root, 'dist/runtime/index.js')).mtimeMs >= sources && statSync(built).mtimeMs >= sources) return;
  const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
  if (!existsSync(built)) assert.unreachable(`building dist/ failed:\n${r.stdout}${r.stderr}`);
}
