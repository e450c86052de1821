/**
 * Turns the concrete syntax tree of grammar/parser.ts into the typed AST of
 * grammar/ast.ts, with a span on every node.
 *
 * The CST may be partial: with error recovery the parser returns nodes that
 * stop where the error was. Every builder here returns `undefined` for a node
 * it cannot complete, and its parent drops it (a statement, an item) or gives
 * up too (an expression). A syntax error has already been reported for every
 * hole, so nothing is reported for the dropped node.
 *
 * A few rules the grammar leaves loose are checked here, with a diagnostic:
 * the right side of `|>` must be a name or a call, and an index `x[]` needs
 * at least one item.
 */
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type * as A from './ast.js';
import { joinSpans, type Span } from './span.js';
import * as T from './tokens.js';
import { makeDiagnostic, type Diagnostic } from '../compiler/diagnostics.js';

type Children = Record<string, CstElement[] | undefined>;

/** The source extent of a CST node, cached on the node itself. */
const extentKey = Symbol('extent');
type WithExtent = CstNode & { [extentKey]?: [number, number] | null };

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined && (e as IToken).tokenType !== undefined;
}

/** A token the lexer produced (not one invented by error recovery). */
function isRealToken(t: IToken): boolean {
  return !t.isInsertedInRecovery && Number.isFinite(t.startOffset);
}

export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];
  /** tokens a body skipped because no statement starts with them (reported by the caller) */
  readonly strays: IToken[] = [];
  /** offsets where each line starts, for spans computed from offsets */
  private readonly lineStarts: number[] = [0];

  constructor(
    private readonly source: string,
    private readonly file: string,
  ) {
    for (let i = 0; i < source.length; i++) if (source[i] === '\n') this.lineStarts.push(i + 1);
  }

  // ------------------------------------------------------------- helpers

  private tokens(node: CstNode | undefined, key: string): IToken[] {
    const list = node?.children[key];
    if (!list) return [];
    return list.filter((e): e is IToken => isToken(e) && isRealToken(e));
  }

  private token(node: CstNode | undefined, key: string): IToken | undefined {
    return this.tokens(node, key)[0];
  }

  private nodes(node: CstNode | undefined, key: string): CstNode[] {
    const list = node?.children[key];
    if (!list) return [];
    return list.filter((e): e is CstNode => !isToken(e));
  }

  private node(node: CstNode | undefined, key: string): CstNode | undefined {
    return this.nodes(node, key)[0];
  }

  /** [first offset, end offset] of the real tokens under a node (memoized), or null when it has none. */
  private extent(node: CstNode): [number, number] | null {
    const known = (node as WithExtent)[extentKey];
    if (known !== undefined) return known;
    let start = Infinity;
    let end = -Infinity;
    for (const list of Object.values(node.children as Children)) {
      for (const e of list ?? []) {
        if (isToken(e)) {
          if (!isRealToken(e)) continue;
          start = Math.min(start, e.startOffset);
          end = Math.max(end, (e.endOffset ?? e.startOffset) + 1);
        } else {
          const x = this.extent(e);
          if (x) {
            start = Math.min(start, x[0]);
            end = Math.max(end, x[1]);
          }
        }
      }
    }
    const result: [number, number] | null = Number.isFinite(start) ? [start, end] : null;
    (node as WithExtent)[extentKey] = result;
    return result;
  }

  private firstOffset(node: CstNode): number {
    return this.extent(node)?.[0] ?? Infinity;
  }

  /** The first real token under a node. */
  private firstToken(node: CstNode): IToken | undefined {
    let best: IToken | undefined;
    for (const list of Object.values(node.children as Children)) {
      for (const e of list ?? []) {
        const t = isToken(e) ? (isRealToken(e) ? e : undefined) : this.firstToken(e);
        if (t && (!best || t.startOffset < best.startOffset)) best = t;
      }
    }
    return best;
  }

  private offsetSpan(start: number, end: number): Span {
    const pos = (offset: number): [number, number] => {
      let lo = 0;
      let hi = this.lineStarts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (this.lineStarts[mid] <= offset) lo = mid;
        else hi = mid - 1;
      }
      return [lo + 1, offset - this.lineStarts[lo] + 1];
    };
    const [line, col] = pos(start);
    const [endLine, endCol] = pos(end);
    return { file: this.file, line, col, endLine, endCol, offset: start, endOffset: end };
  }

  tokenSpan(t: IToken): Span {
    return this.offsetSpan(t.startOffset, (t.endOffset ?? t.startOffset) + 1);
  }

  /** The span of all real tokens under a node, or undefined when it has none. */
  private cstSpan(node: CstNode | undefined): Span | undefined {
    const x = node && this.extent(node);
    return x ? this.offsetSpan(x[0], x[1]) : undefined;
  }

  private name(t: IToken | undefined): A.Name | undefined {
    if (!t) return undefined;
    return { kind: 'Name', name: t.image, span: this.tokenSpan(t) };
  }

  private error(span: Span, message: string, help?: string): void {
    this.diagnostics.push(makeDiagnostic('DNN0002', span, { message }, help ? { help } : {}));
  }

  private text(span: Span): string {
    return this.source.slice(span.offset, span.endOffset);
  }

  // ----------------------------------------------------------- top level

  program(cst: CstNode | undefined): A.Program {
    const items: A.Item[] = [];
    for (const n of this.nodes(cst, 'item')) {
      const item = this.item(n);
      if (item) items.push(item);
    }
    return { kind: 'Program', items, span: this.offsetSpan(0, this.source.length) };
  }

  private item(n: CstNode): A.Item | undefined {
    const c = n.children;
    if (c.modelDecl) return this.modelDecl(this.node(n, 'modelDecl'));
    if (c.blockDecl) return this.blockDecl(this.node(n, 'blockDecl'));
    if (c.trainDecl) return this.trainDecl(this.node(n, 'trainDecl'));
    if (c.paramDecl) return this.paramDecl(this.node(n, 'paramDecl'));
    if (c.constDecl) return this.constDecl(this.node(n, 'constDecl'));
    return undefined;
  }

  private modelDecl(n: CstNode | undefined): A.ModelDecl | undefined {
    const name = this.name(this.token(n, 'Identifier'));
    const span = this.cstSpan(n);
    if (!n || !name || !span) return undefined;
    return { kind: 'Model', name, body: this.body(this.node(n, 'body')), span };
  }

  private blockDecl(n: CstNode | undefined): A.BlockDecl | undefined {
    const name = this.name(this.token(n, 'Identifier'));
    const span = this.cstSpan(n);
    if (!n || !name || !span) return undefined;
    const params: A.BlockParam[] = [];
    for (const p of this.nodes(n, 'blockParam')) {
      const param = this.blockParam(p);
      if (param) params.push(param);
    }
    const decl: A.BlockDecl = { kind: 'Block', name, params, body: this.body(this.node(n, 'body')), span };
    if (this.token(n, 'Arrow')) {
      const returns = this.typeExpr(this.node(n, 'typeExpr'));
      if (returns) decl.returns = returns;
    }
    return decl;
  }

  private blockParam(n: CstNode): A.BlockParam | undefined {
    const name = this.name(this.token(n, 'Identifier'));
    const type = this.typeExpr(this.node(n, 'typeExpr'));
    const span = this.cstSpan(n);
    if (!name || !type || !span) return undefined;
    const param: A.BlockParam = { name, type, span };
    if (this.token(n, 'Equals')) {
      const value = this.expression(this.node(n, 'expression'));
      if (!value) return undefined;
      param.default = value;
    }
    return param;
  }

  private trainDecl(n: CstNode | undefined): A.TrainDecl | undefined {
    const name = this.name(this.token(n, 'Identifier'));
    const span = this.cstSpan(n);
    if (!n || !name || !span) return undefined;
    const on = this.onClause(this.node(n, 'onClause'));
    const body = this.body(this.node(n, 'body'));
    return on ? { kind: 'Train', name, on, body, span } : { kind: 'Train', name, body, span };
  }

  private onClause(n: CstNode | undefined): A.Name[] | undefined {
    if (!n) return undefined;
    const names = this.tokens(n, 'Identifier').map((t) => this.name(t)!);
    return names.length ? names : undefined;
  }

  private body(n: CstNode | undefined): A.Stmt[] {
    this.strays.push(...this.tokens(n, 'Stray'));
    const out: A.Stmt[] = [];
    for (const s of this.nodes(n, 'statement')) {
      const stmt = this.statement(s);
      if (stmt) out.push(stmt);
    }
    return out;
  }

  private definitions(n: CstNode | undefined): A.Definition[] {
    const out: A.Definition[] = [];
    for (const d of this.nodes(n, 'definition')) {
      const name = this.name(this.token(d, 'Identifier'));
      const value = this.expression(this.node(d, 'expression'));
      const span = this.cstSpan(d);
      if (name && value && span) out.push({ name, value, span });
    }
    return out;
  }

  private paramDecl(n: CstNode | undefined): A.ParamDecl | undefined {
    const span = this.cstSpan(n);
    const entries = this.definitions(n);
    if (!span || entries.length === 0) return undefined;
    return { kind: 'Param', entries, span };
  }

  private constDecl(n: CstNode | undefined): A.ConstDecl | undefined {
    const span = this.cstSpan(n);
    const entries = this.definitions(n);
    if (!span || entries.length === 0) return undefined;
    return { kind: 'Const', entries, span };
  }

  // ---------------------------------------------------------- statements

  private statement(n: CstNode): A.Stmt | undefined {
    const [inner] = Object.values(n.children as Children)
      .flat()
      .filter((e): e is CstNode => e !== undefined && !isToken(e));
    if (!inner) return undefined;
    switch (inner.name) {
      case 'inputDecl':
      case 'outputDecl': {
        const name = this.name(this.token(inner, 'Identifier'));
        const type = this.tensorType(this.node(inner, 'tensorType'));
        const span = this.cstSpan(inner);
        if (!name || !type || !span) return undefined;
        return { kind: inner.name === 'inputDecl' ? 'Input' : 'Output', name, type, span };
      }
      case 'paramDecl':
        return this.paramDecl(inner);
      case 'constDecl':
        return this.constDecl(inner);
      case 'repeatStmt': {
        const count = this.expression(this.node(inner, 'expression'));
        const span = this.cstSpan(inner);
        if (!count || !span) return undefined;
        const stmt: A.Repeat = { kind: 'Repeat', count, body: this.body(this.node(inner, 'body')), span };
        if (this.token(inner, T.As.name)) {
          const as = this.name(this.token(inner, 'Identifier'));
          if (!as) return undefined;
          stmt.as = as;
        }
        return stmt;
      }
      case 'returnStmt': {
        const value = this.expression(this.node(inner, 'expression'));
        const span = this.cstSpan(inner);
        if (!value || !span) return undefined;
        return { kind: 'Return', value, span };
      }
      case 'stepStmt': {
        const name = this.name(this.token(inner, 'Identifier'));
        const span = this.cstSpan(inner);
        if (!name || !span) return undefined;
        return { kind: 'Step', name, body: this.body(this.node(inner, 'body')), span };
      }
      case 'syncStmt':
        return this.syncStmt(inner);
      case 'nameStmt':
        return this.nameStmt(inner);
      default:
        return undefined;
    }
  }

  private syncStmt(n: CstNode): A.Sync | undefined {
    const from = this.name(this.token(n, 'from'));
    const to = this.name(this.token(n, 'to'));
    const span = this.cstSpan(n);
    if (!from || !to || !span) return undefined;
    const stmt: A.Sync = { kind: 'Sync', from, to, span };
    if (this.token(n, T.Every.name)) {
      const every = this.expression(this.node(n, 'every'));
      if (!every) return undefined;
      stmt.every = every;
    }
    if (this.token(n, T.Tau.name)) {
      const tau = this.expression(this.node(n, 'tau'));
      if (!tau) return undefined;
      stmt.tau = tau;
    }
    return stmt;
  }

  private nameStmt(n: CstNode): A.Stmt | undefined {
    const target = this.name(this.token(n, 'Identifier'));
    const span = this.cstSpan(n);
    if (!target || !span) return undefined;
    if (this.token(n, 'Colon') && n.children.tensorType) {
      const type = this.tensorType(this.node(n, 'tensorType'));
      if (!type) return undefined;
      return { kind: 'TrainInput', name: target, type, span };
    }
    if (!this.token(n, 'Equals') && !this.token(n, 'Colon')) return undefined;
    const value = this.expression(this.node(n, 'expression'));
    if (!value) return undefined;
    const stmt: A.Binding = { kind: 'Binding', target, value, span };
    const onNode = this.node(n, 'onClause');
    if (onNode) {
      const on = this.onClause(onNode);
      if (!on) return undefined;
      stmt.on = on;
    }
    return stmt;
  }

  // --------------------------------------------------------------- types

  private typeExpr(n: CstNode | undefined): A.TypeExpr | undefined {
    if (!n) return undefined;
    if (n.children.tensorType) return this.tensorType(this.node(n, 'tensorType'));
    const s = this.node(n, 'scalarType');
    const t = s ? this.firstToken(s) : undefined;
    if (!t) return undefined;
    return { kind: 'ScalarType', name: t.image as A.ScalarType['name'], span: this.tokenSpan(t) };
  }

  private tensorType(n: CstNode | undefined): A.TensorType | undefined {
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
  private chain(n: CstNode, operandKey: string, opKeys: string[]): { operands: CstNode[]; ops: IToken[] } {
    const ops = opKeys.flatMap((k) => this.tokens(n, k)).sort((a, b) => a.startOffset - b.startOffset);
    return { operands: this.nodes(n, operandKey), ops };
  }

  expression(n: CstNode | undefined): A.Expr | undefined {
    return this.binaryChain(n, 'andExpr', ['Kw_or'], (m) => this.andExpr(m));
  }

  private andExpr(n: CstNode | undefined): A.Expr | undefined {
    return this.binaryChain(n, 'notExpr', ['Kw_and'], (m) => this.notExpr(m));
  }

  private notExpr(n: CstNode | undefined): A.Expr | undefined {
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
  private comparison(n: CstNode | undefined): A.Expr | undefined {
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

  private pipeline(n: CstNode | undefined): A.Expr | undefined {
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

  private pipeTarget(right: A.Expr, input: A.Expr): A.Call | undefined {
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

  private binaryChain(n: CstNode | undefined, operandKey: string, opKeys: string[], sub: (n: CstNode) => A.Expr | undefined): A.Expr | undefined {
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

  private additive(n: CstNode | undefined): A.Expr | undefined {
    return this.binaryChain(n, 'multiplicative', ['Plus', 'Minus'], (m) => this.multiplicative(m));
  }

  private multiplicative(n: CstNode | undefined): A.Expr | undefined {
    return this.binaryChain(n, 'unary', ['Star', 'Slash', 'At'], (u) => this.unary(u));
  }

  private unary(n: CstNode | undefined): A.Expr | undefined {
    if (!n) return undefined;
    const op = this.token(n, 'Minus') ?? this.token(n, 'Plus');
    if (op) {
      const operand = this.unary(this.node(n, 'unary'));
      if (!operand) return undefined;
      return { kind: 'Unary', op: op.image as '-' | '+', operand, span: joinSpans(this.tokenSpan(op), operand.span) };
    }
    return this.power(this.node(n, 'power'));
  }

  private power(n: CstNode | undefined): A.Expr | undefined {
    if (!n) return undefined;
    const base = this.postfix(this.node(n, 'postfix'));
    const op = this.token(n, 'StarStar');
    if (!op) return base;
    const exponent = this.unary(this.node(n, 'unary'));
    if (!base || !exponent) return undefined;
    return { kind: 'Binary', op: '**', left: base, right: exponent, opSpan: this.tokenSpan(op), span: joinSpans(base.span, exponent.span) };
  }

  private postfix(n: CstNode | undefined): A.Expr | undefined {
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

  private indexItem(n: CstNode): A.IndexItem | undefined {
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

  private primary(n: CstNode | undefined): A.Expr | undefined {
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

  private nameOrCall(n: CstNode | undefined): A.Expr | undefined {
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
