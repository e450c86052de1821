/**
 * The op registry: every primitive op, defined once (see types.ts).
 * Families live in one file each; this file only collects them.
 */
import type { OpDef } from './types.js';
import * as leaves from './leaves.js';
import * as unary from './unary.js';
import * as binary from './binary.js';
import * as reduce from './reduce.js';
import * as shape from './shape.js';
import * as linalg from './linalg.js';
import * as nn from './nn.js';
import * as conv from './conv.js';
import * as pool from './pool.js';
import * as random from './random.js';
import * as deconv from './deconv.js';
import * as resize from './resize.js';
import * as randomNormal from './random-normal.js';
import * as control from './control.js';
import * as sequence from './sequence.js';
import * as xent from './xent.js';
import * as count from './count.js';

/**
 * The name of every op in the registry, in registry order. Tables keyed by op
 * (the backends' renderers, exporters) are typed with OpName, so a misspelt
 * or removed op fails to compile; the registry checks at load time that this
 * list and the definitions agree.
 */
export const OP_NAMES = [
  'const',
  'input',
  'param',
  'state',
  'abs',
  'cast',
  'elu',
  'exp',
  'gelu',
  'leaky_relu',
  'log',
  'logical_not',
  'neg',
  'reciprocal',
  'relu',
  'rsqrt',
  'sigmoid',
  'sign',
  'softplus',
  'sqrt',
  'square',
  'step',
  'tanh',
  'add',
  'div',
  'equal',
  'greater',
  'greater_equal',
  'less',
  'less_equal',
  'logical_and',
  'logical_or',
  'maximum',
  'minimum',
  'mul',
  'not_equal',
  'pow',
  'sub',
  'where',
  'argmax',
  'log_softmax',
  'reduce_max',
  'reduce_mean',
  'reduce_sum',
  'softmax',
  'broadcast_to',
  'concat',
  'one_hot',
  'reshape',
  'slice',
  'slice_grad',
  'transpose',
  'matmul',
  'conv2d',
  'conv2d_backprop_filter',
  'conv2d_backprop_input',
  'avgpool2d',
  'avgpool2d_grad',
  'maxpool2d',
  'maxpool2d_grad',
  'random_uniform',
  'conv2d_transpose',
  'upsample2d',
  'upsample2d_grad',
  'random_normal',
  'stop_gradient',
  'gather',
  'iota',
  'scatter_add',
  'softmax_cross_entropy',
  'softmax_cross_entropy_grad',
  'element_count',
] as const;

export type OpName = (typeof OP_NAMES)[number];

/** A table with at most one entry per op, e.g. a backend's renderers. */
export type OpTable<T> = { readonly [K in OpName]?: T };

const registry = new Map<string, OpDef>();

for (const family of [leaves, unary, binary, reduce, shape, linalg, nn, conv, pool, random, deconv, resize, randomNormal, control, sequence, xent, count]) {
  for (const def of Object.values(family) as unknown[]) {
    if (!isOpDef(def)) continue;
    if (registry.has(def.name)) throw new Error(`op '${def.name}' is defined twice`);
    registry.set(def.name, def);
  }
}

{
  const listed = new Set<string>(OP_NAMES);
  const missing = [...registry.keys()].filter((n) => !listed.has(n));
  const extra = OP_NAMES.filter((n) => !registry.has(n));
  if (missing.length || extra.length) throw new Error(`internal: OP_NAMES and the registry disagree (not listed: ${missing.join(', ') || 'none'}; not defined: ${extra.join(', ') || 'none'})`);
}

/** true when `name` is a registry op (narrows it to OpName) */
export function isOpName(name: string): name is OpName {
  return registry.has(name);
}

function isOpDef(x: unknown): x is OpDef {
  return typeof x === 'object' && x !== null && typeof (x as OpDef).name === 'string' && typeof (x as OpDef).infer === 'function';
}

export function getOp(name: string): OpDef {
  const def = registry.get(name);
  if (!def) throw new Error(`internal: no op '${name}' in the registry`);
  return def;
}

export function hasOp(name: string): boolean {
  return registry.has(name);
}

export function allOps(): OpDef[] {
  return [...registry.values()];
}

export type { OpDef } from './types.js';
