/**
 * Parameter naming: the path of a layer instance in the current scope
 * (`Model.dense_1`, or `Model.fc1` for name: fc1) and the trainable
 * parameters under it, shared where a named layer or a model is used again.
 */
import type { Span } from '../../grammar/span.js';
import { shapeToString } from '../dims.js';
import type { InitSpec, Value } from '../ir.js';
import { formatLimit, MAX_PARAM_ELEMENTS, staticElements } from '../limits.js';
import type { LowerContext } from './context.js';

export function layerPath(lw: LowerContext, layer: string, explicit?: string): string {
  const scope = lw.scopes[lw.scopes.length - 1];
  if (explicit) return `${scope.path}.${explicit}`;
  const n = (scope.counters.get(layer) ?? 0) + 1;
  scope.counters.set(layer, n);
  return `${scope.path}.${layer}_${n}`;
}

export function param(lw: LowerContext, path: string, shape: number[], init: InitSpec, explicit: boolean, span: Span): Value {
  const prev = lw.paramValues.get(path);
  if (prev && lw.sharedParams) {
    if (prev.shape.length === shape.length && prev.shape.every((d, i) => d === shape[i])) return prev.value;
  }
  if (prev) {
    if (prev.explicit && explicit && prev.shape.length === shape.length && prev.shape.every((d, i) => d === shape[i])) return prev.value;
    lw.fail('DNN0016', span, { name: path }, prev.explicit ? `a layer named again shares its weights only when the shapes agree: ${shapeToString(prev.shape)} vs ${shapeToString(shape)}` : undefined);
  }
  lw.checkShape(shape, span, `the parameter ${path}`);
  const total = lw.paramElements + staticElements(shape);
  if (total > MAX_PARAM_ELEMENTS)
    lw.fail('DNN0033', span, { message: `the parameter ${path} ${shapeToString(shape)} brings the model to ${total.toLocaleString('en-US')} parameters, above the limit of ${formatLimit(MAX_PARAM_ELEMENTS)}` });
  lw.paramElements = total;
  const value = lw.b.param(path, 'f32', shape, init);
  value.name = path;
  lw.paramValues.set(path, { value, shape, explicit });
  lw.paramSpecs.push({ path, dtype: 'f32', shape, init });
  return value;
}
