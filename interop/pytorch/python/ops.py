"""dnnc ops whose PyTorch functions have other edge semantics, spelt out.

pads are (top, left, bottom, right) and may differ per side (TensorFlow's
'same' puts the odd pixel at the end); PyTorch's own padding arguments are
symmetric.
"""
import torch
import torch.nn.functional as F


def _pad(x, pads, value=0.0):
    top, left, bottom, right = pads
    if top == bottom and left == right and value == 0.0:
        return x, (top, left)
    return F.pad(x, (left, right, top, bottom), value=value), (0, 0)


def conv2d(x, w, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    x, padding = _pad(x, pads)
    return F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)


def conv_transpose2d(x, w, stride=(1, 1), pads=(0, 0, 0, 0), output_padding=(0, 0), dilation=(1, 1), groups=1):
    """The full transposed convolution, cropped by pads; output_padding rows beyond it are zeros (before the bias)."""
    y = F.conv_transpose2d(x, w, stride=stride, padding=0, dilation=dilation, groups=groups)
    top, left, bottom, right = pads
    H = y.shape[2] - top - bottom + output_padding[0]
    W = y.shape[3] - left - right + output_padding[1]
    extra_h = max(0, top + H - y.shape[2])
    extra_w = max(0, left + W - y.shape[3])
    if extra_h or extra_w:
        y = F.pad(y, (0, extra_w, 0, extra_h))
    return y[:, :, top : top + H, left : left + W]


def max_pool2d(x, kernel, stride, pads=(0, 0, 0, 0)):
    """Padding never wins the max."""
    x, padding = _pad(x, pads, value=float("-inf"))
    return F.max_pool2d(x, kernel, stride, padding=padding)


def avg_pool2d(x, kernel, stride, pads=(0, 0, 0, 0)):
    """The mean over the window's pixels inside the image (padding not counted)."""
    if not any(pads):
        return F.avg_pool2d(x, kernel, stride)
    top, left, bottom, right = pads
    side = (left, right, top, bottom)
    total = F.avg_pool2d(F.pad(x, side), kernel, stride)
    count = F.avg_pool2d(F.pad(torch.ones_like(x[:1, :1]), side), kernel, stride)
    return total / count


def one_hot(ids, depth):
    """f32 [..., depth] with a 1 at each id; ids outside [0, depth) give all zeros."""
    return (ids.long().unsqueeze(-1) == torch.arange(depth, device=ids.device)).to(torch.float32)


def iota(shape, axis=0, dtype=torch.float32, device=None):
    """The index along `axis`, as a tensor of `shape`."""
    axis = axis % len(shape)
    line = torch.arange(shape[axis], dtype=dtype, device=device)
    view = [1] * len(shape)
    view[axis] = -1
    return line.reshape(view).expand(shape)


def softmax_cross_entropy(x, label):
    """Per row: logsumexp(x) - x[label]; a label outside [0, classes) gives 0."""
    classes = x.shape[-1]
    valid = (label >= 0) & (label < classes)
    picked = torch.gather(x, -1, label.long().clamp(0, classes - 1).unsqueeze(-1)).squeeze(-1)
    return torch.where(valid, torch.logsumexp(x, dim=-1) - picked, torch.zeros_like(picked))
