/**
 * The WebGPU backend: runs an entry's WGSL kernels (program `wgsl`, one or
 * more compute passes per kernel) on a GPU device.
 *
 * - Device: in browsers `navigator.gpu`; in Node the `webgpu` package (Dawn).
 *   One device is shared by all models of the process and reference-counted;
 *   when the last backend is disposed the device is destroyed and every
 *   reference to the Dawn instance dropped (otherwise Node does not exit).
 * - Residency: params and state live in GPU buffers (uploaded once from the
 *   model's host arrays, then updated on the GPU by copies at the end of each
 *   training step); the host arrays are refreshed only by `download`.
 * - One submit per run: a predict or training step writes its inputs
 *   (queue.writeBuffer), then records every dispatch in ONE compute pass of
 *   ONE command encoder, followed by the update copies and the copies of the
 *   outputs into mappable staging buffers, and submits once. Nothing is read
 *   back until `output()` is awaited (then all staging buffers of the run are
 *   mapped together).
 * - Per binding of the symbolic dims (per batch size) the buffers, dims
 *   uniforms, bind groups and dispatch sizes are made once and kept: a warm
 *   step allocates nothing. Pipelines are made once per distinct shader.
 * - Storage: f32 as f32, i32 as i32, bool as u32 (0/1); the host side keeps
 *   Uint8Array for bool and converts on upload and readback.
 * - Memory: the model's params and state live in ONE buffer (the store arena,
 *   each tensor at an aligned offset), and the temps of a pack
 *   (ProgramBuffer.pack) share one buffer, so a multi-tensor kernel
 *   (WgslKernelSpec.packed) binds each role once and updates every tensor in
 *   one dispatch; other kernels bind the tensors' ranges.
 */
import { evalDim, evalShape } from '../../compiler/dims.js';
import type { Backend, PreparedEntry } from '../backend.js';
import type { Dims, ProgramEntry, ProgramStep, WgslKernelSpec, WgslPackedPass, WgslPass } from '../program.js';
import type { DType, TypedArray } from '../types.js';
import { acquire, release, type GpuContext } from './webgpu-device.js';
import { compilePipeline, fromStorage, makePipeline, toStorage, writeAll, writeAt } from './webgpu-storage.js';
import { layout, packedBindings, packedBindingTypes, packSlots, storageBytes, type GpuSlice } from './gpu-packing.js';
import { BindingCache, inputSlots } from '../bindings.js';

export { webgpuAvailable } from './webgpu-device.js';


/** Create the backend; throws an Error explaining why when there is no adapter. */
export async function createWebGpuBackend(): Promise<WebGpuBackend> {
  return new WebGpuBackend(await acquire());
}

// ---------------------------------------------------------------- one entry

interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  counts: [number, number, number];
}

interface Binding {
  dims: Dims;
  buffers: GpuSlice[];
  sizes: number[];
  owned: GPUBuffer[];
  dispatches: Dispatch[];
  updates: { src: GpuSlice; dst: GpuSlice; bytes: number }[];
  staging: Map<string, { buf: GPUBuffer; bytes: number; n: number; dtype: DType; src: GpuSlice; host?: TypedArray }>;
  /** the outputs of the last run, once read back */
  readback?: Promise<void>;
}

class WebGpuEntry implements PreparedEntry {
  private bindings = new BindingCache<Promise<Binding>>((p) => void p.then((b) => b.owned.forEach((x) => x.destroy()), () => undefined));
  private last?: Binding;
  private inputIndex: Map<string, number>;
  private hyperIndex: Map<string, number>;
  private outputIndex: Map<string, number>;
  private disposed = false;

  constructor(
    private backend: WebGpuBackend,
    private entry: ProgramEntry,
  ) {
    ({ data: this.inputIndex, hyper: this.hyperIndex } = inputSlots(entry));
    this.outputIndex = new Map(entry.outputs.map((o) => [o.name, o.buffer]));
    const missing = entry.wgslMissing ?? [];
    if (missing.length) throw new Error(`the webgpu backend has no WGSL kernel for op(s): ${missing.join(', ')}`);
    if (!entry.wgsl) throw new Error('this program has no WGSL kernels (it was generated for the cpu backend only); regenerate it with this version of dnnc');
    for (const s of entry.steps)
      if (!entry.wgsl[s.kernel]) throw new Error(`internal: WGSL kernel '${s.kernel}' is missing from the program`);
  }

  private get device(): GPUDevice {
    return this.backend.device;
  }

  private bind(dims: Dims): Promise<Binding> {
    return this.bindings.get(dims, (frozen) => {
      const made = this.createBinding(frozen);
      // a binding that failed is made again next time
      made.catch(() => this.bindings.forget(frozen, made));
      return made;
    });
  }

  private async createBinding(dims: Dims): Promise<Binding> {
    const device = this.device;
    const e = this.entry;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const owned: GPUBuffer[] = [];
    const newBuffer = (bytes: number, label: string, use = usage) => {
      const b = device.createBuffer({ size: Math.ceil(bytes / 4) * 4, usage: use, label });
      owned.push(b);
      return b;
    };
    const sizes = e.buffers.map((b) => evalShape(b.shape, dims).reduce((a, c) => a * c, 1));
    const whole = (buffer: GPUBuffer): GpuSlice => ({ buffer, offset: 0, size: buffer.size });
    // the slots of each pack share one buffer
    const packSlices = new Map<number, GpuSlice>();
    for (const [id, slots] of packSlots(e.buffers)) {
      const { offsets, total } = layout(slots.map((i) => storageBytes(sizes[i])));
      const buf = newBuffer(total, `pack ${id}`);
      slots.forEach((i, k) => packSlices.set(i, { buffer: buf, offset: offsets[k], size: storageBytes(sizes[i]) }));
    }
    const buffers: GpuSlice[] = e.buffers.map((b, i) => {
      if (b.kind === 'param' || b.kind === 'state') return this.backend.storeSlice(b.ref!);
      return packSlices.get(i) ?? whole(newBuffer(storageBytes(sizes[i]), b.name ?? `b${i}`));
    });
    const uniforms = new Map<string, GPUBuffer>();
    const uniform = (names: string[]): GPUBuffer => {
      const k = names.join(',');
      let u = uniforms.get(k);
      if (!u) {
        const data = new Uint32Array(Math.max(4, Math.ceil(names.length / 4) * 4));
        names.forEach((n, i) => {
          if (dims[n] === undefined) throw new Error(`internal: dim '${n}' is not bound`);
          data[i] = dims[n];
        });
        u = newBuffer(data.byteLength, `dims ${k}`, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
        writeAll(device, u, data);
        uniforms.set(k, u);
      }
      return u;
    };
    const maxPerDim = device.limits.maxComputeWorkgroupsPerDimension;
    const dispatches: Dispatch[] = [];
    const once: Dispatch[] = [];
    for (const step of e.steps) {
      const spec: WgslKernelSpec = e.wgsl![step.kernel];
      // the step reads the values before it (the stores), and may write elsewhere (redirectInPlace)
      const inArgs = step.ins.map((i) => buffers[i]);
      this.redirectInPlace(step, spec, buffers, sizes, newBuffer);
      const stepArgs = [...inArgs, ...step.outs.map((i) => buffers[i])];
      if (spec.packed && !step.once) {
        const d = await this.packedDispatch(spec.packed, stepArgs, step.kernel, newBuffer);
        if (d) {
          dispatches.push(d);
          continue;
        }
      }
      const temps = spec.temps.map((t, i) => whole(newBuffer(storageBytes(evalShape(t.shape, dims).reduce((a, c) => a * c, 1)), `${step.kernel}.temp${i}`)));
      const args = [...stepArgs, ...temps];
      for (const pass of spec.passes) {
        const counts = this.counts(pass, dims, maxPerDim);
        if (counts[0] * counts[1] * counts[2] === 0) continue;
        const pipeline = await this.backend.pipeline(pass, step.kernel);
        const entries: GPUBindGroupEntry[] = [];
        let b = 0;
        for (const a of pass.reads) entries.push({ binding: b++, resource: { buffer: args[a].buffer, offset: args[a].offset, size: args[a].size } });
        for (const a of pass.writes) entries.push({ binding: b++, resource: { buffer: args[a].buffer, offset: args[a].offset, size: args[a].size } });
        if (pass.dims.length) entries.push({ binding: b++, resource: { buffer: uniform(pass.dims) } });
        const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: step.kernel });
        (step.once ? once : dispatches).push({ pipeline, bindGroup, counts });
      }
    }
    if (once.length) {
      const enc = device.createCommandEncoder();
      this.encode(enc, once);
      device.queue.submit([enc.finish()]);
    }
    const updates = e.updates
      .map((u) => ({ src: buffers[u.buffer], dst: this.backend.storeSlice(u.path), bytes: storageBytes(sizes[u.buffer]) }))
      .filter((u) => u.src.buffer !== u.dst.buffer || u.src.offset !== u.dst.offset);
    const staging = new Map<string, { buf: GPUBuffer; bytes: number; n: number; dtype: DType; src: GpuSlice }>();
    for (const o of e.outputs) {
      const bytes = storageBytes(sizes[o.buffer]);
      staging.set(o.name, { buf: newBuffer(bytes, `read ${o.name}`, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST), bytes, n: sizes[o.buffer], dtype: o.dtype, src: buffers[o.buffer] });
    }
    return { dims, buffers, sizes, owned, dispatches, updates, staging };
  }

  /**
   * A step that updates params or state in place writes a slot it reads.
   * Its kernel reads such an old value through the binding it writes (the
   * shader's in-place form: codegen/wgsl/kernel.ts, multi.ts), since WebGPU
   * refuses a writable binding that overlaps another binding of the same
   * dispatch. Where a dispatch would still bind a slot both ways (a kernel
   * without that form), its writes of those slots go to buffers of the
   * binding: one per written role of a packed kernel (its members' operands
   * together, so the single dispatch stays possible), else one per slot.
   * Later steps read the new values there, and the updates copy them to the
   * stores at the end of the step, as for any update not made in place.
   */
  private redirectInPlace(step: ProgramStep, spec: WgslKernelSpec, buffers: GpuSlice[], sizes: number[], newBuffer: (bytes: number, label: string) => GPUBuffer): void {
    const conflicts = readWhileWritten(step, spec);
    const inPlace = (slot: number) => conflicts.has(slot);
    const outs = step.outs.filter(inPlace);
    if (!outs.length) return;
    const groups: number[][] = [];
    const grouped = new Set<number>();
    if (spec.packed && !step.once)
      for (const role of spec.packed.writes) {
        const slots = role.map((a) => step.outs[a - step.ins.length]).filter((x) => x !== undefined && inPlace(x) && !grouped.has(x));
        slots.forEach((x) => grouped.add(x));
        if (slots.length) groups.push(slots);
      }
    for (const x of outs) if (!grouped.has(x)) groups.push([x]);
    for (const slots of groups) {
      const { offsets, total } = layout(slots.map((i) => storageBytes(sizes[i])));
      const buf = newBuffer(total, `${step.kernel} in place`);
      slots.forEach((i, k) => (buffers[i] = { buffer: buf, offset: offsets[k], size: storageBytes(sizes[i]) }));
    }
  }

  /**
   * The single dispatch of a multi-tensor kernel, when every binding's
   * operands (one per member) lie in one buffer; undefined otherwise (the
   * caller runs the per-member passes). The table holds each operand's
   * element offset in its buffer.
   */
  private async packedDispatch(p: WgslPackedPass, args: GpuSlice[], kernel: string, newBuffer: (bytes: number, label: string, use?: number) => GPUBuffer): Promise<Dispatch | undefined> {
    const packed = packedBindings(p, args);
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (!packed || packed.counts[0] > max || packed.counts[1] > max) return undefined;
    const table = newBuffer(packed.table.byteLength, `${kernel}.table`);
    writeAll(this.device, table, packed.table);
    const pipeline = await this.backend.packedPipeline(p, kernel);
    const entries: GPUBindGroupEntry[] = [...packed.buffers, table].map((buffer, binding) => ({ binding, resource: { buffer } }));
    return { pipeline, bindGroup: this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: kernel }), counts: packed.counts };
  }

  private counts(pass: WgslPass, dims: Dims, maxPerDim: number): [number, number, number] {
    const c: [number, number, number] = [1, 1, 1];
    pass.workgroups.forEach((w, i) => (c[i] = Math.ceil(evalDim(w.items, dims) / w.per)));
    if (pass.workgroups.length === 1 && c[0] > maxPerDim) {
      // fold a long 1-D grid into x * y; the shader's linear `wg` index guards the excess
      c[1] = Math.ceil(c[0] / maxPerDim);
      c[0] = Math.ceil(c[0] / c[1]);
    }
    for (const n of c) if (n > maxPerDim) throw new Error(`a dispatch of ${c.join(' x ')} workgroups exceeds the device limit of ${maxPerDim} per dimension`);
    return c;
  }

  private encode(enc: GPUCommandEncoder, dispatches: Dispatch[]): void {
    if (dispatches.length === 0) return;
    const pass = enc.beginComputePass();
    for (const d of dispatches) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.counts[0], d.counts[1], d.counts[2]);
    }
    pass.end();
  }

  async run(dims: Dims, inputs: Map<string, TypedArray>, hyper?: Record<string, number>): Promise<void> {
    if (this.disposed) throw new Error('internal: run after dispose');
    const b = await this.bind(dims);
    const device = this.device;
    for (const [name, data] of inputs) {
      const i = this.inputIndex.get(name);
      if (i !== undefined) writeAt(device, b.buffers[i], toStorage(data, this.entry.buffers[i].dtype));
    }
    if (hyper)
      for (const name in hyper) {
        const i = this.hyperIndex.get(name);
        if (i === undefined) continue;
        const dt = this.entry.buffers[i].dtype;
        const v = hyper[name];
        writeAt(device, b.buffers[i], dt === 'f32' ? Float32Array.of(v) : dt === 'i32' ? Int32Array.of(v) : Uint32Array.of(v ? 1 : 0));
      }
    const enc = device.createCommandEncoder();
    this.encode(enc, b.dispatches);
    for (const u of b.updates) enc.copyBufferToBuffer(u.src.buffer, u.src.offset, u.dst.buffer, u.dst.offset, u.bytes);
    for (const s of b.staging.values()) enc.copyBufferToBuffer(s.src.buffer, s.src.offset, s.buf, 0, s.bytes);
    device.queue.submit([enc.finish()]);
    b.readback = undefined;
    this.last = b;
  }

  async output(name: string): Promise<TypedArray> {
    const b = this.last;
    if (!b) throw new Error('internal: output read before the entry ran');
    const s = b.staging.get(name);
    if (!s) throw new Error(`internal: no output '${name}'`);
    if (!b.readback) {
      const all = [...b.staging.values()];
      b.readback = Promise.all(
        all.map(async (t) => {
          await t.buf.mapAsync(GPUMapMode.READ, 0, t.bytes);
          t.host = fromStorage(t.buf.getMappedRange(0, t.bytes), t.dtype, t.n, t.host);
          t.buf.unmap();
        }),
      ).then(() => undefined);
    }
    await b.readback;
    return s.host!;
  }

  dispatchCount(): number | undefined {
    return this.last?.dispatches.length;
  }

  dispose(): void {
    this.disposed = true;
    this.bindings.clear();
    this.last = undefined;
  }
}

// ---------------------------------------------------------------- the backend

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  /** persistent tensors live on the device: the host arrays are refreshed only by download() */
  readonly resident = true;
  private ctx: GpuContext | undefined;
  private stores: Map<string, TypedArray> | undefined;
  private dtypes = new Map<string, DType>();
  /** stores outside the arena (added after it was laid out, or all of them when it would exceed a binding) */
  private storeBuffers = new Map<string, GPUBuffer>();
  private arena: { buffer: GPUBuffer; offsets: Map<string, number> } | undefined;
  private arenaTried = false;
  private entries: WebGpuEntry[] = [];

  constructor(ctx: GpuContext) {
    this.ctx = ctx;
  }

  /** the adapter in words (vendor, architecture) */
  get adapter(): string {
    return this.ctx?.description ?? 'disposed';
  }

  get device(): GPUDevice {
    if (!this.ctx) throw new Error('the webgpu backend has been disposed');
    return this.ctx.device;
  }

  prepare(entry: ProgramEntry, stores: Map<string, TypedArray>): PreparedEntry {
    this.stores = stores;
    for (const b of entry.buffers) if (b.kind === 'param' || b.kind === 'state') this.dtypes.set(b.ref!, b.dtype);
    const e = new WebGpuEntry(this, entry);
    this.entries.push(e);
    return e;
  }

  /**
   * Where a param/state tensor lives on the device: its range of the store
   * arena, laid out (and uploaded) on first use for every tensor known then;
   * a tensor added later, or every tensor when the arena would exceed one
   * binding, gets a buffer of its own.
   */
  storeSlice(path: string): GpuSlice {
    const host = this.stores?.get(path);
    if (!host) throw new Error(`internal: no tensor for '${path}'`);
    const size = storageBytes(host.length);
    if (!this.arenaTried && this.stores) {
      this.arenaTried = true;
      this.arena = this.makeArena(this.stores);
    }
    const at = this.arena?.offsets.get(path);
    if (this.arena && at !== undefined) return { buffer: this.arena.buffer, offset: at, size };
    let buf = this.storeBuffers.get(path);
    if (!buf) {
      buf = this.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label: path });
      this.storeBuffers.set(path, buf);
      this.upload(path);
    }
    return { buffer: buf, offset: 0, size };
  }

  private makeArena(stores: Map<string, TypedArray>): { buffer: GPUBuffer; offsets: Map<string, number> } | undefined {
    const paths = [...stores.keys()];
    if (paths.length === 0) return undefined;
    const { offsets, total } = layout(paths.map((p) => storageBytes(stores.get(p)!.length)));
    const lim = this.device.limits;
    if (total > lim.maxStorageBufferBindingSize || total > lim.maxBufferSize) return undefined;
    const buffer = this.device.createBuffer({ size: Math.ceil(total / 4) * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label: 'stores' });
    this.arena = { buffer, offsets: new Map(paths.map((p, i) => [p, offsets[i]])) };
    for (const p of paths) this.upload(p);
    return this.arena;
  }

  /** Copy the host array of `path` to its place on the device (after setWeights); nothing to do before first use. */
  upload(path: string): void {
    const host = this.stores?.get(path);
    if (!host) return;
    const at = this.arena?.offsets.get(path);
    const slice = at !== undefined ? { buffer: this.arena!.buffer, offset: at, size: 0 } : this.storeBuffers.has(path) ? { buffer: this.storeBuffers.get(path)!, offset: 0, size: 0 } : undefined;
    if (!slice) return;
    writeAt(this.device, slice, toStorage(host, this.dtypes.get(path) ?? 'f32'));
  }

  /** Read the GPU buffers of `paths` back into their host arrays. */
  async download(paths: string[]): Promise<void> {
    const device = this.device;
    const jobs: { path: string; buf: GPUBuffer; bytes: number; host: TypedArray }[] = [];
    const enc = device.createCommandEncoder();
    for (const path of paths) {
      const host = this.stores?.get(path);
      const at = this.arena?.offsets.get(path);
      const src = at !== undefined ? { buffer: this.arena!.buffer, offset: at } : this.storeBuffers.has(path) ? { buffer: this.storeBuffers.get(path)!, offset: 0 } : undefined;
      if (!src || !host) continue;
      const bytes = storageBytes(host.length);
      const buf = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      enc.copyBufferToBuffer(src.buffer, src.offset, buf, 0, bytes);
      jobs.push({ path, buf, bytes, host });
    }
    device.queue.submit([enc.finish()]);
    await Promise.all(
      jobs.map(async (j) => {
        await j.buf.mapAsync(GPUMapMode.READ);
        fromStorage(j.buf.getMappedRange(), this.dtypes.get(j.path) ?? 'f32', j.host.length, j.host);
        j.buf.unmap();
        j.buf.destroy();
      }),
    );
  }

  /** The pipeline of a pass, made once per distinct shader (shared by all models on the device). */
  pipeline(pass: WgslPass, kernel: string): Promise<GPUComputePipeline> {
    const ctx = this.ctx;
    if (!ctx) throw new Error('the webgpu backend has been disposed');
    let p = ctx.pipelines.get(pass.code);
    if (!p) {
      p = makePipeline(ctx.device, pass, kernel);
      ctx.pipelines.set(pass.code, p);
      p.catch(() => ctx.pipelines.delete(pass.code));
    }
    return p;
  }

  /** The pipeline of a packed multi-tensor pass (bindings: reads, writes, the offset table). */
  packedPipeline(p: WgslPackedPass, kernel: string): Promise<GPUComputePipeline> {
    const ctx = this.ctx;
    if (!ctx) throw new Error('the webgpu backend has been disposed');
    let pl = ctx.pipelines.get(p.code);
    if (!pl) {
      pl = compilePipeline(ctx.device, p.code, packedBindingTypes(p), kernel);
      ctx.pipelines.set(p.code, pl);
      pl.catch(() => ctx.pipelines.delete(p.code));
    }
    return pl;
  }

  dispose(): void {
    for (const e of this.entries) e.dispose();
    this.entries = [];
    for (const b of this.storeBuffers.values()) b.destroy();
    this.storeBuffers.clear();
    this.arena?.buffer.destroy();
    this.arena = undefined;
    this.arenaTried = false;
    this.stores = undefined;
    if (this.ctx) release(this.ctx);
    this.ctx = undefined;
  }
}

/** The slots a dispatch of `step` would bind both read-only and writable (a kernel that reads an old value through a binding of its own). */
export function readWhileWritten(step: ProgramStep, spec: WgslKernelSpec): Set<number> {
  const slotOf = (a: number) => (a < step.ins.length ? step.ins[a] : a < step.ins.length + step.outs.length ? step.outs[a - step.ins.length] : -1);
  const out = new Set<number>();
  const check = (reads: number[], writes: number[]) => {
    const read = new Set(reads.map(slotOf));
    for (const w of writes) {
      const s = slotOf(w);
      if (s >= 0 && read.has(s)) out.add(s);
    }
  };
  for (const p of spec.passes) check(p.reads, p.writes);
  if (spec.packed && !step.once) check(spec.packed.reads.flat(), spec.packed.writes.flat());
  return out;
}
