/**
 * Generated CPU kernels as TypeScript that passes `--strict
 * --noUncheckedIndexedAccess`. Under that flag every typed-array read
 * (`in0[i]`) and every `dims.B` is `number | undefined`; the kernels only
 * read inside the bounds their shapes give, so each such read is asserted
 * (`in0[i]!`). The assertions are types only: the JS that runs is the same.
 *
 * Algorithm: parse the kernel's text; collect every element access and every
 * `dims.X` read that is neither already asserted nor the target of a plain
 * `=` (writes need no assertion); insert `!` at the end of each.
 *
 *   out0[o++] = in0[s + d] * dims.B;   →   out0[o++] = in0[s + d]! * dims.B!;
 */
import { ts } from 'ts-morph';

const isPlainAssignmentTarget = (node: ts.Node): boolean => {
  const parent = node.parent;
  return ts.isBinaryExpression(parent) && parent.left === node && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken;
};

const needsAssertion = (node: ts.Node): boolean => {
  const isRead =
    ts.isElementAccessExpression(node) || (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'dims');
  return isRead && !ts.isNonNullExpression(node.parent) && !isPlainAssignmentTarget(node);
};

/** The kernel text with `!` after each indexed read (see the file comment). */
export function assertIndexedReads(text: string): string {
  const file = ts.createSourceFile('kernel.ts', text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const ends: number[] = [];
  const visit = (node: ts.Node): void => {
    if (needsAssertion(node)) ends.push(node.getEnd());
    ts.forEachChild(node, visit);
  };
  visit(file);
  ends.sort((a, b) => a - b);
  const pieces: string[] = [];
  let from = 0;
  for (const end of ends) {
    pieces.push(text.slice(from, end), '!');
    from = end;
  }
  pieces.push(text.slice(from));
  return pieces.join('');
}
