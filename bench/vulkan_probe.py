#!/usr/bin/env python3
"""Asks the Vulkan driver named by an ICD manifest whether it will start, without
the Vulkan loader: prints ONE line of JSON. For bench/gpu-device.sh, so that a
GPU machine without a usable Vulkan driver says why Dawn finds no adapter.

It dlopens the manifest's library_path and calls the two entry points every
driver exports for the loader (vk_icdNegotiateLoaderICDInterfaceVersion,
vk_icdGetInstanceProcAddr(NULL, "vkCreateInstance")).
Usage: python3 bench/vulkan_probe.py ICD_JSON
"""
import ctypes
import json
import os
import sys

VK_RESULTS = {0: "VK_SUCCESS", -3: "VK_ERROR_INITIALIZATION_FAILED", -9: "VK_ERROR_INCOMPATIBLE_DRIVER"}


def main() -> None:
    out = {"icd": sys.argv[1] if len(sys.argv) > 1 else None}
    try:
        with open(out["icd"]) as f:
            lib = json.load(f)["ICD"]["library_path"]
        if "/" in lib and not lib.startswith("/"):
            # the loader's rule: a relative path with a slash is relative to the manifest
            lib = os.path.join(os.path.dirname(os.path.abspath(out["icd"])), lib)
        out["library"] = lib
        h = ctypes.CDLL(lib, mode=ctypes.RTLD_LOCAL)
        neg = h.vk_icdNegotiateLoaderICDInterfaceVersion
        neg.argtypes = [ctypes.POINTER(ctypes.c_uint32)]
        neg.restype = ctypes.c_int32
        version = ctypes.c_uint32(7)
        r = neg(ctypes.byref(version))
        out["negotiate"] = {"result": VK_RESULTS.get(r, r), "interface_version": version.value}
        gipa = h.vk_icdGetInstanceProcAddr
        gipa.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        gipa.restype = ctypes.c_void_p
        out["vkCreateInstance"] = bool(gipa(None, b"vkCreateInstance"))
        out["ok"] = r == 0 and out["vkCreateInstance"]
        if not out["ok"]:
            out["diagnosis"] = "the driver refuses to start Vulkan before any device is opened (its graphics/Vulkan part is not usable on this machine); Dawn will find no adapter"
    except Exception as e:  # noqa: BLE001
        out["ok"] = False
        out["error"] = f"{type(e).__name__}: {e}"
    print(json.dumps(out))


if __name__ == "__main__":
    main()
