/** Lexical environments for lowering: name -> value, with a parent chain. */
import type { Span } from '../../grammar/span.js';
import type { LVal } from './values.js';

export class Env {
  private readonly vars = new Map<string, { value: LVal; span: Span }>();
  /** names whose defining statement failed: uses abort silently instead of cascading */
  private readonly poisoned = new Set<string>();

  constructor(readonly parent?: Env) {}

  set(name: string, value: LVal, span: Span): void {
    this.vars.set(name, { value, span });
    this.poisoned.delete(name);
  }

  poison(name: string): void {
    this.poisoned.add(name);
  }

  lookup(name: string): { value: LVal; span: Span } | 'poisoned' | undefined {
    if (this.poisoned.has(name)) return 'poisoned';
    return this.vars.get(name) ?? this.parent?.lookup(name);
  }

  /** whether the name is defined in this very environment (not a parent) */
  hasOwn(name: string): boolean {
    return this.vars.has(name);
  }

  names(): string[] {
    return [...this.vars.keys(), ...(this.parent?.names() ?? [])];
  }
}
