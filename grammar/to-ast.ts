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
import type { CstNode } from 'chevrotain';
import type * as A from './ast.js';
import * as T from './tokens.js';
import { isToken, type Children } from './cst-reader.js';
import { ExprBuilder } from './to-ast-expr.js';

/** Items and statements; expressions and types are ExprBuilder's, CST access CstReader's (cst-reader.ts). */
export class AstBuilder extends ExprBuilder {
  // ----------------------------------------------------------- top level

  program(cst: CstNode | undefined): A.Program {
    const items: A.Item[] = [];
    for (const n of this.nodes(cst, 'item')) {
      const item = this.item(n);
      if (item) items.push(item);
    }
    return { kind: 'Program', items, span: this.offsetSpan(0, this.source.length) };
  }

  protected item(n: CstNode): A.Item | undefined {
    const c = n.children;
    if (c.modelDecl) return this.modelDecl(this.node(n, 'modelDecl'));
    if (c.blockDecl) return this.blockDecl(this.node(n, 'blockDecl'));
    if (c.trainDecl) return this.trainDecl(this.node(n, 'trainDecl'));
    if (c.paramDecl) return this.paramDecl(this.node(n, 'paramDecl'));
    if (c.constDecl) return this.constDecl(this.node(n, 'constDecl'));
    return undefined;
  }

  protected modelDecl(n: CstNode | undefined): A.ModelDecl | undefined {
    const name = this.name(this.token(n, 'Identifier'));
    const span = this.cstSpan(n);
    if (!n || !name || !span) return undefined;
    return { kind: 'Model', name, body: this.body(this.node(n, 'body')), span };
  }

  protected blockDecl(n: CstNode | undefined): A.BlockDecl | undefined {
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

  protected blockParam(n: CstNode): A.BlockParam | undefined {
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

  protected trainDecl(n: CstNode | undefined): A.TrainDecl | undefined {
    const name = this.name(this.token(n, 'Identifier'));
    const span = this.cstSpan(n);
    if (!n || !name || !span) return undefined;
    const on = this.onClause(this.node(n, 'onClause'));
    const body = this.body(this.node(n, 'body'));
    return on ? { kind: 'Train', name, on, body, span } : { kind: 'Train', name, body, span };
  }

  protected onClause(n: CstNode | undefined): A.Name[] | undefined {
    if (!n) return undefined;
    const names = this.tokens(n, 'Identifier').map((t) => this.name(t)!);
    return names.length ? names : undefined;
  }

  protected body(n: CstNode | undefined): A.Stmt[] {
    this.strays.push(...this.tokens(n, 'Stray'));
    const out: A.Stmt[] = [];
    for (const s of this.nodes(n, 'statement')) {
      const stmt = this.statement(s);
      if (stmt) out.push(stmt);
    }
    return out;
  }

  protected definitions(n: CstNode | undefined): A.Definition[] {
    const out: A.Definition[] = [];
    for (const d of this.nodes(n, 'definition')) {
      const name = this.name(this.token(d, 'Identifier'));
      const value = this.expression(this.node(d, 'expression'));
      const span = this.cstSpan(d);
      if (name && value && span) out.push({ name, value, span });
    }
    return out;
  }

  protected paramDecl(n: CstNode | undefined): A.ParamDecl | undefined {
    const span = this.cstSpan(n);
    const entries = this.definitions(n);
    if (!span || entries.length === 0) return undefined;
    return { kind: 'Param', entries, span };
  }

  protected constDecl(n: CstNode | undefined): A.ConstDecl | undefined {
    const span = this.cstSpan(n);
    const entries = this.definitions(n);
    if (!span || entries.length === 0) return undefined;
    return { kind: 'Const', entries, span };
  }

  // ---------------------------------------------------------- statements

  protected statement(n: CstNode): A.Stmt | undefined {
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

  protected syncStmt(n: CstNode): A.Sync | undefined {
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

  protected nameStmt(n: CstNode): A.Stmt | undefined {
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
}
