"""Constant tensors of the models too large to write into model.py (sinusoidal position tables), read once from constants.safetensors."""
import os

import torch

import safetensors_io

_tensors = None


def load(name):
    global _tensors
    if _tensors is None:
        _tensors, _ = safetensors_io.read(os.path.join(os.path.dirname(os.path.abspath(__file__)), "constants.safetensors"))
    return torch.from_numpy(_tensors[name].copy())
