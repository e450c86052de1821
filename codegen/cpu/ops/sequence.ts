/**
 * The CPU renderers of the ops of compiler/ops/sequence.ts.
 */
import { mulExpr } from '../util.js';
import { indicesName, iotaAxis } from '../../../compiler/ops/sequence.js';
import type { OpTable } from '../../../compiler/ops/index.js';
import type { CpuRenderer } from '../types.js';

/** op name -> CPU renderer */
export const sequenceCpuRenderers: OpTable<CpuRenderer> = {
  gather: {
    kernel(ctx) {
      const [table, idx] = ctx.in;
      const y = ctx.out[0];
      const [V, D] = ctx.inShape[0];
      const what = JSON.stringify(`'${indicesName(ctx.attrs, ctx.node.inputs[1].name)}'`);
      return `const n = ${mulExpr(ctx.inShape[1])}, V = ${V}, D = ${D};
for (let i = 0, o = 0; i < n; i++) {
  const id = ${idx}[i];
  if (!(id >= 0 && id < V)) { const e = new Error('token id ' + id + ' at position ' + i + ' of ' + ${what} + ' is outside the vocabulary [0, ' + V + ')'); e.name = 'IndexError'; throw e; }
  for (let d = 0, s = id * D; d < D; d++) ${y}[o++] = ${table}[s + d];
}`;
    },
  },
  scatter_add: {
    kernel(ctx) {
      const [upd, idx] = ctx.in;
      const y = ctx.out[0];
      const [V, D] = ctx.outShape[0];
      return `const n = ${mulExpr(ctx.inShape[1])}, V = ${V}, D = ${D};
${y}.fill(0, 0, V * D);
for (let i = 0; i < n; i++) {
  const id = ${idx}[i];
  if (!(id >= 0 && id < V)) continue;
  for (let d = 0, s = i * D, o = id * D; d < D; d++) ${y}[o + d] += ${upd}[s + d];
}`;
    },
  },
  iota: {
    kernel(ctx) {
      const shape = ctx.outShape[0];
      const ax = iotaAxis(ctx.attrs, shape.length);
      const inner = mulExpr(shape.slice(ax + 1));
      return `const n = ${mulExpr(shape)}, inner = ${inner}, size = ${shape[ax]};
for (let i = 0; i < n; i++) ${ctx.out[0]}[i] = Math.floor(i / inner) % size;`;
    },
  },
};
