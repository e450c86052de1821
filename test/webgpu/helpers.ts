/**
 * Test helpers for the webgpu backend (not a test file).
 *
 * Adapter: on a machine without a GPU, Dawn finds SwiftShader's Vulkan driver
 * (Chromium's) when VK_ICD_FILENAMES points at it; set here when the file
 * exists and the variable is unset, before the first device is made.
 * No adapter: under CI (CI=true) the webgpu tests FAIL; locally they are
 * skipped with the reason printed once.
 */
import { existsSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { webgpuAvailable } from '../../runtime/backends/webgpu.js';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp';

let probe: Promise<{ ok: true; adapter: string } | { ok: false; reason: string }> | undefined;
let said = false;

/**
 * true when the webgpu tests can run. Without an adapter: throws under CI
 * (the test fails), else prints the reason once and returns false (skip).
 */
export async function haveWebGpu(): Promise<boolean> {
  probe ??= webgpuAvailable();
  const r = await probe;
  if (r.ok) return true;
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  if (ci) assert.unreachable(`no WebGPU adapter under CI: ${r.reason}`);
  if (!said) {
    said = true;
    console.log(`\n  [webgpu tests skipped] ${r.reason}`);
  }
  return false;
}

/** |a - b| <= tol * max(1, |b|) for every element; NaN matches NaN. */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, label: string, tol = 1e-4): void {
  assert.is(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const b = want[i];
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (a === b) continue;
    if (!(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)))) assert.unreachable(`${label}: element ${i} is ${a}, expected ${b} (|diff| ${Math.abs(a - b)})`);
  }
}

/** A seeded uniform [0, 1) stream (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
