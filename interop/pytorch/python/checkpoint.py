"""dnnc's weights files and checkpoints (safetensors), read and written from PyTorch.

Tensor names (as dnnc names them; docs/checkpoints.md of dnnc):
  <Model>.<layer>.<param>            parameters: the model's state_dict key with
                                     the model's name in front
  <Model>.<layer>.running_mean|var   model state (batchnorm), buffers here
  optimizer/<param path>.<moment>    optimizer state, checkpoints only
Metadata (strings): format=dnnc, format_version, dnnc_version, model, kind
(weights|checkpoint), params_hash, and for checkpoints step, epoch, batch,
epochs, seed, optimizer and schedule (JSON).

Layouts are dnnc's, which the modules of layers.py use as they are: nothing is
transposed on the way in or out. A file written here loads into dnnc's
generated module (loadWeights, loadCheckpoint, dnnc evaluate) and back.
"""
import json

import numpy as np
import torch

import safetensors_io

FORMAT_VERSION = "1"
OPTIMIZER_PREFIX = "optimizer/"
DNNC_VERSION = "0.0.0"  # replaced by the export with the version that wrote the package

_NUMPY = {"f32": np.float32, "i32": np.int32, "bool": np.uint8}


class CheckpointError(ValueError):
    """A file that does not fit the model: every mismatch is listed."""


def params_hash(weights):
    """FNV-1a 64 over the UTF-16 code units of `name:dtype[shape]` joined by ';' (dnnc's params_hash)."""
    text = ";".join(f"{name}:{dtype}[{','.join(str(d) for d in shape)}]" for name, dtype, shape in weights)
    h = 0xCBF29CE484222325
    units = text.encode("utf-16-le")
    for i in range(0, len(units), 2):
        h ^= units[i] | (units[i + 1] << 8)
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def _local(model, path):
    return path[len(model.DNNC_NAME) + 1 :]


def weight_tensors(model):
    """The model's tensors by dnnc name, in dnnc's order (numpy)."""
    state = model.state_dict()
    out = {}
    for path, dtype, _ in model.DNNC_WEIGHTS:
        out[path] = state[_local(model, path)].detach().cpu().numpy().astype(_NUMPY[dtype])
    return out


def _metadata(model, kind, extra=None):
    meta = {
        "format": "dnnc",
        "format_version": FORMAT_VERSION,
        "dnnc_version": DNNC_VERSION,
        "model": model.DNNC_NAME,
        "kind": kind,
        "params_hash": params_hash(model.DNNC_WEIGHTS),
    }
    meta.update(extra or {})
    return meta


def save_weights(model, path):
    safetensors_io.write(path, weight_tensors(model), _metadata(model, "weights"))


def save_checkpoint(model, path, optimizer_tensors, position, optimizer_spec, schedule_spec):
    """position: step, epoch, batch, epochs, seed (integers)."""
    tensors = weight_tensors(model)
    for name, t in optimizer_tensors.items():
        tensors[OPTIMIZER_PREFIX + name] = t
    extra = {k: str(int(position[k])) for k in ("step", "epoch", "batch", "epochs", "seed")}
    extra["optimizer"] = json.dumps(optimizer_spec, separators=(",", ":"))
    extra["schedule"] = json.dumps(schedule_spec, separators=(",", ":"))
    safetensors_io.write(path, tensors, _metadata(model, "checkpoint", extra))


def read_file(model, path, optimizer_state=None, allow_extra=False):
    """(weights, optimizer tensors, metadata) of a file checked against the model like dnnc's loadWeights.

    optimizer_state: [(name, shape)] to read too (a checkpoint), or None for weights only.
    """
    tensors, meta = safetensors_io.read(path)
    problems, weights, opt = [], {}, {}
    expected = [(p, d, s, p) for p, d, s in model.DNNC_WEIGHTS]
    expected += [(n, "f32", s, OPTIMIZER_PREFIX + n) for n, s in (optimizer_state or [])]
    for name, dtype, shape, key in expected:
        t = tensors.get(key)
        if t is None:
            problems.append(f"missing {key} (expected {dtype}{list(shape)})")
        elif list(t.shape) != list(shape):
            problems.append(f"wrong shape: {key} is {list(t.shape)}, expected {list(shape)}")
        elif t.dtype != np.dtype(_NUMPY[dtype]):
            problems.append(f"wrong dtype: {key} is {t.dtype}, expected {dtype}")
        else:
            (opt if key.startswith(OPTIMIZER_PREFIX) else weights)[name] = t
    known = {e[3] for e in expected}
    for key in tensors:
        if key not in known and not allow_extra and not (optimizer_state is None and key.startswith(OPTIMIZER_PREFIX)):
            problems.append(f"unexpected {key}: model '{model.DNNC_NAME}' has no such tensor")
    if problems:
        written = f" (the file was written for '{meta['model']}')" if "model" in meta else ""
        raise CheckpointError(f"{path} does not fit model '{model.DNNC_NAME}'{written}: " + "; ".join(problems))
    return weights, opt, meta


def load_weights(model, path, allow_extra=False):
    """Loads a weights file (or a checkpoint's weights) into the model; returns the metadata."""
    weights, _, meta = read_file(model, path, None, allow_extra)
    assign(model, weights)
    return meta


def assign(model, weights):
    state = model.state_dict()
    with torch.no_grad():
        for path, array in weights.items():
            target = state[_local(model, path)]
            target.copy_(torch.as_tensor(np.asarray(array)).to(target.dtype))


def position(meta):
    """step, epoch, batch, epochs, seed of a checkpoint's metadata (integers; missing ones 0)."""
    return {k: int(meta.get(k, "0")) for k in ("step", "epoch", "batch", "epochs", "seed")}
