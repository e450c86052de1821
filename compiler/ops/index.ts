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

const registry = new Map<string, OpDef>();

for (const family of [leaves, unary, binary, reduce, shape, linalg, nn, conv, pool, random, deconv, resize, randomNormal, control, sequence, xent, count]) {
  for (const def of Object.values(family) as unknown[]) {
    if (!isOpDef(def)) continue;
    if (registry.has(def.name)) throw new Error(`op '${def.name}' is defined twice`);
    registry.set(def.name, def);
  }
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
