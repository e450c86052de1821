/**
 * Storage conversions and pipelines of the WebGPU backend (webgpu.ts): bool
 * is u32 (0/1) on the device and Uint8Array on the host; a pipeline is
 * compiled from a pass's WGSL with its bindings in order (reads, writes, the
 * dims uniform), and a shader that does not compile is an internal error
 * naming the kernel and the lines.
 */
import type { WgslPass } from '../program.js';
import type { DType, TypedArray } from '../types.js';
import type { GpuSlice } from './gpu-packing.js';

export function toStorage(data: TypedArray, dtype: DType): ArrayBufferView {
  return dtype === 'bool' ? Uint32Array.from(data as Uint8Array) : data;
}

export function fromStorage(bytes: ArrayBuffer, dtype: DType, n: number, into?: TypedArray): TypedArray {
  if (dtype === 'f32') {
    const src = new Float32Array(bytes, 0, n);
    return into ? ((into as Float32Array).set(src), into) : src.slice();
  }
  if (dtype === 'i32') {
    const src = new Int32Array(bytes, 0, n);
    return into ? ((into as Int32Array).set(src), into) : src.slice();
  }
  const src = new Uint32Array(bytes, 0, n);
  const out = (into as Uint8Array | undefined) ?? new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = src[i] ? 1 : 0;
  return out;
}

export function writeAll(device: GPUDevice, buf: GPUBuffer, data: ArrayBufferView): void {
  device.queue.writeBuffer(buf, 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
}

export function writeAt(device: GPUDevice, s: GpuSlice, data: ArrayBufferView): void {
  device.queue.writeBuffer(s.buffer, s.offset, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
}

export async function makePipeline(device: GPUDevice, pass: WgslPass, kernel: string): Promise<GPUComputePipeline> {
  const kinds: GPUBufferBindingType[] = [...pass.reads.map(() => 'read-only-storage' as const), ...pass.writes.map(() => 'storage' as const), ...(pass.dims.length ? ['uniform' as const] : [])];
  return compilePipeline(device, pass.code, kinds, kernel);
}

/** A compute pipeline of `code` (entry point main) whose group-0 bindings are buffers of `kinds`, in order. */
export async function compilePipeline(device: GPUDevice, code: string, kinds: GPUBufferBindingType[], kernel: string): Promise<GPUComputePipeline> {
  const pass = { code };
  const module = device.createShaderModule({ code, label: kernel });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length) {
    const lines = pass.code.split('\n');
    const text = errors.map((m) => `  line ${m.lineNum}: ${m.message}\n    ${lines[m.lineNum - 1]?.trim() ?? ''}`).join('\n');
    throw new Error(`internal: WGSL kernel '${kernel}' does not compile:\n${text}`);
  }
  const entries: GPUBindGroupLayoutEntry[] = kinds.map((type, binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } }));
  const layout = device.createPipelineLayout({ bindGroupLayouts: [device.createBindGroupLayout({ entries, label: kernel })] });
  return device.createComputePipelineAsync({ layout, compute: { module, entryPoint: 'main' }, label: kernel });
}
