/**
 * The browser's stand-in for dawn.ts (package.json's `browser` field maps
 * dist/runtime/backends/dawn.js here): browsers have WebGPU as navigator.gpu
 * or not at all, so a bundle never contains the `webgpu` package.
 */
import type { DawnModule } from './dawn.js';

export async function loadDawn(): Promise<DawnModule> {
  throw new Error('this browser has no WebGPU (navigator.gpu is missing; it needs a secure context: https or http://localhost); use the gpujs or cpu backend');
}
