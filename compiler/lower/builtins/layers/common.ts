/**
 * What the standard layers share: the `init` and `activation` choices (with
 * the tables the reference is generated from), applying an activation and
 * building an init spec.
 */
import type { InitSpec, Value } from '../../../ir.js';
import type { CallContext } from '../../builtin.js';
import type { LVal } from '../../values.js';

export const INITS = ['zeros', 'ones', 'he_normal', 'he_uniform', 'glorot_uniform', 'glorot_normal', 'normal', 'uniform'] as const;
export const ACTIVATIONS = ['none', 'relu', 'sigmoid', 'tanh', 'gelu', 'silu', 'softplus', 'leaky_relu', 'elu'] as const;

/** What each `init` draws (the reference is generated from this table). */
export const INIT_DOCS: Record<(typeof INITS)[number], string> = {
  zeros: 'all 0',
  ones: 'all 1',
  he_normal: 'normal with std sqrt(2 / fan_in)',
  he_uniform: 'uniform in [-l, l], l = sqrt(6 / fan_in)',
  glorot_uniform: 'uniform in [-l, l], l = sqrt(6 / (fan_in + fan_out))',
  glorot_normal: 'normal with std sqrt(2 / (fan_in + fan_out))',
  normal: 'normal with std 0.05',
  uniform: 'uniform in [-0.05, 0.05]',
};

/** What each layer `activation` computes (the reference is generated from this table). */
export const ACTIVATION_DOCS: Record<(typeof ACTIVATIONS)[number], string> = {
  none: 'the identity (the default)',
  relu: 'max(y, 0)',
  sigmoid: '1 / (1 + e^-y)',
  tanh: 'tanh(y)',
  gelu: '0.5 y (1 + tanh(sqrt(2 / pi) (y + 0.044715 y^3))): the tanh form (PyTorch\'s approximate = "tanh"; Keras\'s approximate = True)',
  silu: 'y * sigmoid(y), also called swish',
  softplus: 'log(1 + e^y)',
  leaky_relu: 'y for y > 0, else 0.01 y',
  elu: 'y for y > 0, else e^y - 1 (alpha 1)',
};

/** A layer's `activation` applied to y: registry ops (leaky_relu with slope 0.01, elu with alpha 1; silu = y * sigmoid(y)). */
export function activate(cx: CallContext, name: string, y: Value): Value {
  if (name === 'none') return y;
  if (name === 'silu') return cx.op('mul', [y, cx.op('sigmoid', [y])]);
  return cx.op(name, [y], name === 'leaky_relu' ? { alpha: 0.01 } : name === 'elu' ? { alpha: 1 } : {});
}

export function initFor(kind: string, fanIn: number, fanOut: number): InitSpec {
  switch (kind) {
    case 'normal':
      return { kind: 'normal', std: 0.05 };
    case 'uniform':
      return { kind: 'uniform', limit: 0.05 };
    default:
      return { kind: kind as InitSpec['kind'], fanIn, fanOut };
  }
}

/** A tensor result at the call. */
export const t = (cx: CallContext, v: Value): LVal => ({ kind: 'tensor', v, span: cx.span });
