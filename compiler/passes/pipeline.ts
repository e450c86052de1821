/**
 * The optimisation pipeline run on every entry graph: inference, constant
 * folding, CSE and DCE, to a fixed point. `verify` (tests) checks the IR
 * after every pass and throws naming the pass that broke it.
 */
import type { Graph } from '../ir.js';
import { verifyGraph } from '../verify.js';
import { eliminateCommonSubexpressions } from './cse.js';
import { eliminateDeadCode } from './dce.js';
import { foldConstants } from './fold.js';
import { inferTypes } from './infer.js';

export interface PipelineOptions {
  verify?: boolean;
}

export function optimizeGraph(g: Graph, options: PipelineOptions = {}): void {
  const check = (pass: string) => {
    if (!options.verify) return;
    const problems = verifyGraph(g);
    if (problems.length) throw new Error(`IR invalid after ${pass} on ${g.name}:\n  ${problems.join('\n  ')}`);
  };
  check('lowering');
  inferTypes(g);
  check('infer');
  for (let round = 0; round < 4; round++) {
    const f = foldConstants(g);
    check('fold');
    const c = eliminateCommonSubexpressions(g);
    check('cse');
    const d = eliminateDeadCode(g);
    check('dce');
    if (f + c + d === 0) break;
  }
}
