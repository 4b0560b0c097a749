#!/usr/bin/env python3
"""Hugging Face transformers reference fixtures for corgi's Qwen2.5-VL engine.

Runs Qwen2_5_VLForConditionalGeneration (CPU, float32, eager attention) on a Qwen2.5-VL
checkpoint and saves, per case, the inputs and every intermediate stage under the names
corgi's StageObserver / `corgi generate --dump` uses, so that a C++ golden test can
compare stage by stage. Generic over --model: the transformers-built tiny checkpoint
(tools/reference/qwen2_5_vl_tiny_hf.py) or one written by `corgi make-model`.

    /work/venv-ref/bin/python tools/reference/qwen2_5_vl_reference.py \
        --model tests/data/golden_qwen2_5vl/hf_tiny_checkpoint --out tests/data/golden_qwen2_5vl/hf_tiny

Vision stages are saved in merge-block order (the order pixel_values come in), with
transformers' window permutation undone; see tests/data/golden_qwen2_5vl/README.md.
Never imported by the build or CI; the committed .npy files are what CI reads.
"""

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

NEW_TOKENS = 32

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))

# Both image sizes are multiples of 28 (patch 14 x merge 2) with area >= 3136, so
# smart_resize keeps them as they are: no resampling, and both sides normalize the very
# same uint8 pixels. They are written once (if missing) into --images-dir.
SQUARE_SOURCE = "images/qwen3_vl_jax_256/f35_takeoff.png"  # 256x256, under shared/data
SQUARE_IMAGE = "f35_252x252.png"  # the centre 252x252 crop (no resampling)
SQUARE_SIZE = (252, 252)
WIDE_SOURCE = "images/qwen_cookbook/qwen3-vl-era/omni_recognition/sample-bird.jpg"  # 1920x1080
WIDE_IMAGE = "bird_392x196.png"  # resized with PIL bicubic
WIDE_SIZE = (392, 196)  # (width, height)

TEXT_BEFORE = "Compare the first picture "
TEXT_BETWEEN = " with the second one, "
TEXT_AFTER = "and list three differences."
TEXT_ONLY = "Write a short poem about a corgi named Café, in 3 lines."
SYSTEM_PROMPT = "You are a terse assistant that describes pictures of animals."
QUESTION = "What bird is this, and what is it doing?"


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def make_images(shared, images_dir):
    os.makedirs(images_dir, exist_ok=True)
    square = os.path.join(images_dir, SQUARE_IMAGE)
    if not os.path.exists(square):
        src = Image.open(os.path.join(shared, SQUARE_SOURCE)).convert("RGB")
        left = (src.width - SQUARE_SIZE[0]) // 2
        top = (src.height - SQUARE_SIZE[1]) // 2
        src.crop((left, top, left + SQUARE_SIZE[0], top + SQUARE_SIZE[1])).save(square, optimize=True)
    wide = os.path.join(images_dir, WIDE_IMAGE)
    if not os.path.exists(wide):
        src = Image.open(os.path.join(shared, WIDE_SOURCE)).convert("RGB")
        src.resize(WIDE_SIZE, Image.Resampling.BICUBIC).save(wide, optimize=True)
    return square, wide


def patch_order(window_index, merge_unit):
    """Patch-granularity permutation: window-ordered row k is merge-ordered row perm[k]."""
    wi = torch.as_tensor(window_index, dtype=torch.int64)
    return (wi[:, None] * merge_unit + torch.arange(merge_unit)[None, :]).reshape(-1)


class StageRecorder:
    """Hooks on the HF modules that capture each corgi stage during one prefill forward."""

    def __init__(self, model):
        import transformers.models.qwen2_5_vl.modeling_qwen2_5_vl as mod
        self.stages = {}
        self.raw = {}
        self.handles = []
        self.model = model
        visual = model.model.visual
        text = model.model.language_model
        self.merge_unit = visual.spatial_merge_unit

        # Record the window index transformers computes inside the vision forward.
        self._mod = mod
        self._orig_window_index = mod.get_vision_window_index

        def window_index_spy(*args, **kwargs):
            wi, cu = self._orig_window_index(*args, **kwargs)
            self.raw["window_index"] = wi.detach().clone()
            self.raw["cu_window_seqlens"] = cu.detach().clone()
            return wi, cu
        mod.get_vision_window_index = window_index_spy

        self._hook(visual.patch_embed, "vision.patch_embed")
        for i, blk in enumerate(visual.blocks):
            self.handles.append(blk.register_forward_hook(self._block_hook(i)))
        self.handles.append(visual.merger.register_forward_hook(self._raw_hook("merger_window_order")))
        self.handles.append(visual.register_forward_hook(self._visual_hook))
        layers = text.layers
        self.handles.append(layers[0].register_forward_pre_hook(self._pre("text.embeds"), with_kwargs=True))
        for i, layer in enumerate(layers):
            self._hook(layer, f"text.layer{i}.out", drop_batch=True)
        self.handles.append(text.norm.register_forward_hook(self._norm_hook))
        self.handles.append(text.rotary_emb.register_forward_pre_hook(self._rotary_hook, with_kwargs=True))

    def _put(self, name, tensor):
        self.stages[name] = tensor.detach().to(torch.float32).cpu().numpy().copy()

    def _hook(self, module, name, drop_batch=False):
        def fn(_m, _inp, out):
            self._put(name, out[0] if drop_batch else out)
        self.handles.append(module.register_forward_hook(fn))

    def _raw_hook(self, name):
        def fn(_m, _inp, out):
            self.raw[name] = out.detach().clone()
        return fn

    def _block_hook(self, i):
        # The blocks run on window-ordered rows; save them in merge-block order.
        def fn(_m, _inp, out):
            perm = patch_order(self.raw["window_index"], self.merge_unit)
            assert perm.shape[0] == out.shape[0]
            merged = torch.empty_like(out)
            merged[perm] = out
            self._put(f"vision.block{i}.out", merged)
        return fn

    def _visual_hook(self, _m, _inp, out):
        pooled = out.pooler_output
        # HF undoes the window order after the merger with argsort(window_index): check.
        reverse = torch.argsort(self.raw["window_index"])
        assert torch.equal(self.raw["merger_window_order"][reverse], pooled)
        self._put("vision.merger", pooled)

    def _pre(self, name):
        def fn(_m, args, kwargs):
            x = args[0] if args else kwargs["hidden_states"]
            self._put(name, x[0])  # drop the batch axis: [S, D]
        return fn

    def _norm_hook(self, _m, _inp, out):
        self._put("text.norm", out[0, -1:])  # [1, D]: the last position only

    def _rotary_hook(self, _m, args, kwargs):
        pos = args[1] if len(args) > 1 else kwargs["position_ids"]
        self.raw["rotary_positions"] = pos.detach().clone()

    def close(self):
        self._mod.get_vision_window_index = self._orig_window_index
        for h in self.handles:
            h.remove()


def merge_order_vision(visual, pixel_values, grid):
    """An independent re-computation of the vision tower that never permutes rows: every
    row stays in merge-block order and window attention is a mask. Used to check that
    the saved block outputs (HF's, with the window order undone) mean what the README
    says. Returns {stage name: tensor}."""
    cfg = visual.config
    m = cfg.spatial_merge_size
    win = cfg.window_size // m // cfg.patch_size  # window side in merged tokens (2)
    hs, ws, image, window = [], [], [], []
    n_windows = 0
    for k, (t, h, w) in enumerate(grid.tolist()):
        for _ in range(t):
            # Patch rows come as (h/m, w/m, m, m): merged token (bh, bw), then (ih, iw).
            bh, bw, ih, iw = torch.meshgrid(torch.arange(h // m), torch.arange(w // m), torch.arange(m),
                                            torch.arange(m), indexing="ij")
            hs.append((bh * m + ih).reshape(-1))
            ws.append((bw * m + iw).reshape(-1))
            image.append(torch.full((h * w,), len(image)))
            # Windows of win x win merged tokens, anchored at the image's top-left corner.
            per_row = -(-(w // m) // win)
            window.append(n_windows + ((bh // win) * per_row + bw // win).reshape(-1))
            n_windows += -(-(h // m) // win) * per_row
    hs, ws, image, window = (torch.cat(x) for x in (hs, ws, image, window))
    same_image = image[:, None] == image[None, :]
    same_window = window[:, None] == window[None, :]

    heads = cfg.num_heads
    hd = cfg.hidden_size // heads
    theta = cfg.rope_parameters["rope_theta"]
    inv = 1.0 / theta ** (torch.arange(0, hd // 2, 2, dtype=torch.float32) / (hd // 2))  # hd/4 freqs
    ang = torch.cat([hs[:, None].float() * inv, ws[:, None].float() * inv], dim=1)  # [Np, hd/2]
    ang = torch.cat([ang, ang], dim=1)  # [Np, hd]
    cos, sin = ang.cos()[:, None, :], ang.sin()[:, None, :]

    def rms(x, wgt, eps=1e-6):
        return wgt * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))

    def rot(x):
        half = x.shape[-1] // 2
        return x * cos + torch.cat([-x[..., half:], x[..., :half]], dim=-1) * sin

    out = {}
    n = pixel_values.shape[0]
    x = pixel_values.reshape(n, -1) @ visual.patch_embed.proj.weight.reshape(cfg.hidden_size, -1).T
    out["vision.patch_embed"] = x
    for i, blk in enumerate(visual.blocks):
        y = rms(x, blk.norm1.weight)
        qkv = (y @ blk.attn.qkv.weight.T + blk.attn.qkv.bias).reshape(n, 3, heads, hd)
        q, k, v = rot(qkv[:, 0]), rot(qkv[:, 1]), qkv[:, 2]
        s = torch.einsum("qhd,khd->hqk", q, k) / hd ** 0.5
        allowed = same_image if i in cfg.fullatt_block_indexes else same_image & same_window
        s = s.masked_fill(~allowed[None], float("-inf"))
        a = torch.einsum("hqk,khd->qhd", s.softmax(-1), v).reshape(n, -1)
        x = x + a @ blk.attn.proj.weight.T + blk.attn.proj.bias
        y = rms(x, blk.norm2.weight)
        mlp = blk.mlp
        g = torch.nn.functional.silu(y @ mlp.gate_proj.weight.T + mlp.gate_proj.bias)
        u = y @ mlp.up_proj.weight.T + mlp.up_proj.bias
        x = x + (g * u) @ mlp.down_proj.weight.T + mlp.down_proj.bias
        out[f"vision.block{i}.out"] = x
    mg = visual.merger
    y = rms(x, mg.ln_q.weight).reshape(n // (m * m), -1)  # m*m consecutive rows per token
    y = torch.nn.functional.gelu(y @ mg.mlp[0].weight.T + mg.mlp[0].bias)  # exact (erf) GELU
    out["vision.merger"] = y @ mg.mlp[2].weight.T + mg.mlp[2].bias
    return out


def save(out_dir, case, name, array):
    os.makedirs(os.path.join(out_dir, case), exist_ok=True)
    np.save(os.path.join(out_dir, case, name + ".npy"), np.ascontiguousarray(array))


def ints(t):
    a = np.asarray(t.detach().cpu().numpy() if torch.is_tensor(t) else t, dtype=np.int64)
    assert np.abs(a).max(initial=0) < 2**31
    return a.astype(np.int32)


def checkpoint_probe(model_dir):
    """First value, last value and float64 sum of every tensor (as float32), so the C++
    test can tell that the checkpoint it reads is the one these fixtures were made from."""
    from safetensors.torch import load_file
    tensors = load_file(os.path.join(model_dir, "model.safetensors"))
    probe = {}
    for name in sorted(tensors):
        t = tensors[name].to(torch.float32).reshape(-1)
        probe[name] = [float(t[0]), float(t[-1]), float(t.double().sum())]
    return probe


def messages_for(parts, system):
    content = [{"type": "image"} if p is None else {"type": "text", "text": p} for p in parts]
    msgs = [{"role": "system", "content": [{"type": "text", "text": system}]}] if system else []
    return msgs + [{"role": "user", "content": content}]


def run_case(model, processor, out_dir, case, parts, images, system, suppress_from, save_windows):
    prompt = processor.apply_chat_template(messages_for(parts, system), tokenize=False,
                                           add_generation_prompt=True)
    inputs = processor(text=[prompt], images=images or None, return_tensors="pt")
    notes = {"prompt": prompt}

    ids = inputs["input_ids"]
    save(out_dir, case, "input_ids", ints(ids[0]))
    grid = inputs.get("image_grid_thw")
    if grid is not None:
        save(out_dir, case, "image_grid_thw", ints(grid))
        pv = inputs["pixel_values"].to(torch.float32)
        save(out_dir, case, "pixel_values.head", pv[:4].numpy())                      # [4, 1176]
        save(out_dir, case, "pixel_values.row_sums", pv.double().sum(1).float().numpy())  # [Np]
        notes["image_grid_thw"] = grid.tolist()
        notes["patches"] = int(pv.shape[0])

    # Prefill forward with every stage captured.
    rec = StageRecorder(model)
    model.model.rope_deltas = None
    try:
        with torch.no_grad():
            out = model(**inputs, use_cache=False)
    finally:
        rec.close()
    stages = rec.stages
    raw = rec.raw

    mm = inputs.get("mm_token_type_ids", torch.zeros_like(ids))
    positions, delta = model.model.get_rope_index(ids, mm, image_grid_thw=grid)
    positions = positions[:, 0]  # [3, S]
    used = raw["rotary_positions"]  # [3, 1, S]
    used = used[-3:, 0] if used.dim() == 3 else used[0].expand(3, -1)
    assert torch.equal(used.to(positions.dtype), positions), "forward used other positions than get_rope_index"
    save(out_dir, case, "rope_delta", ints(delta.reshape(-1)[:1]))
    notes["rope_delta"] = int(delta.reshape(-1)[0])

    if grid is not None:
        # The window permutation must be a permutation of the merged tokens, and the
        # patch-embed stage is in pixel_values (merge-block) order.
        wi = raw["window_index"]
        assert torch.equal(torch.sort(wi).values, torch.arange(wi.shape[0]))
        notes["windows"] = int(raw["cu_window_seqlens"].shape[0] - 1)
        # The saved vision stages (HF's, window order undone) must match a tower that
        # keeps merge-block order throughout and masks attention per window.
        with torch.no_grad():
            mine = merge_order_vision(model.model.visual, inputs["pixel_values"].to(torch.float32), grid)
        worst = 0.0
        for name, t in mine.items():
            ref = torch.from_numpy(stages[name])
            rel = float((t - ref).abs().max() / ref.abs().max())
            assert rel < 1e-5, f"{name}: merge-order recomputation differs (rel {rel:.3g})"
            worst = max(worst, rel)
        notes["merge_order_check_max_rel"] = worst
        if save_windows:
            save(out_dir, case, "vision.window_index", ints(wi))
            save(out_dir, case, "vision.cu_window_seqlens", ints(raw["cu_window_seqlens"]))

    logits = out.logits[0, -1:].to(torch.float32)  # [1, V]
    stages["logits.prefill_last"] = logits.numpy()
    for name, arr in stages.items():
        save(out_dir, case, name, arr.astype(np.float32))
    save(out_dir, case, "text.positions", ints(positions))

    # 32 greedy tokens. Plain greedy whatever generation_config.json says (the release's
    # has do_sample and repetition_penalty 1.05): no sampling, no penalty, EOS disabled
    # (no early stop and no EOS suppression: corgi's ignore_eos samples EOS like any other
    # token), the embedding's padding rows (ids >= len(tokenizer)) suppressed.
    suppress = list(range(suppress_from, model.config.text_config.vocab_size))
    model.model.rope_deltas = None
    with torch.no_grad():
        gen = model.generate(**inputs, do_sample=False, max_new_tokens=NEW_TOKENS, min_new_tokens=0,
                             eos_token_id=None, pad_token_id=151643, temperature=None, top_p=None, top_k=None,
                             repetition_penalty=1.0, suppress_tokens=suppress,
                             return_dict_in_generate=True, output_logits=True)
    tokens = gen.sequences[0, ids.shape[1]:].to(torch.int64)
    assert tokens.shape[0] == NEW_TOKENS, tokens.shape
    masked = logits[0].clone()
    masked[suppress_from:] = -float("inf")
    assert int(masked.argmax()) == int(tokens[0]), "first generated token is not the prefill argmax"
    # Margin between the best and second-best allowed logit at every step: how close a
    # greedy step came to a tie (an f32 engine may only flip a step whose margin is tiny).
    margins = []
    for step, lg in enumerate(gen.logits):
        lg = lg[0].to(torch.float32).clone()
        lg[suppress_from:] = -float("inf")
        top = torch.topk(lg, 2)
        assert int(top.indices[0]) == int(tokens[step]), f"step {step} is not greedy"
        margins.append(float(top.values[0] - top.values[1]))

    # Cross-check the cached decode with one uncached forward over prompt + tokens.
    full = dict(inputs)
    full["input_ids"] = torch.cat([ids, tokens[None, :-1]], dim=1)
    full["attention_mask"] = torch.ones_like(full["input_ids"])
    if "mm_token_type_ids" in inputs:
        full["mm_token_type_ids"] = torch.cat([mm, torch.zeros_like(tokens[None, :-1])], dim=1)
    model.model.rope_deltas = None
    with torch.no_grad():
        lf = model(**full, use_cache=False).logits[0, ids.shape[1] - 1:].to(torch.float32)
    lf[:, suppress_from:] = -float("inf")
    assert torch.equal(lf.argmax(-1), tokens), "uncached forward disagrees with generate"
    notes["teacher_forced_prefill_max_abs_diff"] = float((lf[0, :suppress_from] - masked[:suppress_from]).abs().max())

    save(out_dir, case, "generated_tokens", ints(tokens))
    notes["tokens"] = tokens.tolist()
    notes["text"] = processor.tokenizer.decode(tokens.tolist())
    notes["distinct_tokens"] = len(set(tokens.tolist()))
    notes["min_greedy_margin"] = min(margins)
    notes["greedy_margins"] = [round(m, 6) for m in margins]
    notes["prompt_tokens"] = int(ids.shape[1])
    all_stages = dict(stages)
    all_stages["text.positions"] = positions
    notes["stages"] = {k: list(v.shape) for k, v in sorted(all_stages.items())}
    return notes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="a Qwen2.5-VL checkpoint dir (config.json, model.safetensors, "
                                                   "tokenizer and processor files)")
    ap.add_argument("--processor", help="dir with the tokenizer and processor files (default: --model)")
    ap.add_argument("--out", required=True, help="fixture dir, e.g. tests/data/golden_qwen2_5vl/hf_tiny")
    ap.add_argument("--shared", default=os.path.join(REPO, "../shared/data"),
                    help="shared/data (for the source images)")
    ap.add_argument("--images-dir", help="where the two input PNGs live (written if missing); "
                                         "default: the parent of --out, shared by every checkpoint's fixtures")
    args = ap.parse_args()

    import PIL
    import torchvision
    import transformers
    from transformers import AutoProcessor, Qwen2_5_VLForConditionalGeneration

    torch.manual_seed(0)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    os.makedirs(args.out, exist_ok=True)
    images_dir = args.images_dir or os.path.dirname(os.path.abspath(args.out))
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(args.model, dtype=torch.float32,
                                                               attn_implementation="eager").eval()
    processor = AutoProcessor.from_pretrained(args.processor or args.model)
    suppress_from = len(processor.tokenizer)  # 151665: rows past it are embedding padding

    square_path, wide_path = make_images(args.shared, images_dir)
    square = Image.open(square_path).convert("RGB")
    wide = Image.open(wide_path).convert("RGB")
    assert square.size == SQUARE_SIZE and wide.size == WIDE_SIZE

    # name: (parts (None = an image), images, system message or None, save the window index)
    cases = {
        "two_images": ([TEXT_BEFORE, None, TEXT_BETWEEN, None, TEXT_AFTER], [square_path, wide_path], None, True),
        "text_only": ([TEXT_ONLY], [], None, False),
        "one_image_system": ([None, QUESTION], [wide_path], SYSTEM_PROMPT, True),
    }

    def rel(p):
        return os.path.relpath(os.path.abspath(p), REPO)

    model_file = os.path.join(args.model, "model.safetensors")
    meta = {
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "torchvision": torchvision.__version__, "Pillow": PIL.__version__, "numpy": np.__version__},
        "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
        "model_dir": rel(args.model),
        "model_safetensors_sha256": sha256_of(model_file),
        "model_safetensors_bytes": os.path.getsize(model_file),
        "images": {os.path.basename(p): {"path": rel(p), "sha256": sha256_of(p), "size": list(Image.open(p).size)}
                   for p in (square_path, wide_path)},
        "image_processor": type(processor.image_processor).__name__,
        "processor": type(processor).__name__,
        "len_tokenizer": suppress_from,
        "new_tokens": NEW_TOKENS,
        "checkpoint_probe": checkpoint_probe(args.model),
        "cases": {},
    }
    for case, (parts, image_paths, system, windows) in cases.items():
        images = [Image.open(p).convert("RGB") for p in image_paths]
        notes = run_case(model, processor, args.out, case, parts, images, system, suppress_from, windows)
        refs = iter(image_paths)
        notes["system"] = system
        notes["parts"] = [{"image": os.path.basename(next(refs))} if p is None else {"text": p} for p in parts]
        meta["cases"][case] = notes
        print(f"[{case}] {notes['prompt_tokens']} prompt tokens, min margin {notes['min_greedy_margin']:.4g} "
              f"-> {notes['tokens']} {notes['text']!r}")
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
