/**
 * Every input in test/fuzz/corpus/ — a minimized finding of a campaign, or a
 * case written by hand from a bug report — runs through the fuzzer's oracle
 * under its time budgets and must now be `ok` or `diagnostic`: never a crash,
 * a hang or a bad location again. Each .dnn has a .json beside it saying what
 * it was.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { corpusDir } from './campaign.js';
import { Pool, verdict } from './pool.js';

const cases = existsSync(corpusDir) ? readdirSync(corpusDir).filter((f) => f.endsWith('.dnn')).sort() : [];
let pool: Pool;

test.before(() => {
  pool = new Pool(1);
});
test.after(async () => {
  await pool.close();
});

test('the corpus has cases', () => {
  assert.ok(cases.length > 0);
});

for (const name of cases) {
  const note = join(corpusDir, name.replace(/\.dnn$/, '.json'));
  const was = existsSync(note) ? (JSON.parse(readFileSync(note, 'utf8')) as { kind: string; detail?: string }) : undefined;
  test(`corpus/${name}${was ? ` (was ${was.kind})` : ''}`, async () => {
    const v = verdict(await pool.run(readFileSync(join(corpusDir, name), 'utf8')));
    assert.ok(v.kind === 'ok' || v.kind === 'diagnostic', `${v.kind}: ${v.detail}${was?.detail ? `\n  first found as: ${was.detail}` : ''}`);
  });
}

test.run();
