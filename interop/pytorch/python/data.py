"""The train block's data: the splits the export wrote (data/*.safetensors, one
tensor per input, named like the model's inputs and train inputs), or a CSV
read as dnnc's csv("file.csv", label: "y") reads it.

Batches for data-parallel training: every process computes the same order
of the samples for an epoch (a permutation seeded by seed and epoch), cuts
it into global batches of `batch` samples and takes its own slice of each,
so the processes together see exactly one global batch per step. The last,
partial global batch of an epoch is dropped (every process must take part
in every step).
"""
import csv

import numpy as np
import torch

import safetensors_io


class Split:
    """Named tensors with the samples on axis 0."""

    def __init__(self, fields, name="data"):
        sizes = {len(v) for v in fields.values()}
        if len(sizes) != 1:
            raise ValueError(f"{name}: the fields hold different numbers of samples: { {k: len(v) for k, v in fields.items()} }")
        self.fields, self.name, self.size = fields, name, sizes.pop()

    def take(self, index, device=None):
        return {k: v[index].to(device) for k, v in self.fields.items()}


def load(path):
    """A split written by the export (or any safetensors file of per-sample tensors)."""
    tensors, meta = safetensors_io.read(path)
    fields = {k: torch.from_numpy(v.astype(np.bool_) if v.dtype == np.uint8 and meta.get(f"{k}.dtype") == "bool" else v) for k, v in tensors.items()}
    return Split(fields, meta.get("dataset", str(path)))


def read_csv(path, label=None):
    """dnnc's csv rules: the header names the columns; every numeric column but the label
    becomes `features` (f32[k], in column order; a column with no number at all is left out);
    the label is i32 when every value is an integer, else f32."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [[c.strip() for c in r] for r in csv.reader(f) if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ValueError(f"csv: {path} needs a header row and data rows")
    header, body = rows[0], rows[1:]
    for i, r in enumerate(body):
        if len(r) != len(header):
            raise ValueError(f"csv: {path}:{i + 2}: row has {len(r)} value(s) but the header has {len(header)} column(s)")

    def number(s):
        try:
            return float(s)
        except ValueError:
            return None

    columns = list(zip(*body))
    numeric = [j for j, c in enumerate(columns) if any(number(x) is not None for x in c)]
    for j in numeric:
        for i, x in enumerate(columns[j]):
            if number(x) is None:
                raise ValueError(f"csv: {path}:{i + 2}: column '{header[j]}' holds {x!r}, not a number")
    if label is not None and label not in header:
        raise ValueError(f"csv: {path} has no column '{label}'; its columns: {', '.join(header)}")
    fields = {}
    feats = [j for j in numeric if header[j] != label]
    if feats:
        fields["features"] = torch.tensor([[float(columns[j][i]) for j in feats] for i in range(len(body))], dtype=torch.float32)
    if label is not None:
        values = [float(x) for x in columns[header.index(label)]]
        integral = all(v == int(v) for v in values)
        fields["label"] = torch.tensor(values, dtype=torch.int32 if integral else torch.float32)
    return Split(fields, str(path))


def map_fields(split, inputs, train_inputs):
    """Feeds each input from a field: the field of its name; else the one spare field feeds the one
    unfed model input, and `label` the one unfed train input (dnnc's rules)."""
    needed = list(inputs) + list(train_inputs)
    mapping = {n: n for n in needed if n in split.fields}
    used = set(mapping.values())
    left = [n for n in inputs if n not in mapping]
    spare = [f for f in split.fields if f not in used and f != "label"]
    if len(left) == 1 and len(spare) == 1:
        mapping[left[0]] = spare[0]
        used.add(spare[0])
    left_train = [n for n in train_inputs if n not in mapping]
    if len(left_train) == 1 and "label" in split.fields and "label" not in used:
        mapping[left_train[0]] = "label"
    missing = [n for n in needed if n not in mapping]
    if missing:
        raise ValueError(f"{split.name} does not provide {', '.join(missing)}: it has the fields {', '.join(split.fields)}")
    return Split({n: split.fields[f] for n, f in mapping.items()}, split.name)


def epoch_batches(size, batch, epoch, seed, rank=0, world=1):
    """This process's sample indices for each step of an epoch (global batches of `batch`, this rank's slice)."""
    g = torch.Generator()
    g.manual_seed(seed * 1_000_003 + epoch)
    order = torch.randperm(size, generator=g)
    per = batch // world
    for b in range(size // batch):
        start = b * batch + rank * per
        yield order[start : start + per]


def shard(size, batch, rank=0, world=1):
    """This process's part of a split for evaluation (every sample once across the processes), in batches."""
    mine = torch.arange(rank, size, world)
    for i in range(0, len(mine), batch):
        yield mine[i : i + batch]
