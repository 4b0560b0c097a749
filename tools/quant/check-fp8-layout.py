#!/usr/bin/env python3
"""Checks an FP8 checkpoint written by corgi (model/fp8_synthetic.h) against transformers.

Run by hand, not in CI, with a Python that has torch, transformers (4.57 was used) and
accelerate (transformers' FP8 integration needs it; `pip install --target DIR accelerate` and
PYTHONPATH=DIR work without touching the environment):

    /work/llama/venv/bin/python tools/quant/check-fp8-layout.py FP8_DIR [--source FLOAT_DIR]

What it verifies:
  1. transformers parses config.json's quantization_config (FineGrainedFP8Config).
  2. The Qwen3-VL model that transformers builds for this config (on the meta device, with
     its FineGrainedFP8 quantizer replacing nn.Linear by FP8Linear exactly as from_pretrained
     does) expects exactly the checkpoint's tensor names, shapes and dtypes: F8_E4M3 weights,
     F32 weight_scale_inv [ceil(N/bn), ceil(K/bk)], everything else in its float dtype.
  3. from_pretrained loads the checkpoint with no missing, unexpected or mismatched keys.
     transformers 4.57 refuses FP8 without a GPU (validate_environment), so the script
     bypasses that check: loading is pure tensor copying; FP8Linear.forward (Triton) is
     never called.
  4. With --source (the float checkpoint it was made from): re-quantizing each converted
     weight with torch — per block scale = amax/448, (w / scale).clamp(±448).to(float8_e4m3fn)
     — gives the same bytes and scales as corgi wrote, and torch's dequantization
     w.float() * scale (what corgi's DequantizeFp8 computes) is within fp8 precision of the
     source. Tensors corgi did not convert must be bit-identical to the source.
Exit status 0 when every check passes.
"""
import argparse
import json
import math
import os
import sys

import torch
from safetensors import safe_open


def load_tensors(path):
    """name -> tensor for a checkpoint directory (single file or sharded)."""
    index = os.path.join(path, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    out = {}
    for f in files:
        with safe_open(os.path.join(path, f), framework="pt") as st:
            for name in st.keys():
                out[name] = st.get_tensor(name)
    return out


def expected_state(path):
    """The names, shapes and dtypes transformers' FP8 Qwen3-VL expects, built on meta."""
    from transformers import AutoConfig, Qwen3VLForConditionalGeneration
    from transformers.quantizers.quantizer_finegrained_fp8 import FineGrainedFP8HfQuantizer
    from transformers.utils.quantization_config import FineGrainedFP8Config

    config = AutoConfig.from_pretrained(path)
    qconfig = FineGrainedFP8Config.from_dict(config.quantization_config)
    with torch.device("meta"):
        model = Qwen3VLForConditionalGeneration(config).to(torch.bfloat16)
    quantizer = FineGrainedFP8HfQuantizer(qconfig, pre_quantized=True)
    quantizer._process_model_before_weight_loading(model)
    return qconfig, {k: (tuple(v.shape), v.dtype) for k, v in model.state_dict().items()}


def check_names(path, tensors, failures):
    qconfig, expected = expected_state(path)
    print(f"quantization_config: block {qconfig.weight_block_size}, activations {qconfig.activation_scheme}, "
          f"{len(qconfig.modules_to_not_convert or [])} modules not converted")
    tied = "lm_head.weight" in expected and "lm_head.weight" not in tensors
    for name, (shape, dtype) in sorted(expected.items()):
        if name == "lm_head.weight" and tied:
            continue
        if name not in tensors:
            failures.append(f"missing in checkpoint: {name}")
            continue
        t = tensors[name]
        # Float tensors load into the model's dtype; FP8 weights and scales must match exactly.
        strict = dtype in (torch.float8_e4m3fn,) or name.endswith("weight_scale_inv")
        if tuple(t.shape) != shape or (strict and t.dtype != dtype):
            failures.append(f"{name}: checkpoint {t.dtype} {tuple(t.shape)}, transformers expects {dtype} {shape}")
    for name in sorted(set(tensors) - set(expected)):
        failures.append(f"unexpected in checkpoint: {name}")
    fp8 = [n for n, (_, d) in expected.items() if d == torch.float8_e4m3fn]
    print(f"names/shapes/dtypes: {len(expected)} expected tensors, {len(fp8)} FP8 weights")


def check_from_pretrained(path, tensors, failures):
    from transformers import Qwen3VLForConditionalGeneration
    from transformers.quantizers.quantizer_finegrained_fp8 import FineGrainedFP8HfQuantizer

    FineGrainedFP8HfQuantizer.validate_environment = lambda self, *a, **k: None  # CPU: load only
    # float32: with dtype=bfloat16, transformers 4.57 also casts weight_scale_inv to bf16.
    try:
        model, info = Qwen3VLForConditionalGeneration.from_pretrained(
            path, dtype=torch.float32, device_map="cpu", output_loading_info=True)
    except Exception as e:  # a shape mismatch raises instead of being reported
        failures.append(f"from_pretrained failed: {str(e).strip().splitlines()[-1]}")
        return
    for key in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs"):
        if info.get(key):
            failures.append(f"from_pretrained {key}: {list(info[key])[:8]}")
    state = model.state_dict()
    fp8_modules = 0
    for name, t in tensors.items():
        if t.dtype == torch.float8_e4m3fn:
            fp8_modules += 1
            loaded = state.get(name)
            if loaded is None or loaded.dtype != t.dtype or not torch.equal(loaded.view(torch.uint8), t.view(torch.uint8)):
                failures.append(f"from_pretrained changed {name}")
        elif name.endswith("weight_scale_inv"):
            loaded = state.get(name)
            if loaded is None or not torch.equal(loaded, t):
                failures.append(f"from_pretrained changed {name}")
    linears = sum(type(m).__name__ == "FP8Linear" for m in model.modules())
    if linears != fp8_modules:
        failures.append(f"transformers made {linears} FP8Linear modules for {fp8_modules} FP8 weights")
    print(f"from_pretrained: {type(model).__name__} with {linears} FP8Linear modules, "
          f"loading info {({k: len(v) for k, v in info.items()})}")


def blocks(scale, n, k, bn, bk):
    return scale.repeat_interleave(bn, 0)[:n].repeat_interleave(bk, 1)[:, :k]


def check_values(tensors, source, bn, bk, failures):
    converted = 0
    worst = 0.0
    for name, t in sorted(tensors.items()):
        if name.endswith("weight_scale_inv"):
            continue
        if t.dtype != torch.float8_e4m3fn:
            if name not in source or not torch.equal(t.view(-1).view(torch.uint8), source[name].view(-1).view(torch.uint8)):
                failures.append(f"{name}: not a byte copy of the source")
            continue
        converted += 1
        w = source[name].float()
        n, k = w.shape
        scale = tensors[name + "_scale_inv"]
        if tuple(scale.shape) != (math.ceil(n / bn), math.ceil(k / bk)):
            failures.append(f"{name}: weight_scale_inv {tuple(scale.shape)} does not fit {bn}x{bk} blocks")
            continue
        # torch's own quantization of the source, the official recipe.
        padded = torch.zeros(math.ceil(n / bn) * bn, math.ceil(k / bk) * bk)
        padded[:n, :k] = w
        amax = padded.view(padded.shape[0] // bn, bn, padded.shape[1] // bk, bk).abs().amax(dim=(1, 3))
        ref_scale = torch.where(amax > 0, amax / 448.0, torch.ones_like(amax))
        if not torch.equal(ref_scale, scale):
            failures.append(f"{name}: weight_scale_inv differs from torch's amax/448 "
                            f"(max diff {(ref_scale - scale).abs().max().item():g})")
        ref_codes = (w / blocks(ref_scale, n, k, bn, bk)).clamp(-448.0, 448.0).to(torch.float8_e4m3fn)
        same = (ref_codes.view(torch.uint8) == t.view(torch.uint8))
        if not bool(same.all()):
            failures.append(f"{name}: {int((~same).sum())} of {same.numel()} fp8 codes differ from torch's cast")
        deq = t.float() * blocks(scale, n, k, bn, bk)  # = corgi's DequantizeFp8
        bound = w.abs() / 16 + blocks(scale, n, k, bn, bk) * 2.0 ** -10
        excess = (deq - w).abs() - bound
        if bool((excess > 0).any()):
            failures.append(f"{name}: dequantized value off by more than fp8 precision")
        worst = max(worst, ((deq - w).norm() / w.norm().clamp_min(1e-30)).item())
    print(f"values: {converted} FP8 weights re-quantized by torch, worst relative dequantization error {worst:.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fp8_dir")
    parser.add_argument("--source", help="the float checkpoint the FP8 one was written from")
    args = parser.parse_args()

    failures = []
    tensors = load_tensors(args.fp8_dir)
    q = json.load(open(os.path.join(args.fp8_dir, "config.json")))["quantization_config"]
    bn, bk = q["weight_block_size"]
    check_names(args.fp8_dir, tensors, failures)
    check_from_pretrained(args.fp8_dir, tensors, failures)
    if args.source:
        check_values(tensors, load_tensors(args.source), bn, bk, failures)
    for f in failures:
        print("FAIL", f)
    print("OK" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
