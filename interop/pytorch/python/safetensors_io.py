"""safetensors files with json, struct and numpy (no safetensors package needed).

Layout: 8 bytes little-endian header length N, N bytes of UTF-8 JSON
{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}},
then the data area, each tensor row-major little-endian.

The reader checks what dnnc's reader checks before trusting the file: the
header length against the file size, the JSON, known dtypes, shapes and
offsets that tile the data area exactly. F16, BF16 and F64 are converted to
float32 on read (as dnnc does); I64 and other dtypes are refused.
"""
import json
import struct

import numpy as np

_DTYPES = {
    "F32": np.dtype("<f4"),
    "I32": np.dtype("<i4"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("u1"),
    "F16": np.dtype("<f2"),
    "F64": np.dtype("<f8"),
    "BF16": np.dtype("<u2"),
}
_CONVERTED = {"F16", "F64", "BF16"}
MAX_HEADER_BYTES = 100_000_000


class SafetensorsError(ValueError):
    """A file that is not valid safetensors, or tensors that cannot be written."""


def read(path):
    """(tensors, metadata): numpy arrays by name (F32, I32, U8/BOOL as uint8) and the string metadata."""
    with open(path, "rb") as f:
        data = f.read()
    return parse(data, str(path))


def parse(data, source="safetensors data"):
    def fail(why):
        raise SafetensorsError(f"{source}: not a valid safetensors file: {why}")

    if len(data) < 8:
        fail(f"it holds {len(data)} byte(s), fewer than the 8 of the header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        fail(f"the header length says {n} bytes, but only {len(data) - 8} follow")
    if n > MAX_HEADER_BYTES:
        fail(f"the header length {n} exceeds the limit of {MAX_HEADER_BYTES} bytes")
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        fail(f"the header is not UTF-8 JSON ({e})")
    if not isinstance(header, dict):
        fail("the header is not a JSON object")
    metadata = header.pop("__metadata__", {}) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        fail("__metadata__ must map names to strings")
    body = memoryview(data)[8 + n :]
    spans = []
    for name, entry in header.items():
        if not isinstance(entry, dict):
            fail(f"tensor {name!r} is not described by an object")
        dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if dtype not in _DTYPES:
            fail(f"tensor {name!r} has dtype {dtype!r}, which is not supported (supported: {', '.join(_DTYPES)})")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            fail(f"tensor {name!r} has a shape that is not a list of non-negative integers")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(isinstance(o, int) and o >= 0 for o in offsets):
            fail(f"tensor {name!r} has data_offsets that are not a pair of non-negative integers")
        begin, end = offsets
        if begin > end or end > len(body):
            fail(f"tensor {name!r} has data_offsets [{begin}, {end}] outside the data area of {len(body)} bytes")
        want = int(np.prod(shape, dtype=np.int64)) * _DTYPES[dtype].itemsize
        if want != end - begin:
            fail(f"tensor {name!r} is {dtype}{shape}, which needs {want} bytes, but its data_offsets span {end - begin}")
        spans.append((begin, end, name, dtype, shape))
    spans.sort()
    at = 0
    for begin, end, name, _, _ in spans:
        if begin != at:
            fail(f"tensor {name!r} does not start where the one before it ends (byte {at})")
        at = end
    if at != len(body):
        fail(f"the tensors cover {at} bytes of the data area, but it holds {len(body)}")
    tensors = {}
    for begin, end, name, dtype, shape in spans:
        raw = np.frombuffer(body[begin:end], dtype=_DTYPES[dtype]).reshape(shape)
        if dtype == "BF16":
            # bfloat16 is the top half of a float32
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = raw.astype(np.float32) if dtype in _CONVERTED else raw.copy()
    return tensors, dict(metadata)


_WRITE = {np.dtype("float32"): "F32", np.dtype("int32"): "I32", np.dtype("uint8"): "U8", np.dtype("bool"): "BOOL"}


def serialize(tensors, metadata=None):
    """The bytes of a file holding `tensors` (name -> numpy array: float32, int32, uint8 or bool) in the given order."""
    header, chunks, offset = {}, [], 0
    if metadata:
        if not all(isinstance(v, str) for v in metadata.values()):
            raise SafetensorsError("safetensors metadata values must be strings")
        header["__metadata__"] = dict(metadata)
    for name, array in tensors.items():
        a = np.ascontiguousarray(array)
        if a.dtype not in _WRITE:
            raise SafetensorsError(f"cannot write tensor {name!r} of dtype {a.dtype} (float32, int32, uint8 or bool)")
        raw = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _WRITE[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)  # the data area starts 8-byte aligned
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def write(path, tensors, metadata=None):
    """Writes atomically: a temporary file beside `path`, flushed, then renamed over it."""
    import os
    import tempfile

    data = serialize(tensors, metadata)
    folder = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
