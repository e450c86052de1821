/**
 * Which field of a train block's data set will feed a graph input at run
 * time, following the runtime's rules (runtime/train.ts mapFields): a field
 * of the input's name; else, for a train input, the `label` field when no
 * other train input could take it. A loss uses it to compare its classes
 * with the values the labels will hold.
 */
import type { DataSpec } from '../compiled.js';
import type { Graph, Value } from '../ir.js';
import { describeData, type DataField, type DataFields } from './builtins/data-schemas.js';

export interface FeedingField extends DataField {
  /** the field's name */
  field: string;
  /** the data set as written: mnist(split: train) */
  data: string;
}

export function fieldFeeding(v: Value, graph: Graph, fields: DataFields, spec: DataSpec): FeedingField | undefined {
  if (v.node.op !== 'input') return undefined;
  const name = String(v.node.attrs.name);
  const found = (field: string): FeedingField | undefined => {
    const f = fields.get(field);
    return f && { ...f, field, data: describeData(spec) };
  };
  if (fields.has(name)) return found(name);
  if (v.node.attrs.role !== 'train' || !fields.has('label')) return undefined;
  const unmatched = graph.leaves('input').filter((n) => n.attrs.role === 'train' && !fields.has(String(n.attrs.name)));
  return unmatched.length === 1 ? found('label') : undefined;
}
