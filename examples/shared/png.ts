/**
 * Writing grey-scale image grids as PNG files (with the `pngjs` package).
 *
 * `images` holds `count` images of `height × width` values, row-major, one
 * after the other; values in [lo, hi] map to black..white. The grid has
 * `cols` images per row, separated by a `gap`-pixel grey border, and each
 * pixel is drawn as a `zoom × zoom` square.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PNG } from 'pngjs';

export interface GridOptions {
  count: number;
  height: number;
  width: number;
  cols: number;
  /** the value range drawn from black to white (default [0, 1]) */
  range?: readonly [number, number];
  zoom?: number;
  gap?: number;
}

export function gridPng(images: ArrayLike<number>, o: GridOptions): Buffer {
  const zoom = o.zoom ?? 2;
  const gap = o.gap ?? 2;
  const [lo, hi] = o.range ?? [0, 1];
  const rows = Math.ceil(o.count / o.cols);
  const W = gap + o.cols * (o.width * zoom + gap);
  const H = gap + rows * (o.height * zoom + gap);
  const png = new PNG({ width: W, height: H, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  png.data = Buffer.alloc(W * H, 96); // grey background and borders
  for (let k = 0; k < o.count; k++) {
    const x0 = gap + (k % o.cols) * (o.width * zoom + gap);
    const y0 = gap + Math.floor(k / o.cols) * (o.height * zoom + gap);
    for (let y = 0; y < o.height; y++)
      for (let x = 0; x < o.width; x++) {
        const v = images[(k * o.height + y) * o.width + x];
        const g = Math.round(255 * Math.min(1, Math.max(0, (v - lo) / (hi - lo))));
        for (let dy = 0; dy < zoom; dy++) png.data.fill(g, (y0 + y * zoom + dy) * W + x0 + x * zoom, (y0 + y * zoom + dy) * W + x0 + (x + 1) * zoom);
      }
  }
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

/** Writes the grid to `path` (creating its folder). */
export function writeGrid(path: string, images: ArrayLike<number>, o: GridOptions): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, gridPng(images, o));
}
