/**
 * `csv("file.csv", label: "y")`: a user's table as a data set.
 *
 * - The first row is the header. Paths are relative to `baseDir` (the .dnn
 *   file's folder).
 * - Every numeric column except the label becomes part of `features`
 *   (f32[k], in column order). A column with no numeric value at all (an id,
 *   a name) is left out; a column that is numeric elsewhere but holds a
 *   non-number or an empty cell in some row is an error naming the file,
 *   the line and the column.
 * - The label column becomes `label`: i32 when every value is an integer,
 *   else f32. Without `label:` the data set has only `features`.
 * - A row with the wrong number of cells, or broken quoting, is an error
 *   naming the file and its line.
 */
import { resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Dataset } from '../types.js';
import { FileError, readTextFile } from '../../compiler/files.js';
import { MAX_DATA_FILE_BYTES } from '../../compiler/limits.js';
import { DatasetError } from './errors.js';

export interface CsvOptions {
  /** the file, relative to baseDir */
  path: string;
  label?: string;
}

interface Row {
  record: string[];
  info: { lines: number };
}

export function loadCsv(options: CsvOptions, baseDir: string): Dataset {
  const file = resolve(baseDir, options.path);
  let text: string;
  try {
    // a regular file of bounded size: a device or a FIFO would never end
    text = readTextFile(file, MAX_DATA_FILE_BYTES);
  } catch (e) {
    if (!(e instanceof FileError)) throw e;
    throw new DatasetError(`csv: cannot read '${options.path}' (${file}): ${e.reason.replace(/^cannot read it: /, '')}`);
  }

  let rows: Row[];
  try {
    rows = parse(text, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as Row[];
  } catch (e) {
    const err = e as Error & { lines?: number };
    const where = err.lines !== undefined ? `:${err.lines}` : '';
    throw new DatasetError(`csv: ${options.path}${where}: malformed CSV: ${err.message}`);
  }
  if (rows.length === 0) throw new DatasetError(`csv: ${options.path} is empty (expected a header row and data rows)`);

  const header = rows[0].record;
  const body = rows.slice(1);
  if (body.length === 0) throw new DatasetError(`csv: ${options.path} has a header but no data rows`);
  const ncol = header.length;
  for (const r of body) {
    if (r.record.length !== ncol) {
      throw new DatasetError(`csv: ${options.path}:${r.info.lines}: row has ${r.record.length} value(s) but the header has ${ncol} column(s)`);
    }
  }

  let labelCol = -1;
  if (options.label !== undefined) {
    labelCol = header.indexOf(options.label);
    if (labelCol < 0) {
      throw new DatasetError(`csv: ${options.path} has no column '${options.label}' for the label; its columns are ${header.map((h) => `'${h}'`).join(', ')}`);
    }
  }

  // numeric columns: those with at least one numeric value; then every value must be numeric
  const numeric = header.map((_, c) => body.some((r) => isNumber(r.record[c])));
  if (labelCol >= 0 && !numeric[labelCol]) {
    throw new DatasetError(`csv: ${options.path}: the label column '${options.label}' holds no numbers (line ${body[0].info.lines}: '${body[0].record[labelCol]}'); encode classes as 0, 1, 2, ...`);
  }
  const featureCols: number[] = [];
  for (let c = 0; c < ncol; c++) if (numeric[c] && c !== labelCol) featureCols.push(c);
  const used = labelCol >= 0 ? [...featureCols, labelCol] : featureCols;
  for (const r of body) {
    for (const c of used) {
      const v = r.record[c];
      if (!isNumber(v)) {
        const what = v === '' ? 'an empty value' : `'${v}', not a number`;
        throw new DatasetError(`csv: ${options.path}:${r.info.lines}: column '${header[c]}' has ${what}`);
      }
    }
  }
  if (featureCols.length === 0) throw new DatasetError(`csv: ${options.path} has no numeric feature columns (columns: ${header.join(', ')})`);

  const n = body.length;
  const k = featureCols.length;
  const features = new Float32Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) features[i * k + j] = Number(body[i].record[featureCols[j]]);
  const fields: Dataset['fields'] = { features: { dtype: 'f32', sampleShape: [k], data: features, columns: featureCols.map((c) => header[c]) } };

  if (labelCol >= 0) {
    const values = body.map((r) => Number(r.record[labelCol]));
    const integral = values.every((v) => Number.isInteger(v) && Math.abs(v) < 2 ** 31);
    fields.label = integral
      ? { dtype: 'i32', sampleShape: [], data: Int32Array.from(values) }
      : { dtype: 'f32', sampleShape: [], data: Float32Array.from(values) };
  }
  const lines = Int32Array.from(body, (r) => r.info.lines);
  return { name: `csv(${options.path})`, size: n, fields, sampleOrigin: (i) => `${options.path} line ${lines[i]}` };
}

function isNumber(s: string | undefined): boolean {
  if (s === undefined || s === '') return false;
  return Number.isFinite(Number(s));
}
