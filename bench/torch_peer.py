#!/usr/bin/env python3
"""PyTorch peer of bench/gpu.bench.ts on the same GPU: prints ONE line of JSON.

Cases (fp32, TF32 off, eager mode, timed with CUDA events):
  matmul      C = A @ B, N x N (torch.mm with out=), GFLOP/s = 2 N^3 / t
  elementwise y = relu(x * 2 + 1) - 0.5 over n floats, eager (4 kernels), and
              one fused-equivalent pass (torch.mul(x, 2, out=y): read n, write n)
  copy        y.copy_(x): the device copy bandwidth (read + write)
  lenet5      LeNet-5 as bench/models/lenet5.dnn (conv 6@5x5 pad 2, relu, maxpool 2,
              conv 16@5x5, relu, maxpool 2, 400-120-84-10), cross-entropy, Adam lr 1e-3:
              train step (zero_grad, forward, loss, backward, step) timed over many
              steps without a host sync, and with loss.item() every step (as dnnc's
              trainStep, which reads the loss back); predict under no_grad.
Each figure is the median of 3 samples of `iters` calls after warm-up.
Usage: python3 bench/torch_peer.py [--small] [--device cuda|cpu]
"""
import argparse
import json
import sys


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--device", default="cuda")
    args = ap.parse_args()
    try:
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"error": f"no torch: {e}"}))
        return
    if args.device == "cuda" and not torch.cuda.is_available():
        print(json.dumps({"error": "torch has no CUDA device", "torch": torch.__version__}))
        return
    dev = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    torch.manual_seed(0)
    cuda = dev.type == "cuda"

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    def time_ms(fn, iters: int, samples: int = 3, warmup: int = 3) -> float:
        """median over samples of (time of `iters` calls) / iters, in ms"""
        import time

        for _ in range(warmup):
            fn()
        sync()
        out = []
        for _ in range(samples):
            if cuda:
                a = torch.cuda.Event(enable_timing=True)
                b = torch.cuda.Event(enable_timing=True)
                a.record()
                for _ in range(iters):
                    fn()
                b.record()
                b.synchronize()
                out.append(a.elapsed_time(b) / iters)
            else:
                t0 = time.perf_counter()
                for _ in range(iters):
                    fn()
                out.append((time.perf_counter() - t0) * 1e3 / iters)
        out.sort()
        return out[len(out) // 2]

    res = {
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(0) if cuda else "cpu",
        "small": args.small,
        "tf32": False,
    }

    sizes = [32, 64, 128] if args.small else [1024, 2048, 4096]
    res["matmul"] = []
    for n in sizes:
        a = torch.randn(n, n, device=dev)
        b = torch.randn(n, n, device=dev)
        c = torch.empty(n, n, device=dev)
        iters = 3 if args.small else max(5, int(2e11 / (2 * n**3)))
        ms = time_ms(lambda: torch.mm(a, b, out=c), iters)
        res["matmul"].append({"n": n, "ms": ms, "gflops": 2 * n**3 / (ms * 1e-3) / 1e9})
        del a, b, c

    n = (1 << 18) if args.small else (1 << 26)  # 1 MiB / 256 MiB of f32
    x = torch.rand(n, device=dev)
    y = torch.empty(n, device=dev)
    iters = 3 if args.small else 20
    eager = time_ms(lambda: torch.relu(x * 2 + 1) - 0.5, iters)
    one = time_ms(lambda: torch.mul(x, 2.0, out=y), iters)
    copy = time_ms(lambda: y.copy_(x), iters)
    moved = 2 * 4 * n  # bytes read + written by one pass
    res["elementwise"] = {
        "floats": n,
        "eager_chain_ms": eager,
        "one_pass_ms": one,
        "one_pass_gbps": moved / (one * 1e-3) / 1e9,
        "eager_chain_gbps": moved / (eager * 1e-3) / 1e9,
    }
    res["copy"] = {"floats": n, "ms": copy, "gbps": moved / (copy * 1e-3) / 1e9}
    del x, y

    def lenet() -> "nn.Module":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, 10),
        ).to(dev)

    res["lenet5"] = []
    for batch in ([2, 4] if args.small else [64, 256]):
        model = lenet()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        xb = torch.rand(batch, 1, 28, 28, device=dev)
        yb = torch.randint(0, 10, (batch,), device=dev)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            return loss

        iters = 3 if args.small else 100
        train = time_ms(step, iters)
        train_sync = time_ms(lambda: step().item(), iters)
        with torch.no_grad():
            predict = time_ms(lambda: model(xb), iters)
        res["lenet5"].append({"batch": batch, "train_ms": train, "train_sync_ms": train_sync, "predict_ms": predict})

    print(json.dumps(res))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(0)
