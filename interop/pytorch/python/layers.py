"""dnnc's layers as PyTorch modules, with dnnc's semantics and weight layouts.

Parameters keep dnnc's names and shapes, so a module's state_dict maps one to
one onto dnnc's tensors (without the model's name in front) and no weight is
ever transposed on the way in or out. Where the layout differs from
torch.nn's own layer, the docstring says so:

  Dense            weight [in, units]        (nn.Linear: [units, in])
  LSTM / GRU / RNN weight_ih [in, G*units],  weight_hh [units, G*units]
                   (nn.LSTM: [G*units, in]); gates in dnnc's order:
                   LSTM i, f, g, o (+1 on f); GRU z, r, n with r (h U + c)
  Conv2d, ConvTranspose2d, Embedding, LayerNorm: as torch.nn
                   (scale/shift are weight/bias there)
  BatchNorm        running statistics move as r = momentum r + (1 - momentum) batch
                   with the biased batch variance (nn.BatchNorm uses 1 - momentum
                   the other way round and the unbiased variance)
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

import ops


def activate(x, name):
    """dnnc's activation names: none, relu, sigmoid, tanh, gelu, softplus, leaky_relu (0.01), elu (1)."""
    if name in (None, "none"):
        return x
    if name == "relu":
        return torch.relu(x)
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "tanh":
        return torch.tanh(x)
    if name == "gelu":
        return F.gelu(x, approximate="tanh")
    if name == "softplus":
        return F.softplus(x)
    if name == "leaky_relu":
        return F.leaky_relu(x, 0.01)
    if name == "elu":
        return F.elu(x, alpha=1.0)
    raise ValueError(f"unknown activation {name!r}")


def _param(*shape):
    return nn.Parameter(torch.zeros(*shape))


class Dense(nn.Module):
    """dense(units): y = act(x @ weight + bias); weight [in, units] (nn.Linear's is [units, in])."""

    def __init__(self, in_features, units, bias=True, activation="none"):
        super().__init__()
        self.weight = _param(in_features, units)
        self.bias = _param(units) if bias else None
        self.activation = activation

    def forward(self, x):
        y = torch.matmul(x, self.weight)
        if self.bias is not None:
            y = y + self.bias
        return activate(y, self.activation)


class Conv2d(nn.Module):
    """conv2d: weight [filters, in/groups, kh, kw] as nn.Conv2d; pads (top, left, bottom, right) may differ per side (TF's 'same')."""

    def __init__(self, in_channels, filters, kernel, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1, bias=True, activation="none"):
        super().__init__()
        self.weight = _param(filters, in_channels // groups, *kernel)
        self.bias = _param(filters) if bias else None
        self.stride, self.pads, self.dilation, self.groups, self.activation = tuple(stride), tuple(pads), tuple(dilation), groups, activation

    def forward(self, x):
        y = ops.conv2d(x, self.weight, self.stride, self.pads, self.dilation, self.groups)
        if self.bias is not None:
            y = y + self.bias.reshape(-1, 1, 1)
        return activate(y, self.activation)


class ConvTranspose2d(nn.Module):
    """conv2d_transpose: weight [in, filters/groups, kh, kw] as nn.ConvTranspose2d; pads crop the full output per side."""

    def __init__(self, in_channels, filters, kernel, stride=(1, 1), pads=(0, 0, 0, 0), output_padding=(0, 0), dilation=(1, 1), groups=1, bias=True, activation="none"):
        super().__init__()
        self.weight = _param(in_channels, filters // groups, *kernel)
        self.bias = _param(filters) if bias else None
        self.stride, self.pads, self.output_padding = tuple(stride), tuple(pads), tuple(output_padding)
        self.dilation, self.groups, self.activation = tuple(dilation), groups, activation

    def forward(self, x):
        y = ops.conv_transpose2d(x, self.weight, self.stride, self.pads, self.output_padding, self.dilation, self.groups)
        if self.bias is not None:
            y = y + self.bias.reshape(-1, 1, 1)
        return activate(y, self.activation)


class LayerNorm(nn.Module):
    """layernorm: normalise the last axis (biased variance, eps inside the root), then scale and shift."""

    def __init__(self, features, eps=1e-5):
        super().__init__()
        self.scale = _param(features)
        self.shift = _param(features)
        self.eps = eps

    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), self.scale, self.shift, self.eps)


class RMSNorm(nn.Module):
    """rmsnorm: x / sqrt(mean(x^2 over the last axis) + eps) * scale."""

    def __init__(self, features, eps=1e-6):
        super().__init__()
        self.scale = _param(features)
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(torch.mean(x * x, dim=-1, keepdim=True) + self.eps) * self.scale


class BatchNorm(nn.Module):
    """batchnorm: per channel (axis 1 of [N, C, H, W], else the last axis).

    Training uses the batch statistics (biased variance) and moves the running
    ones: r = momentum * r + (1 - momentum) * batch. Evaluation uses the running
    statistics. Under DistributedDataParallel each process uses its own batch.
    """

    def __init__(self, channels, rank, momentum=0.9, eps=1e-5):
        super().__init__()
        self.scale = _param(channels)
        self.shift = _param(channels)
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))
        self.axis = 1 if rank == 4 else rank - 1
        self.momentum, self.eps = momentum, eps

    def _per_channel(self, v, rank):
        shape = [1] * rank
        shape[self.axis] = -1
        return v.reshape(shape)

    def forward(self, x):
        rank = x.dim()
        if self.training:
            axes = tuple(i for i in range(rank) if i != self.axis)
            mean = torch.mean(x, dim=axes, keepdim=True)
            centered = x - mean
            var = torch.mean(centered * centered, dim=axes, keepdim=True)
            with torch.no_grad():
                self.running_mean.mul_(self.momentum).add_(mean.reshape(-1) * (1 - self.momentum))
                self.running_var.mul_(self.momentum).add_(var.reshape(-1) * (1 - self.momentum))
        else:
            centered = x - self._per_channel(self.running_mean, rank)
            var = self._per_channel(self.running_var, rank)
        y = centered * torch.rsqrt(var + self.eps)
        return y * self._per_channel(self.scale, rank) + self._per_channel(self.shift, rank)


class Embedding(nn.Module):
    """embedding: weight [vocab, dim] as nn.Embedding; ids outside [0, vocab) are an error."""

    def __init__(self, vocab, dim):
        super().__init__()
        self.weight = _param(vocab, dim)

    def forward(self, ids):
        return F.embedding(ids.long(), self.weight)


class Attention(nn.Module):
    """attention: multi-head self-attention over x [B, T, D], dnnc's projections (query, key, value, out; weights [in, out]).

    scores = q k^T / sqrt(dim / heads), -1e9 above the diagonal when causal,
    + (mask - 1) * 1e9 per key when a mask [B, T] is given (1 = attend).
    """

    def __init__(self, features, heads, dim=None, causal=False):
        super().__init__()
        dim = dim or features
        self.heads, self.dim, self.causal = heads, dim, causal
        self.query = Dense(features, dim)
        self.key = Dense(features, dim)
        self.value = Dense(features, dim)
        self.out = Dense(dim, features)

    def forward(self, x, mask=None):
        B, T, _ = x.shape
        H, Dh = self.heads, self.dim // self.heads

        def split(v):
            return v.reshape(B, T, H, Dh).permute(0, 2, 1, 3)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1 / math.sqrt(Dh))
        if self.causal:
            above = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1).to(x.dtype)
            scores = scores + above * -1e9
        if mask is not None:
            scores = scores + ((mask - 1) * 1e9).reshape(B, 1, 1, T)
        o = torch.matmul(F.softmax(scores, dim=-1), v)
        return self.out(o.permute(0, 2, 1, 3).reshape(B, T, self.dim))


class _Direction(nn.Module):
    """One direction of one recurrent layer: weight_ih [in, G*units], weight_hh [units, G*units], bias [G*units] (+ bias_hh for gru)."""

    def __init__(self, cell, in_features, units):
        super().__init__()
        gates = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
        self.weight_ih = _param(in_features, gates * units)
        self.weight_hh = _param(units, gates * units)
        self.bias = _param(gates * units)
        if cell == "gru":
            self.bias_hh = _param(gates * units)


class Recurrent(nn.Module):
    """rnn / lstm / gru over x [B, T, I], unrolled over T with shared weights, as dnnc computes them.

    rnn:  h = act(x W + h U + b)
    lstm: i, f, g, o = sigmoid(zi), sigmoid(zf + 1), act(zg), sigmoid(zo) of z = x W + h U + b;
          c = f c + i g; h = o act(c)
    gru:  z, r = sigmoid(xWz + hUz + bz + cz), sigmoid(xWr + hUr + br + cr);
          n = act(xWn + bn + r (hUn + cn)); h = (1 - z) n + z h
    The state starts at zero. `layers` stack; `bidirectional` adds a reversed
    pass whose states join the forward ones on the feature axis.
    return 'all' gives [B, T, units (x2)], 'last' the final state [B, units (x2)].
    """

    def __init__(self, cell, in_features, units, activation="tanh", return_="all", bidirectional=False, layers=1):
        super().__init__()
        self.cell, self.units, self.activation, self.return_ = cell, units, activation, return_
        self.bidirectional, self.layers = bidirectional, layers
        for l in range(layers):
            size = in_features if l == 0 else units * (2 if bidirectional else 1)
            host = self if layers == 1 else self._child(self, f"l{l}")
            self._weights(host, cell, size, units)
            if bidirectional:
                self._weights(self._child(host, "reverse"), cell, size, units)

    @staticmethod
    def _child(parent, name):
        m = nn.Module()
        parent.add_module(name, m)
        return m

    @staticmethod
    def _weights(host, cell, size, units):
        for name, p in _Direction(cell, size, units).named_parameters():
            host.register_parameter(name, p)

    def _run(self, host, x, reverse):
        B, T, _ = x.shape
        H = self.units
        h = x.new_zeros(B, H)
        c = x.new_zeros(B, H)
        out = [None] * T
        steps = range(T - 1, -1, -1) if reverse else range(T)
        for t in steps:
            xw = torch.matmul(x[:, t], host.weight_ih) + host.bias
            hu = torch.matmul(h, host.weight_hh)
            if self.cell == "rnn":
                h = activate(xw + hu, self.activation)
            elif self.cell == "lstm":
                zi, zf, zg, zo = (xw + hu).split(H, dim=-1)
                c = torch.sigmoid(zf + 1) * c + torch.sigmoid(zi) * activate(zg, self.activation)
                h = torch.sigmoid(zo) * activate(c, self.activation)
            else:
                xz, xr, xn = xw.split(H, dim=-1)
                hz, hr, hn = (hu + host.bias_hh).split(H, dim=-1)
                z, r = torch.sigmoid(xz + hz), torch.sigmoid(xr + hr)
                n = activate(xn + r * hn, self.activation)
                h = n + z * (h - n)
            out[t] = h
        return torch.stack(out, dim=1), h

    def forward(self, x):
        for l in range(self.layers):
            host = self if self.layers == 1 else getattr(self, f"l{l}")
            ys, last = self._run(host, x, False)
            if self.bidirectional:
                ys_r, last_r = self._run(host.reverse, x, True)
                ys, last = torch.cat([ys, ys_r], dim=-1), torch.cat([last, last_r], dim=-1)
            if l == self.layers - 1 and self.return_ == "last":
                return last
            x = ys
        return x


class Tensors(nn.Module):
    """The weights of a layer whose ops the forward spells out itself: parameters and buffers by dnnc's names below the layer."""

    def __init__(self, params=(), buffers=()):
        super().__init__()
        for name, shape in params:
            self._owner(name).register_parameter(name.rsplit(".", 1)[-1], _param(*shape))
        for name, shape in buffers:
            self._owner(name).register_buffer(name.rsplit(".", 1)[-1], torch.zeros(*shape))

    def _owner(self, name):
        m = self
        for part in name.split(".")[:-1]:
            if part not in m._modules:
                m.add_module(part, nn.Module())
            m = m._modules[part]
        return m


def init_weights(model, table):
    """Fills the weights as dnnc's initialisers do (same distributions; PyTorch's generator draws other numbers).

    table: {path below the model: (kind, a)} with kind zeros | ones | constant (a = value)
    | normal (a = std) | uniform (a = limit: U(-a, a)).
    """
    tensors = dict(model.named_parameters())
    tensors.update(dict(model.named_buffers()))
    with torch.no_grad():
        for path, (kind, a) in table.items():
            t = tensors[path]
            if kind == "zeros":
                t.zero_()
            elif kind == "ones":
                t.fill_(1.0)
            elif kind == "constant":
                t.fill_(a)
            elif kind == "normal":
                t.normal_(0.0, a)
            elif kind == "uniform":
                t.uniform_(-a, a)
            else:
                raise ValueError(f"unknown initialiser {kind!r} for {path}")
