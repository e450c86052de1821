"""dnnc's optimizers, schedules and gradient clipping with torch.optim.

dnnc's update rules are torch.optim's (checked by the export's tests, one step
against dnnc's trainStep):
  sgd             SGD (weight_decay adds wd * w to the gradient)
  momentum        SGD(momentum)            nesterov  SGD(momentum, nesterov=True)
  adam            Adam(betas, eps, weight_decay as L2)
  adamw           AdamW(betas, eps, weight_decay decoupled)
  rmsprop         RMSprop(alpha = rho, eps)
  adagrad         Adagrad(eps)
The learning rate of each step comes from dnnc's schedule (learning_rate) and
is set on the optimizer before the step; clip_gradients is dnnc's
clip = norm(max): g *= max / max(||g||, max) over all gradients together.
"""
import math

import torch

# dnnc's name of each moment (the checkpoint's optimizer/<param>.<moment>) -> torch.optim's state key
MOMENTS = {
    "m": "exp_avg",
    "v": "exp_avg_sq",
    "velocity": "momentum_buffer",
    "square_avg": "square_avg",
    "sum_sq": "sum",
}


def make_optimizer(params, spec):
    kind, lr, o = spec["kind"], spec["lr"], spec.get("options", {})
    wd = o.get("weight_decay", 0.0)
    if kind in ("sgd", "momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=o.get("momentum", 0.0), nesterov=kind == "nesterov", weight_decay=wd)
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(o.get("beta1", 0.9), o.get("beta2", 0.999)), eps=o.get("eps", 1e-8), weight_decay=wd)
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=(o.get("beta1", 0.9), o.get("beta2", 0.999)), eps=o.get("eps", 1e-8), weight_decay=wd)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=o.get("rho", 0.9), eps=o.get("eps", 1e-8), weight_decay=wd)
    if kind == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, eps=o.get("eps", 1e-10), weight_decay=wd)
    raise ValueError(f"unknown optimizer {kind!r}")


def learning_rate(schedule, base_lr, step, total_steps=None):
    """The rate of the 1-based optimizer step, as dnnc's runtime/schedule.ts computes it."""
    kind, o = schedule["kind"], schedule.get("options", {})
    if kind == "constant":
        return base_lr
    if kind == "step":
        size = o.get("step_size", o.get("stepSize", o.get("size", 1)))
        return base_lr * o.get("gamma", 0.1) ** ((step - 1) // max(1, size))
    if kind == "exponential":
        every = o.get("decay_steps", o.get("decaySteps", 1))
        return base_lr * o.get("gamma", 0.96) ** ((step - 1) / max(1, every))
    if kind == "warmup":
        w = o.get("warmup", o.get("warmup_steps", 0))
        return base_lr * min(1, step / w) if w > 0 else base_lr
    if kind == "cosine":
        w = o.get("warmup", o.get("warmup_steps", 0))
        total = o.get("total", o.get("total_steps", o.get("steps", total_steps)))
        min_lr = o.get("min_lr", o.get("minLr", 0.0))
        if w > 0 and step <= w:
            return base_lr * (step / w)
        if not total or total <= w:
            return base_lr
        p = min(1, (step - w) / (total - w))
        return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * p)) / 2
    raise ValueError(f"unknown learning-rate schedule {kind!r}")


def set_learning_rate(optimizer, lr):
    for group in optimizer.param_groups:
        group["lr"] = lr


def clip_gradients(params, max_norm):
    """dnnc's clip = norm(max): scale every gradient by max / max(global norm, max)."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0
    norm = torch.sqrt(sum(torch.sum(g * g) for g in grads))
    scale = max_norm / torch.clamp(norm, min=max_norm)
    for g in grads:
        g.mul_(scale)
    return float(norm)


def state_tensors(optimizer, named_params, state_specs, prefix):
    """dnnc's optimizer tensors (name -> numpy) from torch's state; moments of a parameter not stepped yet are zeros.

    named_params: the model's named_parameters() (names without the model's prefix).
    state_specs: [(dnnc name, shape)] such as ("LeNet.dense_1.weight.m", [400, 120]).
    """
    import numpy as np

    params = dict(named_params)
    out = {}
    for name, shape in state_specs:
        path, moment = name.rsplit(".", 1)
        p = params[path[len(prefix) :]]
        st = optimizer.state.get(p, {})
        t = st.get(MOMENTS[moment])
        out[name] = t.detach().cpu().numpy().astype(np.float32) if t is not None else np.zeros(shape, dtype=np.float32)
    return out


def load_state(optimizer, named_params, tensors, state_specs, prefix, step):
    """Puts dnnc's optimizer tensors into torch's state, with `step` optimizer steps taken."""
    params = dict(named_params)
    for name, _ in state_specs:
        path, moment = name.rsplit(".", 1)
        p = params[path[len(prefix) :]]
        st = optimizer.state[p]
        st[MOMENTS[moment]] = torch.as_tensor(tensors[name]).to(p.device, p.dtype).clone()
        if not isinstance(optimizer, torch.optim.SGD):
            st["step"] = torch.tensor(float(step))
