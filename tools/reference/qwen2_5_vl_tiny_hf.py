#!/usr/bin/env python3
"""A tiny Qwen2.5-VL checkpoint built and saved by Hugging Face transformers itself.

Builds Qwen2_5_VLForConditionalGeneration from a Qwen2_5_VLConfig with corgi's "tiny"
preset shapes for the qwen2_5_vl family, fills it with deterministic weights from a
fixed torch seed (scaled so activations stay alive through every layer, unlike HF's
std-0.02 init), and writes it with `save_pretrained` in bfloat16, next to the tokenizer
and processor files of the real Qwen2.5-VL-7B-Instruct release.

    /work/venv-ref/bin/python tools/reference/qwen2_5_vl_tiny_hf.py \
        --out tests/data/golden_qwen2_5vl/hf_tiny_checkpoint

The fixtures are then computed in float32 from exactly these bf16 values
(tools/reference/qwen2_5_vl_reference.py). Never imported by the build or CI.
See tests/data/golden_qwen2_5vl/README.md.
"""

import argparse
import json
import math
import os
import shutil

import torch

SEED = 0

# The files copied from the real release (shared/data/tokenizer/qwen2.5-vl-7b-instruct).
TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt",
                   "chat_template.json", "preprocessor_config.json", "generation_config.json"]

TEXT = dict(
    hidden_size=32, num_hidden_layers=3, num_attention_heads=2, num_key_value_heads=1,
    intermediate_size=64, vocab_size=151936, rope_theta=1000000.0, rms_norm_eps=1e-6,
    max_position_embeddings=128000, rope_scaling={"type": "mrope", "mrope_section": [2, 3, 3]},
    hidden_act="silu", tie_word_embeddings=True, bos_token_id=151643, eos_token_id=151645,
)
VISION = dict(
    depth=4, hidden_size=32, num_heads=2, intermediate_size=64, patch_size=14,
    temporal_patch_size=2, spatial_merge_size=2, window_size=56, fullatt_block_indexes=[1, 3],
    out_hidden_size=32, hidden_act="silu", in_channels=3, tokens_per_second=2,
)
TOKENS = dict(bos_token_id=151643, eos_token_id=151645, vision_start_token_id=151652,
              vision_end_token_id=151653, image_token_id=151655, video_token_id=151656)

EMBED_STD = 0.5    # token embeddings (tied to lm_head): logits std ~ 0.5 * sqrt(32) ~ 2.8
BIAS_STD = 0.05    # every bias, including Qwen2's q/k/v biases
NORM_STD = 0.1     # RMSNorm weights: 1 + N(0, NORM_STD)
# o_proj and down_proj (text and vision) get OUT_GAIN/sqrt(fan_in): the sublayers then
# outweigh the token embedding in the residual stream. With plain 1/sqrt(fan_in) the
# tied embedding dominates and greedy decoding repeats one token.
OUT_GAIN = 4.0


def build_config():
    from transformers import Qwen2_5_VLConfig
    return Qwen2_5_VLConfig(text_config=dict(TEXT), vision_config=dict(VISION),
                            tie_word_embeddings=True, **TOKENS)


def init_weights(model, seed=SEED):
    """Deterministic weights: walks named_parameters in order with one torch.Generator.

    * ...embed_tokens.weight: N(0, EMBED_STD)
    * RMSNorm weights (names with 'norm' or 'ln_q'): 1 + N(0, NORM_STD)
    * biases: N(0, BIAS_STD)
    * other weights (Linear, the Conv3d patch embedding): N(0, 1/fan_in), fan_in = the
      product of every axis but the first (in_features, or C*T*P*P for the conv);
      N(0, (OUT_GAIN)^2/fan_in) for ...o_proj.weight and ...down_proj.weight.
    """
    g = torch.Generator().manual_seed(seed)
    seen = set()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if id(p) in seen:  # lm_head.weight is tied to embed_tokens
                continue
            seen.add(id(p))
            noise = torch.randn(p.shape, generator=g, dtype=torch.float32)
            if name.endswith("embed_tokens.weight"):
                value = noise * EMBED_STD
            elif name.endswith(".bias"):
                value = noise * BIAS_STD
            elif "norm" in name or "ln_q" in name:
                assert p.dim() == 1, name
                value = 1.0 + noise * NORM_STD
            else:
                assert p.dim() >= 2, name
                fan_in = math.prod(p.shape[1:])
                gain = OUT_GAIN if name.endswith(("o_proj.weight", "down_proj.weight")) else 1.0
                value = noise * (gain / math.sqrt(fan_in))
            p.copy_(value)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="checkpoint dir to write")
    ap.add_argument("--tokenizer", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                        "../../../shared/data/tokenizer/qwen2.5-vl-7b-instruct"),
                    help="dir with the real release's tokenizer and processor files")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()

    from transformers import AutoProcessor, Qwen2_5_VLForConditionalGeneration

    torch.manual_seed(args.seed)
    config = build_config()
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    init_weights(model, args.seed)
    assert model.lm_head.weight.data_ptr() == model.model.language_model.embed_tokens.weight.data_ptr()
    model = model.to(torch.bfloat16)

    os.makedirs(args.out, exist_ok=True)
    model.save_pretrained(args.out, safe_serialization=True)
    for f in TOKENIZER_FILES:
        # generation_config.json too: the release's (do_sample, repetition_penalty 1.05),
        # replacing the one save_pretrained wrote. The reference overrides it to plain greedy.
        shutil.copyfile(os.path.join(args.tokenizer, f), os.path.join(args.out, f))

    processor = AutoProcessor.from_pretrained(args.out)
    print("processor:", type(processor).__name__, type(processor.image_processor).__name__,
          "len(tokenizer) =", len(processor.tokenizer))

    from safetensors import safe_open
    with safe_open(os.path.join(args.out, "model.safetensors"), "pt") as f:
        names = sorted(f.keys())
        dtypes = {f.get_slice(n).get_dtype() for n in names}
    print(f"{len(names)} tensors, dtypes {sorted(dtypes)}; e.g.")
    for n in names[:3] + names[-3:]:
        print("  ", n)
    with open(os.path.join(args.out, "config.json")) as fh:
        print("config.json keys:", sorted(json.load(fh)))


if __name__ == "__main__":
    main()
