#!/usr/bin/env python3
"""Writes a float32 checkpoint whose text-decoder weights are a quantized GGUF's, decoded.

For accuracy studies (docs/QUANTIZATION.md, "Accuracy"): corgi runs the result in float32
like any checkpoint, so `corgi bench accuracy -m MODEL --quantized OUT` measures the GGUF's
weight error alone, in the same engine and on the same positions as corgi's own formats
decoded by `corgi quantize --type q8|q4 --decoded`. Engine differences (int8 activations,
KV cache precision, how each tool computes KL) drop out of the comparison.

  decode-gguf.py --gguf Q4_K_M.gguf --model MODEL_DIR --out OUT_DIR

MODEL_DIR is the Hugging Face checkpoint the GGUF was converted from (llama.cpp's
convert_hf_to_gguf.py, text model). Every tensor the GGUF stores quantized is decoded with
gguf-py's dequantizer and replaces the same tensor of MODEL_DIR; everything else (vision
tower, norms, configs, tokenizer) is copied. Each decoded tensor is checked against the
original (relative RMS error below 0.25), which catches a wrong name or layout mapping.
Needs numpy, torch, safetensors and llama.cpp's gguf-py (--gguf-py, or on PYTHONPATH).
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--model", required=True, help="the Hugging Face checkpoint the GGUF came from")
    ap.add_argument("--out", required=True)
    ap.add_argument("--gguf-py", default="", help="llama.cpp's gguf-py folder")
    a = ap.parse_args()
    if a.gguf_py:
        sys.path.insert(0, a.gguf_py)
    import gguf
    from gguf.quants import dequantize
    import torch
    from safetensors.torch import load_file, save_file

    reader = gguf.GGUFReader(a.gguf)
    by_name = {t.name: t for t in reader.tensors}
    config = json.load(open(os.path.join(a.model, "config.json")))
    text = config.get("text_config", config)
    layers = int(text["num_hidden_layers"])
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.QWEN3VL, layers)
    float_types = {gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16, gguf.GGMLQuantizationType.BF16}

    def gguf_name(hf):
        for cand in (hf, hf.replace("model.language_model.", "model."), hf.replace("language_model.", "")):
            n = names.get_name(cand, try_suffixes=(".weight", ".bias"))
            if n is not None:
                return n
        return None

    os.makedirs(a.out, exist_ok=True)
    files = sorted(f for f in os.listdir(a.model) if f.endswith(".safetensors"))
    decoded = 0
    used = set()
    report = {}
    for f in files:
        tensors = load_file(os.path.join(a.model, f))
        out = {}
        for hf, value in tensors.items():
            g = gguf_name(hf)
            t = by_name.get(g) if g else None
            if t is None or t.tensor_type in float_types:
                out[hf] = value
                continue
            w = dequantize(t.data, t.tensor_type).astype(np.float32)
            if w.size != value.numel():
                sys.exit(f"error: {hf} has {value.numel()} values, {g} decodes to {w.size}")
            w = w.reshape(tuple(value.shape))
            ref = value.float().numpy()
            rel = float(np.sqrt(np.mean((w - ref) ** 2) / max(np.mean(ref ** 2), 1e-30)))
            if not rel < 0.25:
                sys.exit(f"error: {hf} decoded from {g} is {rel:.3f} away from the original: wrong mapping?")
            out[hf] = torch.from_numpy(np.ascontiguousarray(w))
            used.add(g)
            decoded += 1
            report.setdefault(t.tensor_type.name, []).append(round(rel, 5))
        save_file(out, os.path.join(a.out, f), metadata={"format": "pt", "decoded_from": os.path.basename(a.gguf)})
    quantized = [t.name for t in reader.tensors if t.tensor_type not in float_types]
    missing = sorted(set(quantized) - used)
    if missing:
        sys.exit(f"error: quantized GGUF tensors without a checkpoint tensor: {missing[:5]}")
    for f in os.listdir(a.model):
        src = os.path.join(a.model, f)
        if os.path.isfile(src) and not f.endswith(".safetensors"):
            shutil.copyfile(src, os.path.join(a.out, f))
    for k, v in sorted(report.items()):
        print(f"{k}: {len(v)} tensors, relative RMS error {min(v)}..{max(v)}")
    print(f"wrote {a.out}: {decoded} tensors decoded from {a.gguf}")


if __name__ == "__main__":
    main()
