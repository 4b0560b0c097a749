#!/usr/bin/env python3
"""Writes the image-preprocessing fixtures in tests/data/preprocess/ from Pillow and the
Hugging Face Qwen2-VL image processor (torchvision backend, configured as Qwen3-VL).

CI never runs this; the C++ tests read only what it writes. Run it from the repository
root with a virtual environment that has torch, torchvision, transformers and Pillow:

    /work/venv-ref/ref/bin/python tools/reference/preprocess_reference.py

Outputs (all small):
  reference.json         every case: sizes, grids, checksums, file names, versions
  alpha_over_white.bin   Pillow's alpha_composite over white for all (value, alpha):
                         byte [alpha*256 + value]
  decode/*               tiny generated images in each PNG/JPEG/WebP variant, with the
                         RGB Pillow + HF convert_to_rgb produce (raw .rgb)
  exif/*                 one small JPEG, PNG and WebP per EXIF orientation 1..8, with
                         Pillow's exif_transpose result (raw .rgb)
  hf/*                   per sample image: the resized uint8 image HF feeds to normalize
                         (full PNG when small, selected rows otherwise) and selected
                         pixel_values rows (float32 little-endian)
Checksums of uint8 buffers: s1 = sum of bytes, s2 = sum over byte index i of
((i % 65521) + 1) * byte, both mod 2**64 (see checksum()).
"""
import io
import json
import os
import sys

import numpy as np
import PIL
import torch
import torchvision
import transformers
from PIL import Image, ImageOps
from transformers import Qwen2VLImageProcessor
from transformers.image_transforms import convert_to_rgb

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared", "data"))
OUT = os.path.join(ROOT, "tests", "data", "preprocess")


def checksum(a):
    b = np.ascontiguousarray(a, dtype=np.uint8).reshape(-1).astype(np.uint64)
    w = (np.arange(b.size, dtype=np.uint64) % np.uint64(65521)) + np.uint64(1)
    with np.errstate(over="ignore"):
        return {"s1": int(b.sum(dtype=np.uint64)), "s2": int((b * w).sum(dtype=np.uint64))}


def hf_rgb(pil_image):
    """What the HF processor sees for a PIL input: convert_to_rgb (white composite)."""
    return np.asarray(convert_to_rgb(pil_image, return_numpy=True), dtype=np.uint8)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def make_processor(kind):
    if kind in ("qwen3vl", "qwen3vl_max1m"):
        return Qwen2VLImageProcessor(
            patch_size=16, temporal_patch_size=2, merge_size=2,
            size={"shortest_edge": 65536,
                  "longest_edge": 16777216 if kind == "qwen3vl" else 1048576},
            image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])
    return Qwen2VLImageProcessor(  # Qwen2.5-VL: patch 14, CLIP mean/std
        patch_size=14, temporal_patch_size=2, merge_size=2,
        size={"shortest_edge": 3136, "longest_edge": 12845056},
        image_mean=[0.48145466, 0.4578275, 0.40821073],
        image_std=[0.26862954, 0.26130258, 0.27577711])


def run_hf(processor, pil_image):
    """Runs the processor, capturing the resized uint8 batch handed to normalize."""
    captured = {}
    original = processor.rescale_and_normalize

    def spy(images, *args, **kwargs):
        captured["resized"] = images.clone()
        return original(images, *args, **kwargs)

    processor.rescale_and_normalize = spy
    try:
        out = processor(images=[pil_image], return_tensors="pt")
    finally:
        processor.rescale_and_normalize = original
    resized = captured["resized"][0].permute(1, 2, 0).contiguous().numpy()  # HWC uint8
    return resized, out["pixel_values"].numpy(), out["image_grid_thw"].numpy()[0].tolist()


def hf_case(name, src_rel, kind, full_png, pil_image=None):
    pil_image = pil_image if pil_image is not None else Image.open(os.path.join(SHARED, src_rel))
    processor = make_processor(kind)
    rgb = hf_rgb(pil_image)
    resized, pv, grid = run_hf(processor, pil_image)
    assert resized.dtype == np.uint8
    n = pv.shape[0]
    rows = sorted(set([0, 1, 2, 3, n // 2, n - 1]))
    case = {
        "name": name, "source": src_rel, "config": kind,
        "original": [int(rgb.shape[0]), int(rgb.shape[1])],
        "original_checksum": checksum(rgb),
        "resized": [int(resized.shape[0]), int(resized.shape[1])],
        "resized_checksum": checksum(resized),
        "grid_thw": [int(g) for g in grid],
        "pixel_values_shape": list(pv.shape),
        "pixel_values_rows": rows,
        "pixel_values_rows_file": f"hf/{name}.pv_rows.f32",
        "pixel_values_channel_sums": [float(pv.reshape(n, 3, -1)[:, c].astype(np.float64).sum())
                                      for c in range(3)],
    }
    write(os.path.join(OUT, case["pixel_values_rows_file"]),
          pv[rows].astype("<f4").tobytes())
    if full_png:
        case["resized_png"] = f"hf/{name}.resized.png"
        buf = io.BytesIO()
        Image.fromarray(resized).save(buf, format="PNG", optimize=True)
        write(os.path.join(OUT, case["resized_png"]), buf.getvalue())
    else:
        h = resized.shape[0]
        rrows = sorted(set([0, 1, h // 3, h // 2, h - 1]))
        case["resized_rows"] = rrows
        case["resized_rows_file"] = f"hf/{name}.resized_rows.u8"
        write(os.path.join(OUT, case["resized_rows_file"]), resized[rrows].tobytes())
    return case


def upscale_input():
    """A 200x150 RGBA crop of a sample with an alpha ramp: small enough to be up-scaled,
    and it sends transparency through HF's convert_to_rgb."""
    im = Image.open(os.path.join(SHARED, "images/qwen3_vl_jax_256/foxnews.png")).convert("RGBA")
    im = im.crop((20, 40, 220, 190))
    a = np.asarray(im).copy()
    ramp = np.linspace(0, 255, a.shape[1]).astype(np.uint8)[None, :]
    a[..., 3] = np.maximum(ramp, np.linspace(0, 255, a.shape[0]).astype(np.uint8)[:, None])
    im = Image.fromarray(a, "RGBA")
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=True)
    write(os.path.join(OUT, "inputs/upscale_rgba.png"), buf.getvalue())
    return Image.open(io.BytesIO(buf.getvalue()))


def alpha_table():
    v, a = np.meshgrid(np.arange(256), np.arange(256))
    rgba = np.stack([v, v, v, a], -1).astype(np.uint8)
    rgb = hf_rgb(Image.fromarray(rgba, "RGBA"))
    write(os.path.join(OUT, "alpha_over_white.bin"), rgb[..., 0].astype(np.uint8).tobytes())


def pattern(w, h, seed):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=(h // 4 + 1, w // 4 + 1, 4), dtype=np.uint8)
    return np.kron(base, np.ones((4, 4, 1), np.uint8))[:h, :w]  # 4x4 flat blocks


def decode_cases():
    """Tiny images in each variant the decoder must handle, saved by Pillow."""
    w, h = 37, 23
    p = pattern(w, h, 1)
    rgb, rgba = p[..., :3], p
    gray = p[..., 0]
    out = []

    def add(name, data):
        write(os.path.join(OUT, "decode", name), data)
        exp = hf_rgb(Image.open(io.BytesIO(data)))
        write(os.path.join(OUT, "decode", name + ".rgb"), exp.tobytes())
        out.append({"file": f"decode/{name}", "expected": f"decode/{name}.rgb",
                    "height": int(exp.shape[0]), "width": int(exp.shape[1]),
                    "pil_mode": Image.open(io.BytesIO(data)).mode})

    def save(im, fmt, **kw):
        buf = io.BytesIO()
        im.save(buf, format=fmt, **kw)
        return buf.getvalue()

    add("rgb8.png", save(Image.fromarray(rgb), "PNG"))
    add("rgba8.png", save(Image.fromarray(rgba, "RGBA"), "PNG"))
    add("gray8.png", save(Image.fromarray(gray, "L"), "PNG"))
    add("gray_alpha8.png", save(Image.fromarray(p[..., [0, 3]], "LA"), "PNG"))
    add("gray1.png", save(Image.fromarray(gray).convert("1"), "PNG"))
    add("gray4.png", save(Image.fromarray(gray).convert("L").quantize(16).convert("L"), "PNG",
                          bits=4))
    add("palette.png", save(Image.fromarray(rgb).quantize(50), "PNG"))
    pal = Image.fromarray(rgb).quantize(50)
    add("palette_trns.png", save(pal, "PNG", transparency=3))
    pal_alpha = Image.fromarray(rgba, "RGBA").quantize(40, method=Image.Quantize.FASTOCTREE)
    add("palette_alpha.png", save(pal_alpha, "PNG"))
    add("gray_trns.png", save(Image.fromarray(gray, "L"), "PNG", transparency=int(gray[0, 0])))
    add("rgb_trns.png", save(Image.fromarray(rgb), "PNG",
                             transparency=tuple(int(x) for x in rgb[0, 0])))
    add("interlaced.png", png_raw(rgba, 8, 6, interlace=True))
    g16 = (gray.astype(np.uint16) * 3 + 7)  # values up to 772: exercises the clamp
    add("gray16.png", png_raw(g16, 16, 0))
    rgb16 = (rgb.astype(np.uint16) * 257 + np.arange(w, dtype=np.uint16)[None, :, None] * 5)
    add("rgb16.png", png_raw(rgb16, 16, 2))
    add("rgba16.png", png_raw(np.concatenate([rgb16, (rgba[..., 3:].astype(np.uint16) * 257)], -1),
                              16, 6))
    add("gray_alpha16.png", png_raw(np.stack([rgb16[..., 0], rgba[..., 3].astype(np.uint16) * 257],
                                             -1), 16, 4))
    add("baseline420.jpg", save(Image.fromarray(rgb), "JPEG", quality=90))
    add("baseline444.jpg", save(Image.fromarray(rgb), "JPEG", quality=90, subsampling=0))
    add("baseline422.jpg", save(Image.fromarray(rgb), "JPEG", quality=85, subsampling=1))
    add("progressive.jpg", save(Image.fromarray(rgb), "JPEG", quality=80, progressive=True))
    add("gray.jpg", save(Image.fromarray(gray, "L"), "JPEG", quality=90))
    add("cmyk.jpg", save(Image.fromarray(rgb).convert("CMYK"), "JPEG", quality=90))
    add("lossless.webp", save(Image.fromarray(rgb), "WEBP", lossless=True))
    add("lossy.webp", save(Image.fromarray(rgb), "WEBP", quality=80))
    add("lossless_alpha.webp", save(Image.fromarray(rgba, "RGBA"), "WEBP", lossless=True))
    add("lossy_alpha.webp", save(Image.fromarray(rgba, "RGBA"), "WEBP", quality=80))
    return out


def png_raw(arr, depth, color_type, interlace=False):
    """A PNG written by hand (Pillow cannot write 16-bit RGB or Adam7)."""
    import struct
    import zlib
    h, w = arr.shape[:2]
    dt = ">u2" if depth == 16 else "u1"
    a = arr.astype(dt).reshape(h, -1)
    if interlace:
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4),
                  (1, 0, 2, 2), (0, 1, 1, 2)]
        ch = arr.shape[2] if arr.ndim == 3 else 1
        arr3 = arr.reshape(h, w, ch).astype(dt)
        raw = b""
        for x0, y0, dx, dy in passes:
            sub = arr3[y0::dy, x0::dx]
            if sub.size == 0:
                continue
            raw += b"".join(b"\x00" + sub[y].tobytes() for y in range(sub.shape[0]))
    else:
        raw = b"".join(b"\x00" + a[y].tobytes() for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) +
            chunk(b"IEND", b""))


def exif_cases():
    w, h = 24, 16  # 8x8 flat blocks keep JPEG colors stable
    base = np.kron(np.random.default_rng(5).integers(0, 256, (2, 3, 3), dtype=np.uint8),
                   np.ones((8, 8, 1), np.uint8))
    out = []
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        for fmt, ext in (("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")):
            buf = io.BytesIO()
            kw = {"quality": 95, "subsampling": 0} if fmt == "JPEG" else {}
            if fmt == "WEBP":
                kw = {"lossless": True}
            Image.fromarray(base).save(buf, format=fmt, exif=exif.tobytes(), **kw)
            data = buf.getvalue()
            name = f"exif/orientation{orientation}.{ext}"
            write(os.path.join(OUT, name), data)
            im = Image.open(io.BytesIO(data))
            assert im.getexif().get(0x0112) == orientation, (name, im.getexif())
            raw = hf_rgb(im)
            rot = hf_rgb(ImageOps.exif_transpose(Image.open(io.BytesIO(data))))
            write(os.path.join(OUT, name + ".rgb"), rot.tobytes())
            out.append({"file": name, "orientation": orientation,
                        "expected": name + ".rgb", "height": int(rot.shape[0]),
                        "width": int(rot.shape[1]), "raw_checksum": checksum(raw)})
    return out


def sample_decodes():
    """Checksums of every sample image as Pillow + convert_to_rgb decode it (no EXIF)."""
    out = []
    base = os.path.join(SHARED, "images")
    for dirpath, _, files in sorted(os.walk(base)):
        for f in sorted(files):
            if f.rsplit(".", 1)[-1].lower() not in ("jpg", "jpeg", "png", "webp"):
                continue
            path = os.path.join(dirpath, f)
            im = Image.open(path)
            rgb = hf_rgb(im)
            out.append({"file": os.path.relpath(path, SHARED), "format": im.format,
                        "height": int(rgb.shape[0]), "width": int(rgb.shape[1]),
                        "checksum": checksum(rgb)})
    return out


def pil_resize_cases():
    """Pillow's own Image.resize(BICUBIC) (22-bit weights): the kPillow precision path.

    Only sizes where Pillow runs the horizontal pass first: Pillow 13 sometimes runs the
    vertical pass first (apparently when the vertical kernel is wider, e.g. 640x488 ->
    832x352), which corgi's kPillow path does not reproduce (docs/PREPROCESSING.md)."""
    out = []
    for src, size in (("images/qwen_finetune_demo/10149.png", (320, 288)),
                      ("images/llama_cpp_mtmd/test-1.jpeg", (320, 480)),
                      ("images/moondream_demo/demo-2.jpg", (300, 500))):
        im = Image.open(os.path.join(SHARED, src)).convert("RGB")
        r = np.asarray(im.resize(size, Image.BICUBIC))
        out.append({"source": src, "resized": [int(r.shape[0]), int(r.shape[1])],
                    "checksum": checksum(r)})
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    alpha_table()
    hf = [
        hf_case("plan_png", "images/qwen_cookbook/qwen3-vl-era/spatial_understanding/"
                "spatio_case2_plan.png", "qwen3vl", True),
        hf_case("finetune_png", "images/qwen_finetune_demo/10149.png", "qwen3vl", True),
        hf_case("newspaper_jpeg", "images/llama_cpp_mtmd/test-1.jpeg", "qwen3vl", True),
        hf_case("upscale_rgba_png", "inputs/upscale_rgba.png", "qwen3vl", True,
                pil_image=upscale_input()),
        hf_case("progressive_jpeg", "images/moondream_demo/demo-2.jpg", "qwen3vl", False),
        hf_case("large_jpeg", "images/qwen_cookbook/qwen3-vl-era/computer_use/computer_use1.jpeg",
                "qwen3vl", False),
        hf_case("large_jpeg_max1m", "images/qwen_cookbook/qwen3-vl-era/computer_use/"
                "computer_use1.jpeg", "qwen3vl_max1m", False),
        hf_case("tall_png", "images/qwen_cookbook/qwen3-vl-era/agent_function_call/"
                "mobile_en_example.png", "qwen3vl", False),
        hf_case("finetune_png_qwen25", "images/qwen_finetune_demo/10149.png", "qwen25vl", False),
    ]
    reference = {
        "generated_by": "tools/reference/preprocess_reference.py",
        "command": "/work/venv-ref/ref/bin/python tools/reference/preprocess_reference.py",
        "versions": {"python": sys.version.split()[0], "torch": torch.__version__,
                     "torchvision": torchvision.__version__,
                     "transformers": transformers.__version__, "pillow": PIL.__version__,
                     "numpy": np.__version__},
        "checksum": "s1 = sum(bytes); s2 = sum(((i % 65521) + 1) * bytes[i]); both mod 2^64",
        "hf_cases": hf,
        "decode_cases": decode_cases(),
        "exif_cases": exif_cases(),
        "sample_decodes": sample_decodes(),
        "pil_resize_cases": pil_resize_cases(),
    }
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")
    print(json.dumps(reference["versions"]))


if __name__ == "__main__":
    main()
