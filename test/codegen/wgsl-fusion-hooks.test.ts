/**
 * The WGSL fusion contract (codegen/wgsl/types.ts, WgslRenderer.fuses): a
 * renderer that declares `load` reads its input 0 only through ctx.load, one
 * that declares `store` writes its output 0 only through ctx.store, so the
 * kernel generator can run a loop inside the read (a fused loader) or the
 * write (a fused epilogue) without looking at the shader text. Every
 * renderer is rendered for every registry sample of its op with input 0 /
 * output 0 fused: the arrays it may no longer name must not appear, and the
 * fused functions must.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GraphBuilder } from '../../compiler/builder.js';
import { Graph, type Node } from '../../compiler/ir.js';
import { allOps, getOp } from '../../compiler/ops/index.js';
import { FUSED_INPUT, FUSED_OUTPUT, nodeContext } from '../../codegen/wgsl/kernel.js';
import { wgslRenderer } from '../../codegen/wgsl/renderers.js';
import type { WgslKernel, WgslKernelContext } from '../../codegen/wgsl/types.js';

/** Renderers that may not take a fused loader, with the reason (their op kind never gets one, but the contract says what they do). */
const NO_FUSED_LOAD: Record<string, string> = {
  slice_grad: 'reads the length of input 0 (arrayLength), which a loader has not',
};

/** The node of one registry sample, or undefined when the sample does not build on its own. */
function sampleNode(op: string, sample: (typeof allOps extends () => (infer D)[] ? D : never)['samples'][number]): Node | undefined {
  const g = new Graph('t');
  const b = new GraphBuilder(g);
  try {
    const ins = sample.inputs.map((x, i) => b.input(`x${i}`, x.dtype ?? 'f32', x.shape));
    return b.opN(op, ins, sample.attrs ?? {})[0].node;
  } catch {
    return undefined;
  }
}

const text = (k: WgslKernel) => `${k.decls ?? ''}\n${k.body}`;

/** The kernel (and, for ops with a sum form, the kernel with its operand sum) rendered with `ctx`. */
function renders(op: string, ctx: WgslKernelContext): string[] {
  const r = wgslRenderer(op)!;
  const sumInput = getOp(op).contracts?.(ctx.node)[0]?.input;
  const out = [text(r.kernel!(ctx))];
  if (r.sum && sumInput !== undefined) out.push(text(r.sum(ctx, sumInput, 'sum_out')));
  return out;
}

const kernelOps = allOps().filter((d) => wgslRenderer(d.name)?.kernel);

test('every WGSL kernel renderer declares what it fuses', () => {
  const silent = kernelOps.filter((d) => !wgslRenderer(d.name)!.fuses).map((d) => d.name);
  assert.equal(silent, [], `renderers without a fuses declaration: ${silent.join(', ')}`);
  for (const [op, why] of Object.entries(NO_FUSED_LOAD)) assert.not.ok(wgslRenderer(op)?.fuses?.load, `${op} ${why}`);
});

let checked = 0;
for (const def of kernelOps) {
  const fuses = wgslRenderer(def.name)!.fuses ?? {};
  def.samples.forEach((sample, si) => {
    test(`${def.name} sample ${si}: input 0 and output 0 only through the hooks it declares`, () => {
      const node = sampleNode(def.name, sample);
      if (!node) return;
      const ins = node.inputs.map((_, i) => `in${i}`);
      const outs = node.outputs.map((_, i) => `out${i}`);
      if (fuses.load && node.inputs.length) {
        for (const t of renders(def.name, nodeContext(node, [FUSED_INPUT, ...ins.slice(1)], outs, { load: true }))) {
          assert.not.ok(t.includes(FUSED_INPUT), `${def.name} names its input 0 with a fused loader:\n${t}`);
          assert.ok(t.includes('fused_load('), `${def.name} declares load but never reads input 0 through ctx.load`);
        }
        checked++;
      }
      if (fuses.store) {
        for (const t of renders(def.name, nodeContext(node, ins, [FUSED_OUTPUT, ...outs.slice(1)], { store: true }))) {
          assert.not.ok(t.includes(FUSED_OUTPUT), `${def.name} names its output 0 with a fused epilogue:\n${t}`);
          assert.ok(t.includes('fused_store('), `${def.name} declares store but never writes output 0 through ctx.store`);
        }
        checked++;
      }
      // unfused, the hooks are plain array accesses: the arrays are named and no fused function is called
      for (const t of renders(def.name, nodeContext(node, ins, outs))) assert.not.ok(/fused_(load|store)\(/.test(t), `${def.name} calls a fused function unfused`);
    });
  });
}

test('the fused forms were checked', () => {
  assert.ok(checked > 40, `only ${checked} fused renderings checked`);
});

test.run();
