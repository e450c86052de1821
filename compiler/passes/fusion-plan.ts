/** The result of the fusion pass (fuse.ts): groups of nodes that become one kernel each, and why groups are split. */
import type { Node, Value } from '../ir.js';

export type GroupKind = 'elementwise' | 'epilogue' | 'reduce' | 'view' | 'single' | 'multi';

export interface FusedGroup {
  id: number;
  /** the group's nodes in topological order */
  nodes: Node[];
  /** the op that determines the kernel template (matmul, a reduction, or the last elementwise op) */
  anchor: Node;
  kind: GroupKind;
  /** values read from outside the group */
  inputs: Value[];
  /** values used outside the group (or graph outputs/updates) */
  outputs: Value[];
  /**
   * kind 'multi': the same elementwise update applied to several tensors in
   * one kernel (the optimizer step of every parameter); each member is one
   * such chain, `nodes`/`inputs`/`outputs` are the members' concatenated
   */
  members?: FusedGroup[];
}

export interface Boundary {
  from: number;
  to: number;
  value: Value;
  reason: string;
}

export interface FusionPlan {
  groups: FusedGroup[];
  boundaries: Boundary[];
  /** groups that need a kernel launch (views and leaves excluded) */
  dispatches: number;
}
