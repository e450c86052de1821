/**
 * A registered data set (compiler/data/registry.ts) as a built-in callable:
 * its arguments are checked at the call with located diagnostics, and its
 * definition's fields() is asked once there, so a definition that throws or
 * returns a malformed field is a diagnostic at the call rather than a crash.
 */
import type { DataArg } from '../../compiled.js';
import type { DatasetDefinition, DatasetFieldSpec, DatasetParam } from '../../data/registry.js';
import { MAX_DIM, MAX_TENSOR_ELEMENTS } from '../../limits.js';
import type { BuiltinImpl, BuiltinParam, CallContext } from '../builtin.js';

const PARAM_TYPE: Record<DatasetParam['type'], BuiltinParam['type']> = { split: 'sym', int: 'int', num: 'num', str: 'str', list: 'list' };

function argument(cx: CallContext, set: string, p: DatasetParam): DataArg {
  const fail = (message: string): never => cx.fail('DNN0022', { message: `${set}: ${p.name} ${message}` }, { span: cx.args.span(p.name) });
  switch (p.type) {
    case 'split':
      return cx.args.sym(p.name, ['train', 'validation', 'test']);
    case 'int': {
      const v = cx.args.int(p.name);
      return p.min !== undefined && v < p.min ? fail(`must be an integer of at least ${p.min}, got ${v}`) : v;
    }
    case 'num': {
      const v = cx.args.num(p.name);
      if (!Number.isFinite(v)) return fail(`must be a finite number, got ${v}`);
      return p.min !== undefined && v < p.min ? fail(`must be at least ${p.min}, got ${v}`) : v;
    }
    case 'str':
      return cx.args.str(p.name) ?? fail('must be a string');
    case 'list': {
      const a = cx.args.get(p.name);
      const items = a?.kind === 'list' ? a.items.map((i) => (i.kind === 'num' ? i.value : NaN)) : [];
      return a?.kind === 'list' && items.every(Number.isFinite) ? items : fail('must be a list of numbers, e.g. [0, 1]');
    }
  }
}

/** What is wrong with a definition's fields, or undefined when they are well formed. */
export function malformedFields(fields: unknown): string | undefined {
  if (!Array.isArray(fields) || fields.length === 0) return 'fields() must return a non-empty array of { name, dtype, shape }';
  const names = new Set<string>();
  for (const f of fields as DatasetFieldSpec[]) {
    if (typeof f?.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name)) return `a field name must be an identifier, got ${JSON.stringify(f?.name)}`;
    if (names.has(f.name)) return `field '${f.name}' is listed twice`;
    names.add(f.name);
    if (f.dtype !== 'f32' && f.dtype !== 'i32') return `field '${f.name}': dtype must be 'f32' or 'i32', got ${JSON.stringify(f.dtype)}`;
    if (!Array.isArray(f.shape) || !f.shape.every((d) => Number.isInteger(d) && d >= 1 && d <= MAX_DIM))
      return `field '${f.name}': shape must be a list of positive integers, got ${JSON.stringify(f.shape)}`;
    if (f.shape.reduce((a, b) => a * b, 1) > MAX_TENSOR_ELEMENTS) return `field '${f.name}': a sample of shape [${f.shape.join(', ')}] holds more than 2^31 elements`;
    if (f.below !== undefined && (f.dtype !== 'i32' || !Number.isInteger(f.below) || f.below < 1)) return `field '${f.name}': below is for i32 ids and must be a positive integer, got ${JSON.stringify(f.below)}`;
  }
  return undefined;
}

export function registeredDataBuiltin(def: DatasetDefinition): BuiltinImpl {
  return {
    name: def.name,
    kind: 'data',
    doc: def.doc,
    params: def.params.map((p) => ({ name: p.name, type: PARAM_TYPE[p.type], optional: true })),
    apply: (cx) => {
      const args: Record<string, DataArg> = {};
      for (const p of def.params) if (cx.args.has(p.name)) args[p.name] = argument(cx, def.name, p);
      let problem: string | undefined;
      try {
        problem = malformedFields(def.fields(args));
      } catch (e) {
        problem = e instanceof Error ? e.message : String(e);
      }
      if (problem !== undefined) cx.fail('DNN0022', { message: `${def.name}: ${problem}` });
      return { kind: 'data', spec: { name: def.name, args }, span: cx.span };
    },
  };
}
