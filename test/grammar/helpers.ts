/** Shared helpers of the grammar tests. */
import { parse } from '../../grammar/index.js';
import type { Expr, IndexItem, Stmt } from '../../grammar/ast.js';

/** Parses `src` as the body of a model and returns its statements (asserting no diagnostics). */
export function stmts(body: string): Stmt[] {
  const { program, diagnostics } = parse(`model M {\n${body}\n}`, 't.dnn');
  if (diagnostics.length) throw new Error(`unexpected diagnostics: ${diagnostics.map((d) => d.message).join('; ')}`);
  const m = program.items[0];
  if (!m || m.kind !== 'Model') throw new Error('no model');
  return m.body;
}

/** The value of `x = <src>` as an expression. */
export function expr(src: string): Expr {
  const [s] = stmts(`x = ${src}`);
  if (!s || s.kind !== 'Binding') throw new Error('not a binding');
  return s.value;
}

/** A compact s-expression form of an expression, for precedence tests. */
export function sx(e: Expr | IndexItem): string {
  switch (e.kind) {
    case 'Number':
      return String(e.value);
    case 'String':
      return JSON.stringify(e.value);
    case 'Bool':
      return String(e.value);
    case 'Name':
      return e.name;
    case 'Call':
      return `${e.callee.name}(${e.args.map((a) => (a.name ? `${a.name.name}: ` : '') + sx(a.value)).join(', ')})`;
    case 'Pipe':
      return `(|> ${sx(e.input)} ${sx(e.target)})`;
    case 'Binary':
      return `(${e.op} ${sx(e.left)} ${sx(e.right)})`;
    case 'Unary':
      return `(${e.op} ${sx(e.operand)})`;
    case 'Index':
      return `${sx(e.target)}[${e.items.map(sx).join(', ')}]`;
    case 'Member':
      return `${sx(e.object)}.${e.property.name}`;
    case 'List':
      return `[${e.items.map(sx).join(', ')}]`;
    case 'Slice':
      return `${e.start ? sx(e.start) : ''}:${e.end ? sx(e.end) : ''}${e.step ? `:${sx(e.step)}` : ''}`;
  }
}
