/**
 * Values that lowering computes while walking the AST: tensors (IR values)
 * and compile-time things (numbers, dims, symbols, lists, data sources,
 * optimizers). Each carries the span of the expression that produced it.
 */
import type { Span } from '../../grammar/span.js';
import type { DataSpec, OptimizerSpec, ScheduleSpec } from '../compiled.js';
import { shapeToString, type Dim } from '../dims.js';
import type { Value } from '../ir.js';

export type LVal =
  | { kind: 'tensor'; v: Value; span: Span }
  | { kind: 'num'; value: number; isInt: boolean; span: Span }
  /** a symbolic dimension (B, T, B*T); static dims are nums */
  | { kind: 'dim'; dim: Dim; span: Span }
  | { kind: 'bool'; value: boolean; span: Span }
  | { kind: 'str'; value: string; span: Span }
  /** a bare identifier used as an enum-like argument: `padding: same`, `split: train` */
  | { kind: 'sym'; name: string; span: Span }
  | { kind: 'list'; items: LVal[]; span: Span }
  | { kind: 'data'; spec: DataSpec; span: Span }
  | { kind: 'optimizer'; spec: OptimizerSpec; span: Span }
  | { kind: 'schedule'; spec: ScheduleSpec; span: Span }
  | { kind: 'clip'; norm: number; span: Span }
  /** a named metric: the tensor plus the name it reports under */
  | { kind: 'metric'; name: string; v: Value; span: Span };

export function describe(v: LVal): string {
  switch (v.kind) {
    case 'tensor':
      return `a tensor ${v.v.type.dtype}${shapeToString(v.v.type.shape)}`;
    case 'num':
      return v.isInt ? `the integer ${v.value}` : `the number ${v.value}`;
    case 'dim':
      return `the dimension ${v.dim}`;
    case 'bool':
      return `the boolean ${v.value}`;
    case 'str':
      return `the string "${v.value}"`;
    case 'sym':
      return `the name '${v.name}'`;
    case 'list':
      return `a list of ${v.items.length}`;
    case 'data':
      return `the data set ${v.spec.name}`;
    case 'optimizer':
      return `the optimizer ${v.spec.kind}`;
    case 'schedule':
      return `the schedule ${v.spec.kind}`;
    case 'clip':
      return 'a clipping rule';
    case 'metric':
      return `the metric ${v.name}`;
  }
}

/** A Dim from a num or dim value, else undefined. */
export function asDim(v: LVal): Dim | undefined {
  if (v.kind === 'num' && v.isInt) return v.value;
  if (v.kind === 'num' && Number.isInteger(v.value)) return v.value;
  if (v.kind === 'dim') return v.dim;
  return undefined;
}
