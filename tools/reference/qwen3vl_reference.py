#!/usr/bin/env python3
"""Hugging Face transformers reference fixtures for corgi's Qwen3-VL engine.

Runs Qwen3VLForConditionalGeneration (CPU, float32, eager attention) on a checkpoint
written by `corgi make-model` and saves, per case, the inputs and every intermediate
stage under the names corgi's StageObserver / `corgi generate --dump` uses, so that
src/model/qwen3vl/golden_test.cc can compare stage by stage.

    /work/venv-ref/ref/bin/python tools/reference/qwen3vl_reference.py \
        --model /tmp/corgi-tiny-f32 --out tests/data/golden

Never imported by the build or CI; the committed .npy files are what CI reads.
See tests/data/golden/README.md for versions and how to regenerate.
"""

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

# Padding rows of the 151936-row embedding: no tokenizer entry maps to them, and corgi
# never samples them (Model::sampleable_vocab()). The reference suppresses them too.
FIRST_PADDING_ID = 151669
NEW_TOKENS = 16

# Case (a): two images of different aspect ratios, text before, between and after.
# Both sizes are multiples of 32 with area >= 65536, so smart_resize keeps them as they
# are: no resampling, and both sides normalize the very same uint8 pixels.
SQUARE_IMAGE = "images/qwen3_vl_jax_256/f35_takeoff.png"  # 256x256, under shared/data
WIDE_SOURCE = "images/qwen_cookbook/qwen3-vl-era/omni_recognition/sample-bird.jpg"  # 1920x1080
WIDE_IMAGE = "wide_384x192.png"  # written into --out
WIDE_SIZE = (384, 192)  # (width, height)

TEXT_BEFORE = "Compare the first picture "
TEXT_BETWEEN = " with the second one, "
TEXT_AFTER = "and list three differences."
TEXT_ONLY = "Write a short poem about a corgi named Café, in 3 lines."


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def render_chat(parts):
    """corgi's rendering (spec §3.5): one user turn, no system prompt, generation prompt."""
    body = "".join("<|vision_start|><|image_pad|><|vision_end|>" if p is None else p for p in parts)
    return "<|im_start|>user\n" + body + "<|im_end|>\n<|im_start|>assistant\n"


def make_wide_image(shared, out_dir):
    path = os.path.join(out_dir, WIDE_IMAGE)
    if not os.path.exists(path):
        src = Image.open(os.path.join(shared, WIDE_SOURCE)).convert("RGB")
        src.resize(WIDE_SIZE, Image.Resampling.BICUBIC).save(path, optimize=True)
    return path


class StageRecorder:
    """Hooks on the HF modules that capture each corgi stage during one prefill forward."""

    def __init__(self, model):
        self.stages = {}
        self.handles = []
        self.model = model
        visual = model.model.visual
        text = model.model.language_model
        self._hook(visual.patch_embed, "vision.patch_embed")
        self.handles.append(visual.pos_embed.register_forward_hook(self._pos_embed_hook))
        for i, blk in enumerate(visual.blocks):
            self._hook(blk, f"vision.block{i}.out")
        for k, m in enumerate(visual.deepstack_merger_list):
            self._hook(m, f"vision.deepstack{k}")
        self._hook(visual.merger, "vision.merger")
        # The decoder layer's input is the residual stream; HF adds DeepStack after a
        # layer returns, so layer i's output *with* DeepStack is layer i+1's input (or
        # the final norm's input for the last layer).
        layers = text.layers
        self.handles.append(layers[0].register_forward_pre_hook(self._pre("text.embeds"), with_kwargs=True))
        for i in range(len(layers)):
            nxt = layers[i + 1] if i + 1 < len(layers) else text.norm
            self.handles.append(nxt.register_forward_pre_hook(self._pre(f"text.layer{i}.out"), with_kwargs=True))
        self.handles.append(text.norm.register_forward_hook(self._norm_hook))
        self.handles.append(text.rotary_emb.register_forward_pre_hook(self._rotary_hook, with_kwargs=True))
        self._grid_thw = None

    def _put(self, name, tensor):
        self.stages[name] = tensor.detach().to(torch.float32).cpu().numpy().copy()

    def _hook(self, module, name):
        def fn(_m, _inp, out):
            self._put(name, out)
        self.handles.append(module.register_forward_hook(fn))

    def _pre(self, name):
        def fn(_m, args, kwargs):
            x = args[0] if args else kwargs["hidden_states"]
            self._put(name, x[0])  # drop the batch axis: [S, D]
        return fn

    def _norm_hook(self, _m, _inp, out):
        self._put("text.norm", out[0, -1:])  # [1, D]: the last position only

    def _rotary_hook(self, _m, args, kwargs):
        pos = args[1] if len(args) > 1 else kwargs["position_ids"]
        self.stages["_rotary_positions"] = pos.detach().cpu().numpy().copy()

    def _pos_embed_hook(self, _m, inp, out):
        # pos_embed(indices) is [Np, 4, Hv]; HF then weights and sums the 4 taps. Redo that
        # sum with HF's own weights so the stage is exactly what HF adds.
        from transformers.vision_utils import get_vision_interpolation_indices_and_weights
        visual = self.model.model.visual
        idx, w = get_vision_interpolation_indices_and_weights(
            self._grid_thw, num_grid_per_side=visual.num_grid_per_side, mode=visual.interpolation_mode,
            align_corners=visual.interpolation_align_corners, spatial_merge_size=visual.config.spatial_merge_size)
        assert torch.equal(idx, inp[0]), "interpolation indices changed between calls"
        self._put("vision.pos_embed", (out * w[:, :, None]).sum(1))

    def close(self):
        for h in self.handles:
            h.remove()


def save(out_dir, case, name, array):
    os.makedirs(os.path.join(out_dir, case), exist_ok=True)
    np.save(os.path.join(out_dir, case, name + ".npy"), np.ascontiguousarray(array))


def checkpoint_probe(model_dir):
    """First value, last value and float64 sum of every tensor, so the C++ test can tell
    that the checkpoint it writes is the one these fixtures were made from."""
    from safetensors.numpy import load_file
    tensors = load_file(os.path.join(model_dir, "model.safetensors"))
    probe = {}
    for name in sorted(tensors):
        t = tensors[name].astype(np.float32).reshape(-1)
        probe[name] = [float(t[0]), float(t[-1]), float(t.astype(np.float64).sum())]
    return probe


def run_case(model, processor, out_dir, case, parts, images):
    prompt = render_chat(parts)
    inputs = processor(text=[prompt], images=images or None, return_tensors="pt")
    notes = {"prompt": prompt}

    # The processor's own chat template must give the same ids.
    content = [{"type": "image"} if p is None else {"type": "text", "text": p} for p in parts]
    templated = processor.apply_chat_template([{"role": "user", "content": content}], tokenize=False,
                                              add_generation_prompt=True)
    notes["processor_template_matches"] = templated == prompt
    if templated != prompt:
        print(f"[{case}] NOTE: processor chat template differs:\n{templated!r}\nvs\n{prompt!r}", file=sys.stderr)

    ids = inputs["input_ids"]
    save(out_dir, case, "input_ids", ids[0].to(torch.int64).numpy())
    grid = inputs.get("image_grid_thw")
    if grid is not None:
        save(out_dir, case, "image_grid_thw", grid.to(torch.int64).numpy())
        pv = inputs["pixel_values"].to(torch.float32)
        save(out_dir, case, "pixel_values.head", pv[:4].numpy())            # [4, 1536]
        save(out_dir, case, "pixel_values.row_sums", pv.double().sum(1).float().numpy())  # [Np]

    # Prefill forward with every stage captured.
    rec = StageRecorder(model)
    rec._grid_thw = grid
    model.model.rope_deltas = None
    with torch.no_grad():
        out = model(**inputs, use_cache=False)
    rec.close()
    stages = rec.stages
    rotary_pos = stages.pop("_rotary_positions")  # [3, 1, S] (or [4, 1, S] text-only)

    mm = inputs.get("mm_token_type_ids", torch.zeros_like(ids))
    positions, delta = model.model.get_rope_index(ids, mm, image_grid_thw=grid)
    positions = positions[:, 0]  # [3, S]
    used = torch.as_tensor(rotary_pos)
    used = used[-3:, 0] if used.dim() == 3 else used[0].expand(3, -1)
    assert torch.equal(used.to(positions.dtype), positions), "forward used other positions than get_rope_index"
    stages["text.positions"] = positions.to(torch.float32).numpy()
    save(out_dir, case, "rope_delta", np.array([int(delta.reshape(-1)[0])], dtype=np.int64))

    logits = out.logits[0, -1:].to(torch.float32)  # [1, V]
    stages["logits.prefill_last"] = logits.numpy()
    for name, arr in stages.items():
        save(out_dir, case, name, arr.astype(np.float32))

    # 16 greedy tokens: EOS disabled (no early stop and, unlike min_new_tokens, no EOS
    # suppression: corgi's ignore_eos samples EOS like any other token), padding rows off.
    model.model.rope_deltas = None
    with torch.no_grad():
        gen = model.generate(**inputs, do_sample=False, max_new_tokens=NEW_TOKENS, min_new_tokens=0,
                             eos_token_id=None, pad_token_id=151643, temperature=None, top_p=None, top_k=None,
                             suppress_tokens=list(range(FIRST_PADDING_ID, model.config.text_config.vocab_size)))
    tokens = gen[0, ids.shape[1]:].to(torch.int64).numpy()
    assert tokens.shape[0] == NEW_TOKENS, tokens.shape
    masked = logits[0].clone()
    masked[FIRST_PADDING_ID:] = -float("inf")
    assert int(masked.argmax()) == int(tokens[0]), "first generated token is not the prefill argmax"
    save(out_dir, case, "generated_tokens", tokens)
    notes["tokens"] = tokens.tolist()
    notes["text"] = processor.tokenizer.decode(tokens.tolist())
    notes["prompt_tokens"] = int(ids.shape[1])
    notes["stages"] = {k: list(v.shape) for k, v in sorted(stages.items())}
    return notes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="checkpoint dir from `corgi make-model`")
    ap.add_argument("--out", required=True, help="fixture dir, e.g. tests/data/golden")
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "../../../shared/data"),
                    help="shared/data (for the sample images)")
    ap.add_argument("--images", nargs=2, metavar=("SQUARE", "WIDE"),
                    help="override the two images of case a (use sizes that need no resize)")
    args = ap.parse_args()

    import transformers
    import torchvision
    import PIL
    from transformers import AutoProcessor, Qwen3VLForConditionalGeneration

    torch.manual_seed(0)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    os.makedirs(args.out, exist_ok=True)
    model = Qwen3VLForConditionalGeneration.from_pretrained(args.model, dtype=torch.float32,
                                                            attn_implementation="eager").eval()
    processor = AutoProcessor.from_pretrained(args.model)

    if args.images:
        square_path, wide_path = args.images
    else:
        square_path = os.path.join(args.shared, SQUARE_IMAGE)
        wide_path = make_wide_image(args.shared, args.out)
    square = Image.open(square_path).convert("RGB")
    wide = Image.open(wide_path).convert("RGB")

    cases = {
        "two_images": ([TEXT_BEFORE, None, TEXT_BETWEEN, None, TEXT_AFTER], [square, wide]),
        "text_only": ([TEXT_ONLY], []),
    }
    # How the C++ test rebuilds each message: text parts verbatim, images by file.
    image_refs = [{"image": os.path.relpath(p, root), "root": where}
                  for p, root, where in ((square_path, args.shared, "shared"), (wide_path, args.out, "golden"))]
    meta = {
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "torchvision": torchvision.__version__, "Pillow": PIL.__version__, "numpy": np.__version__},
        "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
        "model_safetensors_sha256": sha256_of(os.path.join(args.model, "model.safetensors")),
        "model_safetensors_bytes": os.path.getsize(os.path.join(args.model, "model.safetensors")),
        "images": {os.path.basename(p): sha256_of(p) for p in (square_path, wide_path)},
        "image_processor": type(processor.image_processor).__name__,
        "checkpoint_probe": checkpoint_probe(args.model),
        "cases": {},
    }
    for case, (parts, images) in cases.items():
        meta["cases"][case] = run_case(model, processor, args.out, case, parts, images)
        refs = iter(image_refs)
        meta["cases"][case]["parts"] = [next(refs) if p is None else {"text": p} for p in parts]
        print(f"[{case}] {meta['cases'][case]['prompt_tokens']} prompt tokens -> {meta['cases'][case]['tokens']}")
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
