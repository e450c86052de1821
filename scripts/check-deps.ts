/**
 * The dependency check of the source tree: no import cycles, and imports
 * that point one way, grammar → compiler → codegen → runtime.
 *
 * Every relative import of every .ts file under the source folders is read
 * with the TypeScript parser (ts-morph's bundled `ts`, already a dependency:
 * the module emitter uses it), so `import`, `export ... from`, `import type`
 * and `import('...')` are told apart exactly, with no regular expressions.
 *
 * - cycles: the strongly connected components of the static import graph
 *   (type-only imports included: a cycle of types is a cycle of design too;
 *   dynamic `import()` left out: it is a deliberate lazy edge). Any component
 *   of more than one file, or a file that imports itself, is an error.
 * - layers: the rules in LAYER_RULES below.
 *
 * `node --import tsx scripts/check-deps.ts` prints the problems and exits 1
 * when there are any; test/package/deps.test.ts runs the same check.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ts } from 'ts-morph';

/** The folders whose .ts files are checked (relative to the repository root). */
export const SOURCE_DIRS = ['grammar', 'compiler', 'codegen', 'runtime', 'cli', 'interop', 'examples', 'bench', 'scripts'];

export type ImportKind = 'value' | 'type' | 'dynamic';

export interface ImportEdge {
  from: string;
  to: string;
  kind: ImportKind;
}

/**
 * One layering rule: files under `from` must not import files under any of
 * `notTo`; `typesAllowed` lets type-only imports through (types are erased,
 * so they add no code to the lower layer's bundle).
 */
export interface LayerRule {
  from: string;
  notTo: string[];
  typesAllowed?: boolean;
  /** files under `from` the rule does not cover, each with its reason */
  except?: Record<string, string>;
  why: string;
}

export const LAYER_RULES: LayerRule[] = [
  { from: 'grammar/', notTo: ['compiler/', 'codegen/', 'runtime/', 'cli/', 'interop/'], why: 'the grammar is the bottom layer' },
  { from: 'compiler/', notTo: ['codegen/', 'cli/', 'interop/'], why: 'the compiler (ir, op semantics, passes) knows no backend' },
  { from: 'compiler/', notTo: ['runtime/'], typesAllowed: true, why: 'the compiler does not run models' },
  { from: 'codegen/', notTo: ['cli/', 'interop/'], why: 'code generators are below the command line' },
  {
    from: 'codegen/',
    notTo: ['runtime/'],
    typesAllowed: true,
    except: { 'codegen/entry.ts': "the 'dnnc/compiler' entry point: compiles a source and instantiates it with the runtime, so it sits above both" },
    why: 'code generators emit code for the runtime, they do not run it',
  },
  { from: 'runtime/', notTo: ['grammar/', 'codegen/', 'cli/', 'interop/'], why: 'the runtime ships without the parser and the code generators' },
];

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function listTs(dir: string, out: string[]): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) listTs(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
}

/** `./x.js` from `dir` → the .ts file it names (x.ts, x.tsx, x/index.ts), or undefined when not a source file here. */
function resolveSpecifier(fromFile: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(fromFile), spec);
  const stem = base.replace(/\.(m?js|ts)$/, '');
  for (const cand of [`${stem}.ts`, `${stem}/index.ts`, base]) if (existsSync(cand) && statSync(cand).isFile() && cand.endsWith('.ts')) return cand;
  return undefined;
}

/** The relative imports of one file, with their kinds. */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): { spec: string; kind: ImportKind }[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: { spec: string; kind: ImportKind }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      let typeOnly = false;
      if (c) {
        if (c.isTypeOnly) typeOnly = true;
        else if (!c.name && c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0)
          typeOnly = c.namedBindings.elements.every((e) => e.isTypeOnly);
      }
      out.push({ spec: node.moduleSpecifier.text, kind: typeOnly ? 'type' : 'value' });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      let typeOnly = node.isTypeOnly;
      if (!typeOnly && node.exportClause && ts.isNamedExports(node.exportClause) && node.exportClause.elements.length > 0)
        typeOnly = node.exportClause.elements.every((e) => e.isTypeOnly);
      out.push({ spec: node.moduleSpecifier.text, kind: typeOnly ? 'type' : 'value' });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const a = node.arguments[0];
      if (a && ts.isStringLiteralLike(a)) out.push({ spec: a.text, kind: 'dynamic' });
    } else if (ts.isImportTypeNode(node)) {
      const a = node.argument;
      if (ts.isLiteralTypeNode(a) && ts.isStringLiteral(a.literal)) out.push({ spec: a.literal.text, kind: 'type' });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Every import edge between source files (paths relative to the root, with '/'). */
export function importGraph(root = ROOT, dirs = SOURCE_DIRS): { files: string[]; edges: ImportEdge[] } {
  const abs: string[] = [];
  for (const d of dirs) listTs(join(root, d), abs);
  const rel = (p: string) => relative(root, p).split(sep).join('/');
  const edges: ImportEdge[] = [];
  for (const f of abs)
    for (const imp of importsOf(f)) {
      const target = resolveSpecifier(f, imp.spec);
      if (target) edges.push({ from: rel(f), to: rel(target), kind: imp.kind });
    }
  return { files: abs.map(rel).sort(), edges };
}

/** Strongly connected components with a cycle (more than one file, or a self-import), each sorted, largest first. */
export function cycles(files: string[], edges: ImportEdge[]): string[][] {
  const adj = new Map<string, string[]>(files.map((f) => [f, []]));
  const self = new Set<string>();
  for (const e of edges) {
    if (e.kind === 'dynamic') continue;
    if (e.from === e.to) self.add(e.from);
    adj.get(e.from)?.push(e.to);
  }
  // Tarjan, iterative (deep import chains must not overflow the stack)
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  for (const start of files) {
    if (index.has(start)) continue;
    const work: { v: string; i: number }[] = [{ v: start, i: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const top = work[work.length - 1];
      const succ = adj.get(top.v) ?? [];
      if (top.i < succ.length) {
        const w = succ[top.i++];
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].v;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.v)!));
      }
      if (low.get(top.v) === index.get(top.v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== top.v);
        if (comp.length > 1 || self.has(top.v)) out.push(comp.sort());
      }
    }
  }
  return out.sort((a, b) => b.length - a.length || a[0].localeCompare(b[0]));
}

/** One shortest cycle through `file` inside its component, for the message (a → b → ... → a). */
export function cycleThrough(file: string, comp: string[], edges: ImportEdge[]): string[] {
  const inComp = new Set(comp);
  const prev = new Map<string, string>();
  const queue = [file];
  const seen = new Set([file]);
  while (queue.length) {
    const v = queue.shift()!;
    for (const e of edges) {
      if (e.kind === 'dynamic' || e.from !== v || !inComp.has(e.to)) continue;
      if (e.to === file) {
        const path = [file];
        for (let u = v; u !== file; u = prev.get(u)!) path.splice(1, 0, u);
        return [...path, file];
      }
      if (seen.has(e.to)) continue;
      seen.add(e.to);
      prev.set(e.to, v);
      queue.push(e.to);
    }
  }
  return [file, file];
}

/** Imports that break a layering rule, as messages. */
export function layerViolations(edges: ImportEdge[], rules = LAYER_RULES): string[] {
  const out: string[] = [];
  for (const e of edges)
    for (const r of rules) {
      if (!e.from.startsWith(r.from) || r.except?.[e.from]) continue;
      const hit = r.notTo.find((t) => e.to.startsWith(t));
      if (!hit || (r.typesAllowed && e.kind === 'type')) continue;
      out.push(`${e.from} imports ${e.to}${e.kind === 'value' ? '' : ` (${e.kind})`}: ${r.from}** must not import ${hit}**${r.typesAllowed ? ' except types' : ''} (${r.why})`);
    }
  return out;
}

/**
 * What is known to be wrong and is being removed: each import cycle (its
 * files, sorted) and each upward import (`from -> to`) that is still there.
 * The list may only shrink: a new cycle, a cycle that grows or a new upward
 * import fails the check, and so does an entry here that no longer happens
 * (remove it, so that it cannot come back unnoticed).
 */
export const KNOWN: { cycles: string[][]; layers: string[] } = {
  cycles: [],
  layers: [
    // the grammar reports its errors with the compiler's diagnostics catalogue and nesting limit
    'grammar/index.ts -> compiler/diagnostics.ts',
    'grammar/index.ts -> compiler/limits.ts',
    'grammar/cst-reader.ts -> compiler/diagnostics.ts',
  ],
};

/** Every problem of the tree as one message per line; empty when it is clean (up to KNOWN). */
export function checkDeps(root = ROOT, known = KNOWN): { cycles: string[][]; layers: string[]; messages: string[] } {
  const { files, edges } = importGraph(root);
  const cyc = cycles(files, edges);
  const bad = layerViolations(edges);
  const knownCycles = new Set(known.cycles.map((c) => [...c].sort().join(' ')));
  const knownLayers = new Set(known.layers);
  const layerKey = (m: string) => m.slice(0, m.indexOf(':')).replace(/ \((type|dynamic)\)$/, '').replace(' imports ', ' -> ');
  const messages = [
    ...cyc
      .filter((c) => !knownCycles.has(c.join(' ')))
      .map((c) => `import cycle among ${c.length} file(s): ${cycleThrough(c[0], c, edges).join(' → ')}${c.length > 2 ? `\n  all files in it: ${c.join(', ')}` : ''}`),
    ...bad.filter((m) => !knownLayers.has(layerKey(m))),
  ];
  const nowCycles = new Set(cyc.map((c) => c.join(' ')));
  const nowLayers = new Set(bad.map(layerKey));
  for (const c of knownCycles) if (!nowCycles.has(c)) messages.push(`KNOWN lists a cycle that is gone or has changed; remove it (or list the cycle as it is now): ${c}`);
  for (const l of knownLayers) if (!nowLayers.has(l)) messages.push(`KNOWN lists an upward import that is gone; remove it: ${l}`);
  return { cycles: cyc, layers: bad, messages };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--known')) {
    // the current state in KNOWN's format, to shrink the list after a fix
    const { files, edges } = importGraph();
    const layerKey = (m: string) => m.slice(0, m.indexOf(':')).replace(/ \((type|dynamic)\)$/, '').replace(' imports ', ' -> ');
    console.log(JSON.stringify({ cycles: cycles(files, edges), layers: [...new Set(layerViolations(edges).map(layerKey))] }, null, 2));
    process.exit(0);
  }
  const { messages } = checkDeps();
  for (const m of messages) console.error(m);
  if (messages.length) {
    console.error(`\n${messages.length} dependency problem(s)`);
    process.exit(1);
  }
  console.log(KNOWN.cycles.length || KNOWN.layers.length ? `no new import cycles or upward imports (known, being removed: ${KNOWN.cycles.length} cycle(s), ${KNOWN.layers.length} upward import(s))` : 'no import cycles, no upward imports');
}
