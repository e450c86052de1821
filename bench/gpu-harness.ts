/**
 * GPU timing for bench/gpu.bench.ts: runs the WGSL passes of one program
 * entry (exactly the shaders the webgpu backend would run) on a device of
 * its own, without uploads or readbacks, and times `iters` repetitions of
 * the entry recorded in ONE compute pass of one command encoder:
 *   - GPU time: timestamp queries at the beginning and end of that pass
 *     (when the adapter has 'timestamp-query'; Dawn's timestamp quantization
 *     is turned off), divided by iters;
 *   - wall time: submit to onSubmittedWorkDone around the same work, / iters.
 * (backendGpu() instead shares the webgpu backend's device and compiled
 * pipelines, without timestamps: wall time over many repetitions.)
 * Buffers: inputs, params and state hold small seeded values (i32 inputs
 * zeros: labels of class 0), temps whatever the kernels write. As in the
 * webgpu backend, params and state share one buffer (the store arena) and
 * the slots of a pack share one, so a multi-tensor kernel is one packed
 * dispatch. Updates of a
 * training step (copies into the param buffers) are not recorded: the figure
 * is the kernels' time.
 */
import { evalDim, evalShape } from '../compiler/dims.js';
import type { Dims, ProgramEntry, WgslPackedPass, WgslPass } from '../runtime/program.js';
import { layout, packedBindings, packedBindingTypes, packSlots, storageBytes, type GpuSlice as Slice } from '../runtime/backends/gpu-packing.js';

export interface Gpu {
  device: GPUDevice;
  adapter: string;
  timestamps: boolean;
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number; maxComputeWorkgroupStorageSize: number };
  /** pipelines from elsewhere (the webgpu backend's cache, to share compiled shaders with models on the same device) */
  pipelineOf?: (pass: WgslPass, label: string) => Promise<GPUComputePipeline>;
  release(): void;
}

/** The device of the webgpu backend (shared with every model of the process): no timestamps, but its compiled pipelines. */
export async function backendGpu(): Promise<Gpu> {
  const { createWebGpuBackend } = await import('../runtime/backends/webgpu.js');
  const be = await createWebGpuBackend();
  const device = be.device;
  return {
    device,
    adapter: be.adapter,
    timestamps: false,
    limits: {
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxBufferSize: device.limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize,
    },
    pipelineOf: (pass, label) => be.pipeline(pass, label),
    release: () => be.dispose(),
  };
}

/** A device with timestamp queries when the adapter has them, and the adapter's limits. */
/**
 * The bench's own Dawn instance (timestamp quantization off), made once and
 * kept until the process exits: dropping it and then making the runtime's
 * instance crashes Dawn on SwiftShader (a native abort in about half the runs).
 */
let benchInstance: GPU | undefined;

export async function openGpu(): Promise<Gpu> {
  const mod = (await import('webgpu')) as unknown as { create(o: string[]): GPU; globals: object };
  if ((globalThis as { GPUBufferUsage?: unknown }).GPUBufferUsage === undefined) Object.assign(globalThis, mod.globals);
  benchInstance ??= mod.create(['disable-dawn-features=timestamp_quantization']);
  const instance = benchInstance;
  const adapter = await instance.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter (set VK_ICD_FILENAMES to a Vulkan driver)');
  const timestamps = adapter.features.has('timestamp-query');
  const lim = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: timestamps ? ['timestamp-query'] : [],
    requiredLimits: {
      maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
      maxBufferSize: lim.maxBufferSize,
      maxComputeWorkgroupStorageSize: lim.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: lim.maxComputeInvocationsPerWorkgroup,
      maxStorageBuffersPerShaderStage: lim.maxStorageBuffersPerShaderStage,
    },
  });
  const info = adapter.info;
  return {
    device,
    adapter: [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s).join(' ') || 'unknown adapter',
    timestamps,
    limits: { maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize, maxBufferSize: lim.maxBufferSize, maxComputeWorkgroupStorageSize: lim.maxComputeWorkgroupStorageSize },
    release() {
      device.destroy();
    },
  };
}

interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  counts: [number, number, number];
}

export interface Timing {
  /** per repetition, from timestamp queries (undefined without them) */
  gpuMs?: number;
  /** per repetition, submit to onSubmittedWorkDone */
  wallMs: number;
  iters: number;
}

/** A seeded fill in [-scale, scale). */
function fill(n: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out[i] = ((a >>> 8) / 16777216 - 0.5) * 2 * scale;
  }
  return out;
}

export class EntryRunner {
  private owned: GPUBuffer[] = [];
  private dispatches: Dispatch[] = [];
  private pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(
    private gpu: Gpu,
    private entry: ProgramEntry,
    private dims: Dims,
  ) {}

  /** dispatches per repetition (passes with work, `once` steps excluded) */
  get dispatchCount(): number {
    return this.dispatches.length;
  }

  async init(): Promise<void> {
    const { device } = this.gpu;
    const e = this.entry;
    if (!e.wgsl || e.wgslMissing?.length) throw new Error(`no WGSL for op(s): ${(e.wgslMissing ?? []).join(', ') || 'all'}`);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const newBuffer = (n: number, use = usage) => {
      const b = device.createBuffer({ size: Math.max(4, Math.ceil((n * 4) / 4) * 4), usage: use });
      this.owned.push(b);
      return b;
    };
    const sizes = e.buffers.map((b) => evalShape(b.shape, this.dims).reduce((p, c) => p * c, 1));
    // slots sharing a buffer: the store arena (params, state) and each pack, tensors 256-byte aligned
    const stores = e.buffers.flatMap((b, i) => (b.kind === 'param' || b.kind === 'state' ? [i] : []));
    const slices = new Map<number, Slice>();
    for (const slots of [stores, ...packSlots(e.buffers).values()]) {
      if (slots.length === 0) continue;
      const { offsets, total } = layout(slots.map((i) => storageBytes(sizes[i])));
      const buf = newBuffer(Math.ceil(total / 4));
      slots.forEach((i, k) => slices.set(i, { buffer: buf, offset: offsets[k], size: storageBytes(sizes[i]) }));
    }
    const buffers: Slice[] = e.buffers.map((b, i) => {
      const slice = slices.get(i) ?? { buffer: newBuffer(sizes[i]), offset: 0, size: storageBytes(sizes[i]) };
      if ((b.kind === 'input' || b.kind === 'param' || b.kind === 'state') && b.dtype === 'f32') {
        const data = fill(sizes[i], 17 + i, b.kind === 'input' ? 1 : 0.1);
        device.queue.writeBuffer(slice.buffer, slice.offset, data.buffer, 0, data.byteLength);
      }
      return slice;
    });
    const maxPerDim = device.limits.maxComputeWorkgroupsPerDimension;
    const once: Dispatch[] = [];
    for (const step of e.steps) {
      const spec = e.wgsl[step.kernel];
      const stepArgs = [...step.ins.map((i) => buffers[i]), ...step.outs.map((i) => buffers[i])];
      if (spec.packed && !step.once) {
        const d = await this.packed(spec.packed, stepArgs, step.kernel, newBuffer);
        if (d) {
          this.dispatches.push(d);
          continue;
        }
      }
      const temps = spec.temps.map((t) => {
        const n = evalShape(t.shape, this.dims).reduce((p, c) => p * c, 1);
        return { buffer: newBuffer(n), offset: 0, size: storageBytes(n) };
      });
      const args = [...stepArgs, ...temps];
      for (const pass of spec.passes) {
        const counts = this.counts(pass, maxPerDim);
        if (counts[0] * counts[1] * counts[2] === 0) continue;
        const pipeline = await this.pipeline(pass, step.kernel);
        const entries: GPUBindGroupEntry[] = [];
        let b = 0;
        for (const a of pass.reads) entries.push({ binding: b++, resource: { buffer: args[a].buffer, offset: args[a].offset, size: args[a].size } });
        for (const a of pass.writes) entries.push({ binding: b++, resource: { buffer: args[a].buffer, offset: args[a].offset, size: args[a].size } });
        if (pass.dims.length) {
          const data = new Uint32Array(Math.max(4, Math.ceil(pass.dims.length / 4) * 4));
          pass.dims.forEach((d, i) => (data[i] = this.dims[d]));
          const u = newBuffer(data.length, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
          device.queue.writeBuffer(u, 0, data.buffer, 0, data.byteLength);
          entries.push({ binding: b++, resource: { buffer: u } });
        }
        const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
        (step.once ? once : this.dispatches).push({ pipeline, bindGroup, counts });
      }
    }
    if (once.length) {
      const enc = device.createCommandEncoder();
      const p = enc.beginComputePass();
      this.record(p, once, 1);
      p.end();
      device.queue.submit([enc.finish()]);
    }
    await device.queue.onSubmittedWorkDone();
  }

  /** A multi-tensor kernel as one dispatch when each binding's operands share a buffer (as runtime/backends/webgpu.ts). */
  private async packed(p: WgslPackedPass, args: Slice[], label: string, newBuffer: (n: number, use?: number) => GPUBuffer): Promise<Dispatch | undefined> {
    const { device } = this.gpu;
    const packed = packedBindings(p, args);
    if (!packed) return undefined;
    const tb = newBuffer(packed.table.length);
    device.queue.writeBuffer(tb, 0, packed.table.buffer, 0, packed.table.byteLength);
    let pl = this.pipelines.get(p.code);
    if (!pl) {
      const entries = packedBindingTypes(p).map((type, binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } }));
      const layout = device.createPipelineLayout({ bindGroupLayouts: [device.createBindGroupLayout({ entries })] });
      pl = device.createComputePipelineAsync({ layout, compute: { module: device.createShaderModule({ code: p.code, label }), entryPoint: 'main' }, label });
      this.pipelines.set(p.code, pl);
    }
    const pipeline = await pl;
    const entries: GPUBindGroupEntry[] = [...packed.buffers, tb].map((buffer, binding) => ({ binding, resource: { buffer } }));
    return { pipeline, bindGroup: device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }), counts: packed.counts };
  }

  private counts(pass: WgslPass, maxPerDim: number): [number, number, number] {
    const c: [number, number, number] = [1, 1, 1];
    pass.workgroups.forEach((w, i) => (c[i] = Math.ceil(evalDim(w.items, this.dims) / w.per)));
    if (pass.workgroups.length === 1 && c[0] > maxPerDim) {
      c[1] = Math.ceil(c[0] / maxPerDim);
      c[0] = Math.ceil(c[0] / c[1]);
    }
    return c;
  }

  private pipeline(pass: WgslPass, label: string): Promise<GPUComputePipeline> {
    if (this.gpu.pipelineOf) return this.gpu.pipelineOf(pass, label);
    let p = this.pipelines.get(pass.code);
    if (!p) {
      const { device } = this.gpu;
      const module = device.createShaderModule({ code: pass.code, label });
      const entries: GPUBindGroupLayoutEntry[] = [];
      let b = 0;
      for (let i = 0; i < pass.reads.length; i++) entries.push({ binding: b++, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } });
      for (let i = 0; i < pass.writes.length; i++) entries.push({ binding: b++, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } });
      if (pass.dims.length) entries.push({ binding: b++, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } });
      const layout = device.createPipelineLayout({ bindGroupLayouts: [device.createBindGroupLayout({ entries })] });
      p = device.createComputePipelineAsync({ layout, compute: { module, entryPoint: 'main' }, label });
      this.pipelines.set(pass.code, p);
    }
    return p;
  }

  private record(p: GPUComputePassEncoder, ds: Dispatch[], iters: number): void {
    for (let it = 0; it < iters; it++)
      for (const d of ds) {
        p.setPipeline(d.pipeline);
        p.setBindGroup(0, d.bindGroup);
        p.dispatchWorkgroups(d.counts[0], d.counts[1], d.counts[2]);
      }
  }

  /** Time `iters` repetitions in one pass (after one untimed warm-up repetition); median over `samples` such submits. */
  async time(iters: number, samples = 3): Promise<Timing> {
    const { device, timestamps } = this.gpu;
    const warm = device.createCommandEncoder();
    const wp = warm.beginComputePass();
    this.record(wp, this.dispatches, 1);
    wp.end();
    device.queue.submit([warm.finish()]);
    await device.queue.onSubmittedWorkDone();
    const gpu: number[] = [];
    const wall: number[] = [];
    for (let s = 0; s < samples; s++) {
      const enc = device.createCommandEncoder();
      let qs: GPUQuerySet | undefined;
      let resolve: GPUBuffer | undefined;
      let read: GPUBuffer | undefined;
      if (timestamps) {
        qs = device.createQuerySet({ type: 'timestamp', count: 2 });
        resolve = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
        read = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      }
      const p = enc.beginComputePass(qs ? { timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {});
      this.record(p, this.dispatches, iters);
      p.end();
      if (qs && resolve && read) {
        enc.resolveQuerySet(qs, 0, 2, resolve, 0);
        enc.copyBufferToBuffer(resolve, 0, read, 0, 16);
      }
      const cmd = enc.finish();
      const t0 = performance.now();
      device.queue.submit([cmd]);
      await device.queue.onSubmittedWorkDone();
      wall.push((performance.now() - t0) / iters);
      if (qs && resolve && read) {
        await read.mapAsync(GPUMapMode.READ);
        const [a, b] = new BigInt64Array(read.getMappedRange().slice(0));
        read.unmap();
        const ns = Number(b - a);
        if (ns > 0) gpu.push(ns / 1e6 / iters);
        qs.destroy();
        resolve.destroy();
        read.destroy();
      }
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    return { ...(gpu.length ? { gpuMs: median(gpu) } : {}), wallMs: median(wall), iters };
  }

  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.owned = [];
    this.dispatches = [];
  }
}
