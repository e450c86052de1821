/**
 * WebGPU optimizer updates in place (codegen/wgsl/kernel.ts step 4,
 * codegen/wgsl/multi.ts step 4): WebGPU refuses a writable binding that
 * overlaps another binding of one dispatch, so a kernel that updates a param
 * or state tensor in its own slot reads the old value through the binding it
 * writes, and the packed multi-tensor dispatch binds the store arena once.
 * Checked on LeNet-5's Adam step (examples/mnist/mnist.dnn) and an SGD
 * momentum MLP: no dispatch binds a slot both ways (so the runtime makes no
 * extra buffer and copies nothing at the end of the step), and every packed
 * dispatch is possible with every store in one arena buffer, as the webgpu
 * backend lays them out. The numbers themselves (WebGPU against the CPU) are
 * checked in test/webgpu/.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programFromModel } from '../../codegen/module/plan-model.js';
import { compileSource } from '../../compiler/compile.js';
import { readWhileWritten } from '../../runtime/backends/webgpu.js';
import { layout, packedBindings, packSlots, storageBytes, type GpuSlice } from '../../runtime/backends/gpu-packing.js';
import type { ProgramEntry } from '../../runtime/program.js';

const MLP = `model M {
  input  x: f32[B, 8]
  output y: f32[B, 3]
  y = x |> dense(16) |> relu |> dense(3)
}

train M {
  data      = csv("none.csv", label: "y")
  label     : i32[B]
  loss      = cross_entropy(y, label)
  optimizer = momentum(lr: 0.1)
  batch     = 8
}
`;

function trainEntry(source: string, file: string): ProgramEntry {
  const r = compileSource(source, file);
  assert.ok(r.file, r.diagnostics.map((d) => d.message).join('\n'));
  const m = r.file!.models.find((x) => x.train)!;
  return programFromModel(m).entries.trainStep!;
}

/** Where each slot lies with the backend's layout: stores in one arena buffer, each pack in one buffer, any other slot alone (fake buffers: only identity and offsets matter). */
function slices(entry: ProgramEntry): GpuSlice[] {
  const size = (i: number) => storageBytes(entry.buffers[i].shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 8), 1));
  const arena = {} as GPUBuffer;
  const stores = entry.buffers.map((b, i) => i).filter((i) => entry.buffers[i].kind === 'param' || entry.buffers[i].kind === 'state');
  const at = new Map<number, GpuSlice>();
  const place = (slots: number[], buffer: GPUBuffer) => {
    const { offsets } = layout(slots.map(size));
    slots.forEach((s, k) => at.set(s, { buffer, offset: offsets[k], size: size(s) }));
  };
  place(stores, arena);
  for (const [, slots] of packSlots(entry.buffers)) place(slots, {} as GPUBuffer);
  return entry.buffers.map((_, i) => at.get(i) ?? { buffer: {} as GPUBuffer, offset: 0, size: size(i) });
}

// Adam's updates are elementwise kernels of their own: every one is in place. Momentum's weight
// velocity is fused into the gradient matmul's epilogue, which the plan never updates in place (a
// GEMM may use its output as the accumulator before the epilogue reads the old value): copied at the end.
for (const [name, source, file, allInPlace] of [
  ['LeNet-5 with Adam', readFileSync('examples/mnist/mnist.dnn', 'utf8'), 'examples/mnist/mnist.dnn', true],
  ['an MLP with momentum', MLP, 'mlp.dnn', false],
] as const) {
  test(`${name}: the updates are in place and no dispatch binds a slot both read-only and writable`, () => {
    const entry = trainEntry(source, file);
    const isStore = (slot: number) => entry.buffers[slot].kind === 'param' || entry.buffers[slot].kind === 'state';
    const inPlace = entry.steps.filter((s) => s.outs.some((o) => s.ins.includes(o) && isStore(o)));
    assert.ok(inPlace.length > 0, 'the plan updates some tensors in place');
    for (const step of entry.steps) assert.equal([...readWhileWritten(step, entry.wgsl![step.kernel])], [], `${step.kernel} binds a slot both ways`);
    // and no update is left to copy at the end of the step: every updated tensor's new value is in its own slot
    const copied = entry.updates.filter((u) => !isStore(u.buffer)).map((u) => u.path);
    if (allInPlace) assert.equal(copied, []);
    else assert.equal(copied, ['M.dense_1.weight.velocity', 'M.dense_2.weight.velocity']);
  });

  test(`${name}: every packed dispatch is possible with the stores in one arena buffer (the in-place roles share a binding)`, () => {
    const entry = trainEntry(source, file);
    const at = slices(entry);
    let packed = 0;
    let shared = 0;
    for (const step of entry.steps) {
      const p = entry.wgsl![step.kernel].packed;
      if (!p || step.once) continue;
      packed++;
      if (p.bindings) shared++;
      const args = [...step.ins, ...step.outs].map((s) => at[s]);
      assert.ok(packedBindings(p, args), `${step.kernel}: its packed dispatch needs the per-member passes`);
    }
    assert.ok(packed > 0, 'some kernels are packed');
    // Adam updates param, m and v in place: three roles in the arena, one binding
    if (allInPlace) assert.is(shared, packed, `${packed} packed kernels, ${shared} with a shared in-place binding`);
  });
}

test('packedBindings refuses a writable binding whose buffer another binding also holds', () => {
  const entry = trainEntry(readFileSync('examples/mnist/mnist.dnn', 'utf8'), 'examples/mnist/mnist.dnn');
  const step = entry.steps.find((s) => entry.wgsl![s.kernel].packed?.bindings)!;
  const p = entry.wgsl![step.kernel].packed!;
  const at = slices(entry);
  const args = [...step.ins, ...step.outs].map((s) => at[s]);
  // the gradients moved into the arena: one read-only and one writable binding of the same buffer
  const arena = at.find((_, i) => entry.buffers[i].kind === 'param')!.buffer;
  for (const a of p.reads[0]) args[a] = { ...args[a], buffer: arena };
  assert.is(packedBindings(p, args), undefined);
});

test.run();
