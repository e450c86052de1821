/**
 * Optimizer-update lowering: turns gradients into graph updates of the
 * parameters and of the optimizer state (moments), so the whole step —
 * forward, backward, update — is one graph the backends compile.
 *
 * Algorithm:
 * 1. Optional global-norm clipping: scale = max / max(||g||, max), g *= scale.
 * 2. Per parameter, build the update rule of the optimizer from registry ops,
 *    reading the learning rate and the 1-based step count from hyper inputs
 *    (`lr`, `step`) so schedules need no recompilation.
 * 3. Record `graph.updates` for the new parameter and state values.
 *
 * Before: grad(w) = %9
 * After:  %10 = state "w.m"; %11 = add(mul(0.9, %10), mul(0.1, %9)); ...
 *         update "w" = %15; update "w.m" = %11
 */
import type { GraphBuilder } from '../builder.js';
import type { OptimizerSpec, TensorSpec } from '../compiled.js';
import type { Value } from '../ir.js';

export interface ParamGrad {
  path: string;
  shape: number[];
  value: Value;
  grad: Value;
}

export function lowerOptimizer(b: GraphBuilder, params: ParamGrad[], opt: OptimizerSpec, clipNorm: number | undefined, stateTag?: string): TensorSpec[] {
  const g = b.graph;
  const state: TensorSpec[] = [];
  const lr = b.hyper('lr');
  const step = b.hyper('step');
  const s = (x: number) => b.scalar(Number(x.toPrecision(12)));
  const moment = (p: ParamGrad, name: string) => {
    // several steps training one parameter keep separate moments: `w.<step>.m`
    const path = stateTag ? `${p.path}.${stateTag}.${name}` : `${p.path}.${name}`;
    state.push({ path, dtype: 'f32', shape: p.shape, init: { kind: 'zeros' } });
    return { path, value: b.state(path, 'f32', p.shape, { kind: 'zeros' }) };
  };

  let grads = params.map((p) => p.grad);
  if (clipNorm !== undefined) {
    b.scope = 'clip';
    let total: Value | undefined;
    for (const gr of grads) {
      const sq = b.op('reduce_sum', [b.op('square', [gr])], { axes: [], keepdims: false });
      total = total ? b.add(total, sq) : sq;
    }
    if (total) {
      const norm = b.op('sqrt', [total]);
      const scale = b.div(s(clipNorm), b.op('maximum', [norm, s(clipNorm)]));
      grads = grads.map((gr) => b.mul(gr, scale));
    }
  }

  const o = opt.options;
  const wd = o.weight_decay ?? 0;
  params.forEach((p, i) => {
    b.scope = `${opt.kind}.${p.path}`;
    let grad = grads[i];
    if (wd && opt.kind !== 'adamw') grad = b.add(grad, b.mul(s(wd), p.value));
    let next: Value;
    switch (opt.kind) {
      case 'sgd':
      case 'momentum':
      case 'nesterov': {
        const mu = o.momentum ?? 0;
        if (mu === 0 && opt.kind === 'sgd') {
          next = b.sub(p.value, b.mul(lr, grad));
          break;
        }
        const v = moment(p, 'velocity');
        const v2 = b.add(b.mul(s(mu), v.value), grad);
        g.updates.push({ path: v.path, value: v2 });
        const dir = opt.kind === 'nesterov' ? b.add(grad, b.mul(s(mu), v2)) : v2;
        next = b.sub(p.value, b.mul(lr, dir));
        break;
      }
      case 'adam':
      case 'adamw': {
        const b1 = o.beta1 ?? 0.9;
        const b2 = o.beta2 ?? 0.999;
        const eps = o.eps ?? 1e-8;
        const m = moment(p, 'm');
        const v = moment(p, 'v');
        const m2 = b.add(b.mul(s(b1), m.value), b.mul(s(1 - b1), grad));
        const v2 = b.add(b.mul(s(b2), v.value), b.mul(s(1 - b2), b.op('square', [grad])));
        g.updates.push({ path: m.path, value: m2 }, { path: v.path, value: v2 });
        // bias corrections from the step count: 1 - beta^t
        const bc1 = b.sub(s(1), b.op('pow', [s(b1), step]));
        const bc2 = b.sub(s(1), b.op('pow', [s(b2), step]));
        const denom = b.add(b.op('sqrt', [b.div(v2, bc2)]), s(eps));
        let upd = b.div(b.div(m2, bc1), denom);
        if (opt.kind === 'adamw' && wd) upd = b.add(upd, b.mul(s(wd), p.value));
        next = b.sub(p.value, b.mul(lr, upd));
        break;
      }
      case 'rmsprop': {
        const rho = o.rho ?? 0.9;
        const sq = moment(p, 'square_avg');
        const s2 = b.add(b.mul(s(rho), sq.value), b.mul(s(1 - rho), b.op('square', [grad])));
        g.updates.push({ path: sq.path, value: s2 });
        next = b.sub(p.value, b.mul(lr, b.div(grad, b.add(b.op('sqrt', [s2]), s(o.eps ?? 1e-8)))));
        break;
      }
      case 'adagrad': {
        const acc = moment(p, 'sum_sq');
        const a2 = b.add(acc.value, b.op('square', [grad]));
        g.updates.push({ path: acc.path, value: a2 });
        next = b.sub(p.value, b.mul(lr, b.div(grad, b.add(b.op('sqrt', [a2]), s(o.eps ?? 1e-10)))));
        break;
      }
    }
    g.updates.push({ path: p.path, value: next });
  });
  b.scope = undefined;
  return state;
}
