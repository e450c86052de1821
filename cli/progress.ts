/** Progress and results of `dnnc train`: a bar per epoch on a TTY, plain lines otherwise. */
import cliProgress from 'cli-progress';
import type { BatchProgress, Dataset, EpochResult, FitResult } from '../runtime/types.js';

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(3) : x.toFixed(4);
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function metricsLine(m: Record<string, number>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');
}

export interface Reporter {
  start(model: string, file: string, epochs: number, batch: number, backend: string): void;
  batch(p: BatchProgress): void;
  epoch(e: EpochResult, epochs: number): void;
  stop(): void;
  done(r: FitResult, validated: boolean): void;
}

export function makeReporter(out: NodeJS.WriteStream, data: Dataset, validation: Dataset | undefined): Reporter {
  const tty = Boolean(out.isTTY) && !process.env.CI;
  const write = (s: string) => void out.write(s + '\n');
  let bar: cliProgress.SingleBar | undefined;
  let lastPlain = 0;
  let epochs = 0;
  let lossSum = 0; // running mean of the batch losses of the current epoch, for the bar

  return {
    start(model, file, nEpochs, batch, backend) {
      epochs = nEpochs;
      const val = validation ? `, validating on ${validation.name} (${validation.size} samples)` : '';
      write(`training ${model} from ${file} on ${backend}: ${data.name} (${data.size} samples)${val}, ${nEpochs} epoch(s), batch ${batch}`);
    },
    batch(p) {
      lossSum = p.batch === 1 ? p.loss : lossSum + p.loss;
      if (tty) {
        const payload = { epoch: p.epoch, epochs: p.epochs, loss: fmt(lossSum / p.batch), sps: Math.round(p.samplesPerSecond).toLocaleString('en-US') };
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              format: 'epoch {epoch}/{epochs} {bar} {value}/{total} | loss {loss} | {sps} samples/s | ETA {eta_formatted}',
              stream: out,
              hideCursor: true,
              clearOnComplete: true,
              etaBuffer: 50,
              barsize: 24,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(p.batches, 0, payload);
        }
        bar.update(p.batch, payload);
      } else {
        const t = Date.now();
        if (t - lastPlain >= 5000 && p.batch < p.batches) {
          if (lastPlain !== 0) write(`epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches}: loss ${fmt(p.loss)}, ${Math.round(p.samplesPerSecond)} samples/s`);
          lastPlain = t;
        }
      }
    },
    epoch(e) {
      if (bar) {
        bar.stop();
        bar = undefined;
      }
      write(`epoch ${e.epoch}/${epochs}: ${metricsLine({ loss: e.loss, ...e.metrics })} (${e.seconds.toFixed(1)} s)`);
    },
    stop() {
      if (bar) {
        bar.stop();
        bar = undefined;
      }
    },
    done(r, validated) {
      write(`done in ${r.seconds.toFixed(1)} s; final ${validated ? 'validation' : 'training'} metrics: ${metricsLine(r.metrics)}`);
    },
  };
}

