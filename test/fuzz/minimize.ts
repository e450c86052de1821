/**
 * Shrinks an input that shows a bug to a small one that shows the same bug
 * (the same signature): delta debugging (Zeller's ddmin) over lines, then
 * over tokens, then over characters, within a budget of runs.
 */
import { lexer } from '../../grammar/tokens.js';

type Fails = (text: string) => Promise<boolean>;

/** Pieces that concatenate back to the text: lines, or tokens each with the text before it. */
function split(text: string, by: 'line' | 'token' | 'char'): string[] {
  if (by === 'char') return [...text];
  if (by === 'line') return text.split(/(?<=\n)/);
  const toks = lexer.tokenize(text).tokens;
  const out: string[] = [];
  let at = 0;
  for (const t of toks) {
    const end = t.startOffset + t.image.length;
    out.push(text.slice(at, end));
    at = end;
  }
  if (at < text.length) out.push(text.slice(at));
  return out.length ? out : [text];
}

async function ddmin(pieces: string[], fails: Fails, budget: { runs: number }): Promise<string[]> {
  let n = 2;
  while (pieces.length >= 2 && budget.runs > 0) {
    const size = Math.ceil(pieces.length / n);
    let reduced = false;
    for (let i = 0; i < pieces.length && budget.runs > 0; i += size) {
      const rest = [...pieces.slice(0, i), ...pieces.slice(i + size)];
      budget.runs--;
      if (rest.length && (await fails(rest.join('')))) {
        pieces = rest;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= pieces.length) break;
      n = Math.min(pieces.length, n * 2);
    }
  }
  return pieces;
}

/** The smallest text found (within `runs` trials) for which `fails` still holds. */
export async function minimize(text: string, fails: Fails, runs = 300): Promise<string> {
  const budget = { runs };
  let best = text;
  for (const by of ['line', 'token', 'char'] as const) {
    if (by === 'char' && best.length > 2000) break; // characters only once the input is small
    best = (await ddmin(split(best, by), fails, budget)).join('');
  }
  return best;
}
