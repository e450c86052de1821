// From a drawing to an MNIST-like input, the way the MNIST digits were made:
// the strokes' bounding box scaled to fit 20×20 (aspect kept, area-averaged),
// then placed in a 28×28 field with its centre of mass at the centre.
// Input: grey levels in [0, 1], row-major, `width`×`height`. Output: 784
// values in [0, 1] (LeNet's input f32[1, 1, 28, 28]), or null for a blank pad.

/** The bounding box of the pixels above `threshold`, or null when there are none. */
function inkBox(grey, width, height, threshold) {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (grey[y * width + x] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  return x1 < 0 ? null : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/** Area-averaged resampling of a box of `grey` to `outW`×`outH`. */
function resample(grey, width, box, outW, outH) {
  const out = new Float32Array(outW * outH);
  for (let oy = 0; oy < outH; oy++) {
    const sy0 = box.y + (oy * box.h) / outH;
    const sy1 = box.y + ((oy + 1) * box.h) / outH;
    for (let ox = 0; ox < outW; ox++) {
      const sx0 = box.x + (ox * box.w) / outW;
      const sx1 = box.x + ((ox + 1) * box.w) / outW;
      let sum = 0;
      let area = 0;
      for (let y = Math.floor(sy0); y < Math.ceil(sy1); y++) {
        const fy = Math.min(y + 1, sy1) - Math.max(y, sy0);
        for (let x = Math.floor(sx0); x < Math.ceil(sx1); x++) {
          const f = fy * (Math.min(x + 1, sx1) - Math.max(x, sx0));
          sum += f * grey[y * width + x];
          area += f;
        }
      }
      out[oy * outW + ox] = area > 0 ? sum / area : 0;
    }
  }
  return out;
}

export function toMnist(grey, width, height) {
  const box = inkBox(grey, width, height, 0.05);
  if (!box) return null;
  const scale = 20 / Math.max(box.w, box.h);
  const w = Math.max(1, Math.round(box.w * scale));
  const h = Math.max(1, Math.round(box.h * scale));
  const small = resample(grey, width, box, w, h);
  let mass = 0, cx = 0, cy = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const v = small[y * w + x];
      mass += v;
      cx += v * x;
      cy += v * y;
    }
  // the offset that puts the centre of mass at (14, 14), kept inside the field
  const dx = Math.min(28 - w, Math.max(0, Math.round(13.5 - cx / mass)));
  const dy = Math.min(28 - h, Math.max(0, Math.round(13.5 - cy / mass)));
  const out = new Float32Array(784);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(y + dy) * 28 + x + dx] = Math.min(1, small[y * w + x]);
  return out;
}
