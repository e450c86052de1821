/**
 * The WebGPU device shared by every model of the process (webgpu.ts):
 * `navigator.gpu` in browsers, the `webgpu` package (Dawn) in Node; opened on
 * first use, reference-counted, and destroyed with every reference to the
 * Dawn instance dropped when the last backend lets go (otherwise Node does
 * not exit).
 */
import { loadDawn } from './dawn.js';

export interface GpuContext {
  device: GPUDevice;
  /** 'navigator' in browsers; in Node the Dawn instance (dropped on release) */
  instance: GPU | undefined;
  description: string;
  refs: number;
  pipelines: Map<string, Promise<GPUComputePipeline>>;
}

let shared: Promise<GpuContext> | undefined;

/** The GPU object: navigator.gpu in browsers, a Dawn instance from the `webgpu` package in Node. */
async function gpuInstance(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  const mod = await loadDawn();
  if ((globalThis as { GPUBufferUsage?: unknown }).GPUBufferUsage === undefined) Object.assign(globalThis, mod.globals);
  return mod.create([]);
}

async function openDevice(): Promise<GpuContext> {
  let instance: GPU | undefined = await gpuInstance();
  const adapter = await instance.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    instance = undefined;
    throw new Error(
      'the webgpu backend found no GPU adapter' +
        (typeof process !== 'undefined' && process.versions?.node
          ? ' (in Node on a machine without a GPU, install a Vulkan driver such as SwiftShader and set VK_ICD_FILENAMES, e.g. /usr/lib/chromium/vk_swiftshader_icd.json)'
          : ''),
    );
  }
  const lim = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBuffersPerShaderStage: lim.maxStorageBuffersPerShaderStage,
      maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
      maxBufferSize: lim.maxBufferSize,
      maxComputeWorkgroupStorageSize: lim.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: lim.maxComputeInvocationsPerWorkgroup,
    },
  });
  const info = adapter.info;
  const description = [info?.vendor, info?.architecture, info?.device].filter((s) => s).join(' ') || 'unknown adapter';
  return { device, instance, description, refs: 0, pipelines: new Map() };
}

export async function acquire(): Promise<GpuContext> {
  if (!shared) {
    shared = openDevice();
    shared.catch(() => (shared = undefined));
  }
  const ctx = await shared;
  ctx.refs++;
  return ctx;
}

export function release(ctx: GpuContext): void {
  if (--ctx.refs > 0) return;
  ctx.pipelines.clear();
  ctx.device.destroy();
  ctx.instance = undefined;
  shared = undefined;
}

/** Whether a WebGPU adapter exists here (the device is opened and released again); the reason when not. */
export async function webgpuAvailable(): Promise<{ ok: true; adapter: string } | { ok: false; reason: string }> {
  try {
    const ctx = await acquire();
    const adapter = ctx.description;
    release(ctx);
    return { ok: true, adapter };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
