#!/usr/bin/env python3
"""Trains the model of training.py data-parallel with DistributedDataParallel.

  python3 train.py                          one process
  python3 train.py --world-size 2           two processes on this machine (torch.multiprocessing.spawn)
  python3 train.py --world-size 8 --nodes 2 --node-rank 0 --master-addr HOST
                                            4 processes here, 4 on the machine started with --node-rank 1
  torchrun --nproc-per-node 4 train.py      under torchrun (RANK, WORLD_SIZE, LOCAL_RANK set): one worker each

The backend is nccl with CUDA GPUs (process i on GPU LOCAL_RANK), gloo on CPUs.
--batch is the global batch (the train block's by default): each of the N
processes takes batch / N samples of every step, and DDP averages the
gradients, so a step is the step of one process on the whole batch.

It starts from the weights the export wrote (weights.safetensors), --init W,
or --resume CKPT, and writes dnnc checkpoints (--save) that dnnc loads
(dnnc evaluate FILE.dnn --weights CKPT) and that --resume continues.
"""
import argparse
import datetime
import json
import os
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torch.multiprocessing as mp  # noqa: E402
from torch.nn.parallel import DistributedDataParallel  # noqa: E402

import checkpoint  # noqa: E402
import data  # noqa: E402
import optim  # noqa: E402
import training  # noqa: E402
from model import MODELS  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--world-size", type=int, default=1, help="processes in all (default 1)")
    p.add_argument("--nodes", type=int, default=1, help="machines the processes are spread over (default 1)")
    p.add_argument("--node-rank", type=int, default=0, help="which machine this is, 0..nodes-1")
    p.add_argument("--master-addr", default="127.0.0.1", help="address of the machine with node rank 0")
    p.add_argument("--master-port", type=int, default=0, help="its port (default: a free port on one machine, 29500 on several)")
    p.add_argument("--backend", choices=["gloo", "nccl"], help="default: nccl with CUDA GPUs, else gloo")
    p.add_argument("--epochs", type=int, default=training.EPOCHS)
    p.add_argument("--batch", type=int, default=training.BATCH, help="the global batch size")
    p.add_argument("--seed", type=int, default=training.SEED)
    p.add_argument("--threads", type=int, default=0, help="CPU threads per process (default: the cores shared out)")
    p.add_argument("--init", default=os.path.join(HERE, "weights.safetensors"), help="weights to start from (default: the exported ones)")
    p.add_argument("--resume", help="a checkpoint to continue")
    p.add_argument("--save", help="write a dnnc checkpoint here at the end")
    p.add_argument("--checkpoint-every", type=int, default=0, help="also write --save after every N epochs")
    here = lambda name: os.path.join(HERE, training.DATA[name]) if training.DATA.get(name) else None  # noqa: E731
    p.add_argument("--train-data", default=here("train"), help="a split (safetensors, one tensor per input) or a CSV (default: the exported one)")
    p.add_argument("--validation-data", default=here("validation"), help="the same for validation")
    p.add_argument("--label", help="the label column of CSV data")
    p.add_argument("--timeout", type=int, default=600, help="seconds a process waits for the others in a collective before it fails")
    p.add_argument("--json", action="store_true", help="end with one JSON line {metrics, epochs, seconds, world_size}")
    args = p.parse_args(argv)
    if args.world_size < 1 or args.nodes < 1 or args.world_size % args.nodes:
        p.error(f"--world-size {args.world_size} must be a positive multiple of --nodes {args.nodes}")
    if args.train_data is None:
        p.error("the package holds no data set (exported with --no-data): give --train-data FILE")
    return args


def check_batch(batch, world):
    if batch % world:
        sys.exit(f"train.py: error: --batch {batch} must be a multiple of the {world} processes (each takes batch / processes samples)")


def load_split(path, label):
    if path is None:
        return None
    split = data.read_csv(path, label) if path.endswith(".csv") else data.load(path)
    return data.map_fields(split, training.INPUTS, training.TRAIN_INPUTS)


def outputs_of(model_cls, result):
    return result if isinstance(result, dict) else {model_cls.OUTPUTS[0]: result}


def evaluate(model, split, batch, device, rank, world):
    """Loss and metrics over the whole split: each process its share, then summed over the processes."""
    model.eval()
    cls = type(model)
    names = ["loss"] + list(training.METRICS)
    sums = torch.zeros(len(names) + 1, dtype=torch.float64)
    with torch.no_grad():
        for index in data.shard(split.size, batch, rank, world):
            b = split.take(index, device)
            loss, metrics = training.loss_and_metrics(outputs_of(cls, model(*[b[n] for n in cls.INPUTS])), b)
            n = len(index)
            values = [float(loss)] + [float(metrics[m]) for m in training.METRICS]
            sums += torch.tensor([v * n for v in values] + [n], dtype=torch.float64)
    if world > 1:
        dist.all_reduce(sums)
    model.train()
    return {k: float(sums[i] / sums[-1]) for i, k in enumerate(names)}


def run(rank, local_rank, world, args):
    cuda = torch.cuda.is_available() and args.backend != "gloo"
    backend = args.backend or ("nccl" if cuda else "gloo")
    device = torch.device(f"cuda:{local_rank}") if backend == "nccl" else torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    local = max(1, world // args.nodes)
    torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 1) // local))
    if world > 1:
        # a process that died leaves the others waiting in a collective: give up after the timeout instead of hanging
        dist.init_process_group(backend, rank=rank, world_size=world, timeout=datetime.timedelta(seconds=args.timeout))
    torch.manual_seed(args.seed + rank)

    model_cls = MODELS[training.MODEL]
    model = model_cls().to(device)
    prefix = model_cls.DNNC_NAME + "."
    optimizer = optim.make_optimizer(model.parameters(), training.OPTIMIZER)
    step, first_epoch = 0, 0
    if args.resume:
        weights, opt, meta = checkpoint.read_file(model, args.resume, training.OPTIMIZER_STATE)
        checkpoint.assign(model, weights)
        pos = checkpoint.position(meta)
        optim.load_state(optimizer, model.named_parameters(), opt, training.OPTIMIZER_STATE, prefix, pos["step"])
        step, first_epoch = pos["step"], pos["epoch"]
    elif args.init and os.path.exists(args.init):
        checkpoint.load_weights(model, args.init)

    train = load_split(args.train_data, args.label)
    validation = load_split(args.validation_data, args.label)
    ddp = DistributedDataParallel(model, device_ids=[local_rank] if device.type == "cuda" else None) if world > 1 else model
    steps_per_epoch = train.size // args.batch
    total_steps = steps_per_epoch * args.epochs
    base_lr = training.OPTIMIZER["lr"]
    lead = rank == 0
    if lead:
        print(f"training {training.MODEL} on {train.size} samples, {world} process(es) with {backend}, global batch {args.batch}, {args.epochs} epoch(s)", flush=True)
    started = time.time()
    metrics = {}
    for epoch in range(first_epoch, args.epochs):
        t0 = time.time()
        loss_sum, count = 0.0, 0
        for index in data.epoch_batches(train.size, args.batch, epoch, args.seed, rank, world):
            b = train.take(index, device)
            outputs = outputs_of(model_cls, ddp(*[b[n] for n in model_cls.INPUTS]))
            loss, _ = training.loss_and_metrics(outputs, b)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if training.CLIP is not None:
                optim.clip_gradients(list(model.parameters()), training.CLIP)
            step += 1
            optim.set_learning_rate(optimizer, optim.learning_rate(training.SCHEDULE, base_lr, step, total_steps))
            optimizer.step()
            loss_sum += float(loss)
            count += 1
        # the mean loss of the epoch over every process's batches
        totals = torch.tensor([loss_sum, count], dtype=torch.float64)
        if world > 1:
            dist.all_reduce(totals)
        line = {"loss": float(totals[0] / max(1.0, float(totals[1])))}
        if validation is not None:
            metrics = {f"val_{k}": v for k, v in evaluate(model, validation, args.batch, device, rank, world).items()}
            line.update(metrics)
        if lead:
            print(f"epoch {epoch + 1}/{args.epochs}: " + ", ".join(f"{k} {v:.4f}" for k, v in line.items()) + f" ({time.time() - t0:.1f} s)", flush=True)
        last = epoch + 1 == args.epochs
        if lead and args.save and (last or (args.checkpoint_every and (epoch + 1) % args.checkpoint_every == 0)):
            state = optim.state_tensors(optimizer, model.named_parameters(), training.OPTIMIZER_STATE, prefix)
            pos = {"step": step, "epoch": epoch + 1, "batch": 0, "epochs": args.epochs, "seed": args.seed}
            checkpoint.save_checkpoint(model, args.save, state, pos, training.OPTIMIZER, training.SCHEDULE)
    seconds = time.time() - started
    if lead and args.save:
        print(f"wrote {args.save}", flush=True)
    if lead and args.json:
        print(json.dumps({"metrics": {k[4:]: v for k, v in metrics.items()}, "epochs": args.epochs, "seconds": round(seconds, 3), "world_size": world}), flush=True)
    if world > 1:
        # every process is done once all reach the barrier. Then leave at once: with torch 1.13
        # and gloo, destroy_process_group and the normal interpreter exit sometimes leave a
        # process spinning forever (seen in about 1 run in 3 on a busy 2-core machine)
        dist.barrier()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def spawned(local_rank, args, world):
    run(args.node_rank * (world // args.nodes) + local_rank, local_rank, world, args)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None):
    args = parse_args(argv)
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:
        # under torchrun (or another launcher that sets the env:// variables)
        world = int(os.environ["WORLD_SIZE"])
        check_batch(args.batch, world)
        args.nodes = max(1, world // int(os.environ.get("LOCAL_WORLD_SIZE", world)))
        run(int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", 0)), world, args)
        return
    world = args.world_size
    check_batch(args.batch, world)
    if world == 1:
        run(0, 0, 1, args)
        return
    os.environ["MASTER_ADDR"] = args.master_addr
    os.environ["MASTER_PORT"] = str(args.master_port or (free_port() if args.nodes == 1 else 29500))
    mp.spawn(spawned, args=(args, world), nprocs=world // args.nodes, join=True)


if __name__ == "__main__":
    main()
