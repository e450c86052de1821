/**
 * The expression and type builders of the CST -> AST conversion (see
 * to-ast.ts): operator chains, pipes, postfix calls and indexing, literals.
 */
import type { CstNode, IToken } from 'chevrotain';
import type * as A from './ast.js';
import { joinSpans } from './span.js';
import * as T from './tokens.js';
import { CstReader } from './cst-reader.js';

export class ExprBuilder extends CstReader {
  // --------------------------------------------------------------- types

  protected typeExpr(n: CstNode | undefined): A.TypeExpr | undefined {
    if (!n) return undefined;
    if (n.children.tensorType) return this.tensorType(this.node(n, 'tensorType'));
    const s = this.node(n, 'scalarType');
    const t = s ? this.firstToken(s) : undefined;
    if (!t) return undefined;
    return { kind: 'ScalarType', name: t.image as A.ScalarType['name'], span: this.tokenSpan(t) };
  }

  protected tensorType(n: CstNode | undefined): A.TensorType | undefined {
    const dtype = this.token(n, 'DType');
    const span = this.cstSpan(n);
    if (!n || !dtype || !span || !this.token(n, 'RBracket')) return undefined;
    const dims: A.Expr[] = [];
    for (const d of this.nodes(n, 'expression')) {
      const e = this.expression(d);
      if (!e) return undefined;
      dims.push(e);
    }
    return { kind: 'TensorType', dtype: dtype.image as A.DTypeName, dims, span };
  }

  // --------------------------------------------------------- expressions

  /** Operators of a left-associative chain paired with their right operands, in source order. */
  protected chain(n: CstNode, operandKey: string, opKeys: string[]): { operands: CstNode[]; ops: IToken[] } {
    const ops = opKeys.flatMap((k) => this.tokens(n, k)).sort((a, b) => a.startOffset - b.startOffset);
    return { operands: this.nodes(n, operandKey), ops };
  }

  expression(n: CstNode | undefined): A.Expr | undefined {
    return this.binaryChain(n, 'andExpr', ['Kw_or'], (m) => this.andExpr(m));
  }

  protected andExpr(n: CstNode | undefined): A.Expr | undefined {
    return this.binaryChain(n, 'notExpr', ['Kw_and'], (m) => this.notExpr(m));
  }

  protected notExpr(n: CstNode | undefined): A.Expr | undefined {
    if (!n) return undefined;
    const op = this.token(n, 'Kw_not');
    if (op) {
      const operand = this.notExpr(this.node(n, 'notExpr'));
      if (!operand) return undefined;
      return { kind: 'Unary', op: 'not', operand, span: joinSpans(this.tokenSpan(op), operand.span) };
    }
    return this.comparison(this.node(n, 'comparison'));
  }

  /** `a < b`; a chain `a < b < c` is an error (it would compare a bool with c). */
  protected comparison(n: CstNode | undefined): A.Expr | undefined {
    if (!n) return undefined;
    const ops = this.tokens(n, 'Comparison');
    if (ops.length > 1) {
      const e = this.binaryChain(n, 'pipeline', ['Comparison'], (m) => this.pipeline(m));
      if (e && e.kind === 'Binary' && e.left.kind === 'Binary') {
        const first = e.left;
        this.error(
          e.opSpan,
          `comparisons do not chain: '${this.text(e.span)}' would compare the bool result of '${this.text(first.span)}'`,
          `combine two comparisons with 'and': '${this.text(first.span)} and ${this.text(first.right.span)} ${e.op} ${this.text(e.right.span)}'`,
        );
      }
      return undefined;
    }
    return this.binaryChain(n, 'pipeline', ['Comparison'], (m) => this.pipeline(m));
  }

  protected pipeline(n: CstNode | undefined): A.Expr | undefined {
    if (!n) return undefined;
    const { operands, ops } = this.chain(n, 'additive', ['PipeOp']);
    if (operands.length !== ops.length + 1) return undefined;
    let input = this.additive(operands[0]);
    for (let i = 0; i < ops.length; i++) {
      const right = this.additive(operands[i + 1]);
      if (!input || !right) return undefined;
      const target = this.pipeTarget(right, input);
      if (!target) return undefined;
      input = { kind: 'Pipe', input, target, span: joinSpans(input.span, target.span) };
    }
    return input;
  }

  protected pipeTarget(right: A.Expr, input: A.Expr): A.Call | undefined {
    if (right.kind === 'Call') return right;
    if (right.kind === 'Name') return { kind: 'Call', callee: right, args: [], span: right.span };
    let help: string | undefined;
    if (right.kind === 'Binary' || right.kind === 'Pipe') {
      // `x |> f + 1`: the user most likely meant `(x |> f) + 1`
      let head: A.Expr = right;
      while (head.kind === 'Binary') head = head.left;
      if (head.kind === 'Name' || head.kind === 'Call') {
        const rest = this.source.slice(head.span.endOffset, right.span.endOffset).trim();
        const inputText = input.span.endOffset - input.span.offset <= 30 ? this.text(input.span) : '...';
        help = `'|>' binds more loosely than arithmetic; to use the result of the pipe, wrap it in parentheses: '(${inputText} |> ${this.text(head.span)}) ${rest}'`;
      }
    }
    this.error(right.span, `the right side of '|>' must be a name or a call like 'relu' or 'dense(10)', found '${this.text(right.span)}'`, help);
    return undefined;
  }

  protected binaryChain(n: CstNode | undefined, operandKey: string, opKeys: string[], sub: (n: CstNode) => A.Expr | undefined): A.Expr | undefined {
    if (!n) return undefined;
    const { operands, ops } = this.chain(n, operandKey, opKeys);
    if (operands.length !== ops.length + 1) return undefined;
    let left = sub(operands[0]);
    for (let i = 0; i < ops.length; i++) {
      const right = sub(operands[i + 1]);
      if (!left || !right) return undefined;
      left = {
        kind: 'Binary',
        op: ops[i].image as A.BinaryOp,
        left,
        right,
        opSpan: this.tokenSpan(ops[i]),
        span: joinSpans(left.span, right.span),
      };
    }
    return left;
  }

  protected additive(n: CstNode | undefined): A.Expr | undefined {
    return this.binaryChain(n, 'multiplicative', ['Plus', 'Minus'], (m) => this.multiplicative(m));
  }

  protected multiplicative(n: CstNode | undefined): A.Expr | undefined {
    return this.binaryChain(n, 'unary', ['Star', 'Slash', 'At'], (u) => this.unary(u));
  }

  protected unary(n: CstNode | undefined): A.Expr | undefined {
    if (!n) return undefined;
    const op = this.token(n, 'Minus') ?? this.token(n, 'Plus');
    if (op) {
      const operand = this.unary(this.node(n, 'unary'));
      if (!operand) return undefined;
      return { kind: 'Unary', op: op.image as '-' | '+', operand, span: joinSpans(this.tokenSpan(op), operand.span) };
    }
    return this.power(this.node(n, 'power'));
  }

  protected power(n: CstNode | undefined): A.Expr | undefined {
    if (!n) return undefined;
    const base = this.postfix(this.node(n, 'postfix'));
    const op = this.token(n, 'StarStar');
    if (!op) return base;
    const exponent = this.unary(this.node(n, 'unary'));
    if (!base || !exponent) return undefined;
    return { kind: 'Binary', op: '**', left: base, right: exponent, opSpan: this.tokenSpan(op), span: joinSpans(base.span, exponent.span) };
  }

  protected postfix(n: CstNode | undefined): A.Expr | undefined {
    if (!n) return undefined;
    let expr = this.primary(this.node(n, 'primary'));
    const suffixes = [...this.nodes(n, 'indexSuffix'), ...this.nodes(n, 'memberSuffix')]
      .map((s) => ({ s, at: this.firstOffset(s) }))
      .sort((a, b) => a.at - b.at);
    for (const { s } of suffixes) {
      if (!expr) return undefined;
      const sSpan = this.cstSpan(s);
      if (!sSpan) return undefined;
      if (s.name === 'memberSuffix') {
        const property = this.name(this.token(s, 'AnyWord'));
        if (!property) return undefined;
        expr = { kind: 'Member', object: expr, property, span: joinSpans(expr.span, property.span) };
      } else {
        if (!this.token(s, 'RBracket')) return undefined;
        const items: A.IndexItem[] = [];
        for (const it of this.nodes(s, 'indexItem')) {
          const item = this.indexItem(it);
          if (!item) return undefined;
          items.push(item);
        }
        const span = joinSpans(expr.span, sSpan);
        if (items.length === 0) {
          this.error(sSpan, `an index needs at least one item, as in '${this.text(expr.span)}[0]'`);
          return undefined;
        }
        expr = { kind: 'Index', target: expr, items, span };
      }
    }
    return expr;
  }

  protected indexItem(n: CstNode): A.IndexItem | undefined {
    const startNode = this.node(n, 'start');
    const tail = this.node(n, 'sliceTail');
    const start = startNode ? this.expression(startNode) : undefined;
    if (startNode && !start) return undefined;
    if (!tail) return start;
    const span = this.cstSpan(n);
    if (!span || !this.token(tail, 'Colon')) return undefined;
    const slice: A.SliceItem = { kind: 'Slice', span };
    if (start) slice.start = start;
    const endNode = this.node(tail, 'end');
    if (endNode) {
      const end = this.expression(endNode);
      if (!end) return undefined;
      slice.end = end;
    }
    const stepNode = this.node(tail, 'step');
    if (stepNode) {
      const step = this.expression(stepNode);
      if (!step) return undefined;
      slice.step = step;
    }
    return slice;
  }

  protected primary(n: CstNode | undefined): A.Expr | undefined {
    if (!n) return undefined;
    const num = this.token(n, 'NumberLiteral');
    if (num) return { kind: 'Number', value: Number(num.image), isInt: /^\d+$/.test(num.image), span: this.tokenSpan(num) };
    const str = this.token(n, 'StringLiteral');
    if (str) return { kind: 'String', value: unescape(str.image), span: this.tokenSpan(str) };
    const bool = this.token(n, T.True.name) ?? this.token(n, T.False.name);
    if (bool) return { kind: 'Bool', value: bool.image === 'true', span: this.tokenSpan(bool) };
    if (n.children.nameOrCall) return this.nameOrCall(this.node(n, 'nameOrCall'));
    if (n.children.parenExpr) {
      const p = this.node(n, 'parenExpr');
      const inner = this.expression(this.node(p, 'expression'));
      const span = this.cstSpan(p);
      if (!inner || !span || !this.token(p, 'RParen')) return undefined;
      // the parentheses belong to the expression's span
      return { ...inner, span };
    }
    if (n.children.listExpr) {
      const l = this.node(n, 'listExpr');
      const span = this.cstSpan(l);
      if (!l || !span || !this.token(l, 'RBracket')) return undefined;
      const items: A.Expr[] = [];
      for (const e of this.nodes(l, 'expression')) {
        const item = this.expression(e);
        if (!item) return undefined;
        items.push(item);
      }
      return { kind: 'List', items, span };
    }
    return undefined;
  }

  protected nameOrCall(n: CstNode | undefined): A.Expr | undefined {
    const callee = this.name(this.token(n, 'Identifier'));
    if (!n || !callee) return undefined;
    if (!n.children.LParen) return callee;
    const span = this.cstSpan(n);
    if (!span || !this.token(n, 'RParen')) return undefined;
    const args: A.Arg[] = [];
    for (const a of this.nodes(n, 'arg')) {
      const argName = this.name(this.token(a, 'argName'));
      const value = this.expression(this.node(a, 'expression'));
      const aSpan = this.cstSpan(a);
      if (!value || !aSpan) return undefined;
      args.push(argName ? { name: argName, value, span: aSpan } : { value, span: aSpan });
    }
    return { kind: 'Call', callee, args, span };
  }
}

function unescape(image: string): string {
  const body = image.slice(1, -1);
  return body.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c));
}
