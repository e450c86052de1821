#!/usr/bin/env python3
"""PyTorch-on-the-CPU peer of bench/cpu.bench.ts: prints ONE line of JSON.

The same cases as the bench, with the same networks (bench/models/lenet5.dnn,
mlp784.dnn), batch and thread count (torch.set_num_threads), timed the way
bench/measure.ts times ours: a warm-up call, then samples of at least
--min-time seconds each (several calls per sample when calls are short),
at least --min-samples samples within about --max-time seconds; the result
is the median seconds per call over the samples.

Cases:
  lenet5.train / mlp784.train  one Adam step (lr 1e-3): zero_grad, forward,
                               cross-entropy, backward, step, loss.item()
  lenet5.predict / mlp784.predict  forward under no_grad
  matmul1024                   torch.mm(a, b, out=c), 1024 x 1024 f32
Inputs are seeded uniform values of the bench's shapes (images in [0, 1),
labels in [0, 10)); the timing does not depend on them.

--clock=cpu times by this process's CPU time (time.process_time: every
thread's) instead of the wall clock: steadier on a shared, loaded machine,
and comparable with bench/profile.ts --cpu on our side.

Usage: python3 bench/torch_cpu_peer.py --threads=2 [--cases=lenet5,mlp784,matmul] [--quick] [--clock=wall|cpu]
"""
import argparse
import json
import statistics
import sys
import time


CLOCK = time.perf_counter


def measure(fn, min_time: float, max_time: float, min_samples: int) -> dict:
    fn()  # warm-up (allocation, first-call set-up)
    t0 = CLOCK()
    fn()
    one = max(CLOCK() - t0, 1e-7)
    per_sample = max(1, int(min_time / one))
    samples = []
    start = time.perf_counter()
    while len(samples) < min_samples or (time.perf_counter() - start < max_time and len(samples) < 200):
        t0 = CLOCK()
        for _ in range(per_sample):
            fn()
        samples.append((CLOCK() - t0) / per_sample)
        if len(samples) >= min_samples and time.perf_counter() - start > max_time:
            break
    return {"medianMs": statistics.median(samples) * 1e3, "samples": len(samples), "callsPerSample": per_sample}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cases", default="lenet5,mlp784,matmul")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    try:
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"error": f"no torch: {e}"}))
        return
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cases = set(args.cases.split(","))
    # the bench's sampling (bench/measure.ts): quick 3 samples over about 1 s, else 5 over about 3 s
    timing = dict(min_time=0.05 if args.quick else 0.1, max_time=1.0 if args.quick else 3.0, min_samples=3 if args.quick else 5)
    B = args.batch
    rows = {}

    def network(name: str, model: "nn.Module", x: "torch.Tensor") -> None:
        y = torch.randint(0, 10, (B,))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

        def step() -> float:
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss.item()

        def predict() -> None:
            with torch.no_grad():
                model(x)

        rows[f"{name}.train"] = measure(step, **timing)
        rows[f"{name}.predict"] = measure(predict, **timing)

    if "lenet5" in cases:
        lenet = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, 10),
        )
        network("lenet5", lenet, torch.rand(B, 1, 28, 28))
    if "mlp784" in cases:
        mlp = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        network("mlp784", mlp, torch.rand(B, 784))
    if "matmul" in cases:
        n = 1024
        a = torch.rand(n, n) * 2 - 1
        b = torch.rand(n, n) * 2 - 1
        c = torch.empty(n, n)
        rows["matmul1024"] = measure(lambda: torch.mm(a, b, out=c), **timing)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "batch": B, "clock": args.clock, "rows": rows}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(0)
