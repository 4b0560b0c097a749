#!/usr/bin/env python3
"""Helpers for tools/bench/llama-compare.sh and tools/bench/llama-kl.sh (standard library only).

Subcommands:
  imgsize PATH                 print WxH of a PNG or JPEG (header only)
  report RUN_DIR [--out FILE]  parse the raw outputs of a llama-compare run, print the table, write JSON
  kl LOG [LOG...] --out FILE   parse llama-perplexity --kl-divergence logs into JSON
  kld-tokens BASE --out FILE   token ids of every chunk stored in a --kl-divergence-base file

RUN_DIR layout (written by llama-compare.sh): meta.tsv (key<TAB>value lines) and pairN/ folders with
  llama-pp.json llama-tg.json   llama-bench -o json (one test each)
  corgi-pp.json corgi-tg.json corgi-img.json   corgi bench model JSON
  llama-img.err                 llama-mtmd-cli -lv 4 log (image encode)
  llama-ask.err llama-ask.time  llama-mtmd-cli log and /usr/bin/time -v of the image question
  corgi-ask.json corgi-ask.time corgi generate --json and /usr/bin/time -v
Any file may be missing (a side not run); its values are then null.
"""
import argparse
import json
import os
import re
import statistics
import struct
import sys


# ---------------------------------------------------------------- image size

def image_size(path):
    with open(path, "rb") as f:
        head = f.read(32)
        if head[:8] == b"\x89PNG\r\n\x1a\n":
            w, h = struct.unpack(">II", head[16:24])
            return w, h
        if head[:2] != b"\xff\xd8":
            raise ValueError(f"{path}: not a PNG or JPEG")
        f.seek(2)
        while True:
            b = f.read(1)
            while b and b != b"\xff":
                b = f.read(1)
            while b == b"\xff":
                b = f.read(1)
            if not b:
                raise ValueError(f"{path}: no JPEG frame header")
            marker = b[0]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                continue
            (length,) = struct.unpack(">H", f.read(2))
            # SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC)
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                _, h, w = struct.unpack(">BHH", f.read(5))
                return w, h
            f.seek(length - 2, 1)


# ---------------------------------------------------------------- raw parsers

def read_text(path):
    with open(path, errors="replace") as f:
        return f.read()


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def llama_bench_tps(path):
    """Tokens/s of the single test in a llama-bench -o json file."""
    data = read_json(path)
    if not data:
        return None
    return float(data[0]["avg_ts"])


def corgi_bench(path, kind):
    """pp: prefill tokens/s of the last 512-token entry; tg: batch-1 decode tokens/s; img: last vision ms."""
    data = read_json(path)
    if not data:
        return None
    if kind == "pp":
        rows = data.get("prefill") or []
        return float(rows[-1]["tokens_per_s"]) if rows else None
    if kind == "tg":
        rows = [r for r in (data.get("decode") or []) if r.get("batch") == 1]
        return float(rows[-1]["tokens_per_s"]) if rows else None
    if kind == "img":
        rows = data.get("vision") or []
        return (float(rows[-1]["ms"]), int(rows[-1]["tokens"])) if rows else None
    raise ValueError(kind)


def time_v(path):
    """(wall seconds, peak RSS MiB) from a /usr/bin/time -v report."""
    try:
        text = read_text(path)
    except OSError:
        return None
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text)
    r = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if not m or not r:
        return None
    wall = 0.0
    for part in m.group(1).split(":"):
        wall = wall * 60 + float(part)
    return wall, int(r.group(1)) / 1024.0


def mtmd_log(path):
    """Image encode ms, image tokens, prompt tokens and generated tokens of a llama-mtmd-cli -lv 4 log."""
    try:
        text = read_text(path)
    except OSError:
        return None
    out = {}
    m = re.search(r"mtmd batch encoding done in (\d+) ms", text)
    if m:
        out["encode_ms"] = float(m.group(1))
    m = re.search(r"decoding image batch \d+/\d+, n_tokens_batch = (\d+)", text)
    if m:
        out["image_tokens"] = int(m.group(1))
    m = re.search(r"prompt eval time =\s*([\d.]+) ms /\s*(\d+) tokens", text)
    if m:
        out["prompt_eval_ms"], out["prompt_tokens"] = float(m.group(1)), int(m.group(2))
    m = re.search(r"\beval time =\s*([\d.]+) ms /\s*(\d+) runs", text)
    if m:
        out["eval_ms"], out["eval_runs"] = float(m.group(1)), int(m.group(2))
    return out or None


LLAMA_BENCH_SETTINGS = ("model_type", "model_size", "n_batch", "n_ubatch", "type_k", "type_v", "flash_attn",
                        "repack", "load_mode", "n_threads", "cpu_info", "backends")


def llama_bench_settings(path):
    """The run settings llama-bench reports (KV type, flash attention, repack, ...)."""
    data = read_json(path)
    return {k: data[0].get(k) for k in LLAMA_BENCH_SETTINGS} if data else None


# ---------------------------------------------------------------- report

# name, unit, how the ratio is formed ("speed": corgi/llama of a rate; "time": llama/corgi of a
# duration, i.e. also corgi speed / llama speed; "size": corgi/llama, lower is better for corgi).
METRICS = [
    ("pp512", "tok/s", "speed"),
    ("tg128", "tok/s", "speed"),
    ("image_encode", "ms", "time"),
    ("image_question", "s", "time"),
    ("peak_rss", "MiB", "size"),
]


def ratio(kind, corgi, llama):
    if corgi is None or llama is None or corgi == 0 or llama == 0:
        return None
    return corgi / llama if kind in ("speed", "size") else llama / corgi


def read_meta(run_dir):
    meta = {}
    try:
        for line in read_text(os.path.join(run_dir, "meta.tsv")).splitlines():
            key, _, value = line.partition("\t")
            if key:
                meta[key] = value
    except OSError:
        pass
    return meta


def collect_pair(d):
    p = lambda name: os.path.join(d, name)
    vals = {"llama": {}, "corgi": {}}
    extra = {"llama": {}, "corgi": {}}
    vals["llama"]["pp512"] = llama_bench_tps(p("llama-pp.json"))
    vals["llama"]["tg128"] = llama_bench_tps(p("llama-tg.json"))
    vals["corgi"]["pp512"] = corgi_bench(p("corgi-pp.json"), "pp")
    vals["corgi"]["tg128"] = corgi_bench(p("corgi-tg.json"), "tg")
    img = mtmd_log(p("llama-img.err")) or {}
    vals["llama"]["image_encode"] = img.get("encode_ms")
    extra["llama"]["image_tokens"] = img.get("image_tokens")
    cimg = corgi_bench(p("corgi-img.json"), "img")
    vals["corgi"]["image_encode"] = cimg[0] if cimg else None
    extra["corgi"]["image_tokens"] = cimg[1] if cimg else None
    for engine in ("llama", "corgi"):
        t = time_v(p(f"{engine}-ask.time"))
        vals[engine]["image_question"] = t[0] if t else None
        vals[engine]["peak_rss"] = t[1] if t else None
    ask = mtmd_log(p("llama-ask.err")) or {}
    extra["llama"]["question_prompt_tokens"] = ask.get("prompt_tokens")
    extra["llama"]["question_generated"] = ask.get("eval_runs", -1) + 1 if "eval_runs" in ask else None
    # where the question's time went: llama.cpp's prompt eval includes the image tokens' decode
    extra["llama"]["question_ms"] = {k: ask.get(k) for k in ("encode_ms", "prompt_eval_ms", "eval_ms")}
    cask = read_json(p("corgi-ask.json"))
    if cask:
        t = cask["timings"]
        extra["corgi"]["question_prompt_tokens"] = t["prompt_tokens"]
        extra["corgi"]["question_generated"] = t["generated_tokens"]
        extra["corgi"]["question_ms"] = {k: t.get(k) for k in ("preprocess_ms", "vision_ms", "prefill_ms", "decode_ms")}
    settings = llama_bench_settings(p("llama-pp.json")) or llama_bench_settings(p("llama-tg.json"))
    return vals, extra, settings


def fmt(v, unit):
    if v is None:
        return "—"
    if unit in ("tok/s",):
        return f"{v:.2f}"
    if unit == "ms":
        return f"{v:.0f}"
    if unit == "s":
        return f"{v:.2f}"
    return f"{v:.0f}"


def busy_warning(meta):
    """A warning when other processes held the cores the benchmark needed (1-minute load average)."""
    try:
        ncpu, threads = int(meta.get("ncpu") or os.cpu_count()), int(meta["threads"])
        load = max(float(meta[k].split()[0]) for k in ("loadavg_start", "loadavg_end") if k in meta)
    except (KeyError, ValueError):
        return None
    # the benchmark itself accounts for about `threads` of the load average at the end
    if load <= threads + 0.5 or load <= ncpu * 0.75:
        return None
    return (f"WARNING: load average up to {load:.1f} on {ncpu} CPUs with {threads} threads: other processes "
            "competed for the cores. llama.cpp's OpenMP threads spin at every barrier and slow down much more than "
            "corgi under contention, so these ratios likely overstate corgi; rerun on a quiet machine"
            + ("" if "OMP_WAIT_POLICY" in meta.get("llama_run_flags", "") else
               " (or add --llama-env OMP_WAIT_POLICY=passive, which recovers most of llama.cpp's speed)") + ".")


def report(run_dir, out_path):
    meta = read_meta(run_dir)
    pairs = []
    settings = None
    i = 1
    while os.path.isdir(os.path.join(run_dir, f"pair{i}")):
        vals, extra, st = collect_pair(os.path.join(run_dir, f"pair{i}"))
        settings = settings or st
        row = {"pair": i, "order": meta.get(f"order{i}", "")}
        for name, unit, kind in METRICS:
            c, l = vals["corgi"][name], vals["llama"][name]
            row[name] = {"corgi": c, "llama": l, "unit": unit, "ratio": ratio(kind, c, l)}
        row["extra"] = extra
        pairs.append(row)
        i += 1

    medians = {}
    for name, unit, kind in METRICS:
        cs = [p[name]["corgi"] for p in pairs if p[name]["corgi"] is not None]
        ls = [p[name]["llama"] for p in pairs if p[name]["llama"] is not None]
        rs = [p[name]["ratio"] for p in pairs if p[name]["ratio"] is not None]
        medians[name] = {
            "corgi": statistics.median(cs) if cs else None,
            "llama": statistics.median(ls) if ls else None,
            "unit": unit,
            # the median of the per-pair ratios (each pair ran back to back), not the ratio of medians
            "ratio": statistics.median(rs) if rs else None,
        }

    result = {
        "meta": meta,
        "warning": busy_warning(meta),
        "llama_bench_settings": settings,
        "ratio_meaning": {
            "pp512, tg128": "corgi tokens/s ÷ llama tokens/s (> 1: corgi faster)",
            "image_encode, image_question": "llama time ÷ corgi time (> 1: corgi faster)",
            "peak_rss": "corgi ÷ llama (< 1: corgi uses less memory)",
        },
        "pairs": pairs,
        "median": medians,
    }

    lines = []
    lines.append(f"corgi {meta.get('corgi_format', '?')} vs llama.cpp {meta.get('llama_format', '?')} — "
                 f"preset {meta.get('preset', '?')}, {meta.get('threads', '?')} threads, {len(pairs)} pairs")
    lines.append(f"CPU: {meta.get('cpu', '?')}; gcc -march=native = {meta.get('gcc_march_native', '?')}; "
                 f"{meta.get('cpu_flags_avx512', '').strip() or 'no AVX-512/AMX flags'}")
    lines.append(f"load average: {meta.get('loadavg_start', '?')} at start, {meta.get('loadavg_end', '?')} at end")
    lines.append(f"llama.cpp: commit {meta.get('llama_commit', '?')}; build: {meta.get('llama_build_flags', '?')}; "
                 f"run flags: {meta.get('llama_run_flags', '?')}")
    if settings:
        lines.append("llama-bench settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()))
    lines.append(f"corgi: commit {meta.get('corgi_commit', '?')}, weights {meta.get('corgi_weights', '?')}")
    lines.append(f"image: {meta.get('image', '?')} ({meta.get('image_size', '?')}), "
                 f"question: {meta.get('gen_tokens', '?')} generated tokens")
    lines.append("")
    header = f"{'pair':>6}  {'metric':<15} {'unit':<6} {'corgi':>10} {'llama':>10} {'ratio':>7}"
    lines.append(header)
    lines.append("-" * len(header))
    for p in pairs:
        for name, unit, _ in METRICS:
            v = p[name]
            r = "—" if v["ratio"] is None else f"{v['ratio']:.3f}"
            lines.append(f"{p['pair']:>6}  {name:<15} {unit:<6} {fmt(v['corgi'], unit):>10} "
                         f"{fmt(v['llama'], unit):>10} {r:>7}")
    lines.append("-" * len(header))
    for name, unit, _ in METRICS:
        v = medians[name]
        r = "—" if v["ratio"] is None else f"{v['ratio']:.3f}"
        lines.append(f"{'median':>6}  {name:<15} {unit:<6} {fmt(v['corgi'], unit):>10} "
                     f"{fmt(v['llama'], unit):>10} {r:>7}")
    lines.append("")
    lines.append("ratio: pp512/tg128 = corgi tok/s ÷ llama tok/s; image_encode/image_question = llama time ÷ corgi "
                 "time (both: > 1 means corgi faster); peak_rss = corgi ÷ llama (< 1 means corgi smaller).")
    lines.append("ratio medians are medians of the per-pair ratios.")
    busy = busy_warning(meta)
    if busy:
        lines.append(busy)
    toks = [(p["extra"]["llama"].get("image_tokens"), p["extra"]["corgi"].get("image_tokens")) for p in pairs]
    if any(a is not None and b is not None and a != b for a, b in toks):
        lines.append(f"WARNING: image token counts differ (llama, corgi): {toks}")
    print("\n".join(lines))
    if out_path:
        with open(out_path, "w") as f:
            json.dump(result, f, indent=2, ensure_ascii=False)
            f.write("\n")
        print(f"\nJSON: {out_path}")


# ---------------------------------------------------------------- KL divergence

KL_PATTERNS = {
    "mean_kld": r"Mean\s+KLD:\s+(-?[\d.]+)\s+±\s+([\d.]+)",
    "max_kld": r"Maximum KLD:\s+(-?[\d.]+)",
    "p99_kld": r"99\.0%\s+KLD:\s+(-?[\d.]+)",
    "median_kld": r"Median\s+KLD:\s+(-?[\d.]+)",
    "same_top_p_percent": r"Same top p:\s+([\d.]+)\s+±\s+([\d.]+)\s*%",
    "rms_dp_percent": r"RMS Δp\s*:\s+([\d.]+)\s+±\s+([\d.]+)\s*%",
    "mean_ppl_q": r"Mean PPL\(Q\)\s*:\s+([\d.]+)\s+±\s+([\d.]+)",
    "mean_ppl_base": r"Mean PPL\(base\)\s*:\s+([\d.]+)\s+±\s+([\d.]+)",
}


def parse_kl_log(path):
    text = read_text(path)
    out = {"log": path}
    for key, pat in KL_PATTERNS.items():
        m = re.search(pat, text)
        if not m:
            out[key] = None
            continue
        out[key] = float(m.group(1))
        if m.lastindex and m.lastindex >= 2:
            out[key + "_uncertainty"] = float(m.group(2))
    m = re.search(r"kl_divergence: computing over (\d+) chunks, n_ctx=(\d+)", text)
    if m:
        n_chunk, n_ctx = int(m.group(1)), int(m.group(2))
        out["chunks"], out["n_ctx"] = n_chunk, n_ctx
        out["positions"] = n_chunk * (n_ctx - 1 - n_ctx // 2)
    return out


def kl(logs, out_path, meta_pairs):
    result = {k: v for k, v in (kv.split("=", 1) for kv in meta_pairs)}
    result["formats"] = {}
    for item in logs:
        name, _, path = item.partition("=")
        result["formats"][name] = parse_kl_log(path)
    with open(out_path, "w") as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(f"{'format':<10} {'mean KLD':>10} {'99% KLD':>10} {'same top':>9} {'RMS Δp':>8} {'positions':>9}")
    for name, r in result["formats"].items():
        def g(key, f="{:.6f}"):
            return "—" if r.get(key) is None else f.format(r[key])
        print(f"{name:<10} {g('mean_kld'):>10} {g('p99_kld'):>10} {g('same_top_p_percent', '{:.2f}%'):>9} "
              f"{g('rms_dp_percent', '{:.3f}%'):>8} {r.get('positions', '—'):>9}")
    print(f"JSON: {out_path}")


def kld_tokens(base, out_path, source):
    """Header of a --kl-divergence-base file: '_logits_', u32 n_ctx, i32 n_vocab, i32 n_chunk, i32 tokens[n_ctx*n_chunk]."""
    with open(base, "rb") as f:
        if f.read(8) != b"_logits_":
            raise SystemExit(f"{base}: not a llama-perplexity logits file")
        (n_ctx,) = struct.unpack("<I", f.read(4))
        n_vocab, n_chunk = struct.unpack("<ii", f.read(8))
        tokens = list(struct.unpack(f"<{n_ctx * n_chunk}i", f.read(4 * n_ctx * n_chunk)))
    first = n_ctx // 2
    doc = {
        "source": source,
        "n_ctx": n_ctx,
        "n_vocab": n_vocab,
        "n_chunk": n_chunk,
        "scored_logit_rows": [first, n_ctx - 2],
        "positions": n_chunk * (n_ctx - 1 - first),
        "scoring": ("each chunk is evaluated alone from an empty KV cache (no BOS: the Qwen2 vocab sets "
                    "add_bos=false); KL/top-1 use the logits of rows n_ctx/2 .. n_ctx-2 inclusive (0-based), "
                    "i.e. the predictions of tokens n_ctx/2+1 .. n_ctx-1; Δp uses p(next token) at those rows"),
        "chunks": [tokens[c * n_ctx:(c + 1) * n_ctx] for c in range(n_chunk)],
    }
    with open(out_path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"{n_chunk} chunks × {n_ctx} tokens, {doc['positions']} scored positions -> {out_path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("imgsize")
    s.add_argument("path")
    s = sub.add_parser("report")
    s.add_argument("run_dir")
    s.add_argument("--out")
    s = sub.add_parser("kl")
    s.add_argument("logs", nargs="+", help="NAME=LOG")
    s.add_argument("--out", required=True)
    s.add_argument("--meta", nargs="*", default=[], help="KEY=VALUE")
    s = sub.add_parser("kld-tokens")
    s.add_argument("base")
    s.add_argument("--out", required=True)
    s.add_argument("--source", default="")
    a = ap.parse_args()
    if a.cmd == "imgsize":
        w, h = image_size(a.path)
        print(f"{w}x{h}")
    elif a.cmd == "report":
        report(a.run_dir, a.out)
    elif a.cmd == "kl":
        kl(a.logs, a.out, a.meta)
    elif a.cmd == "kld-tokens":
        kld_tokens(a.base, a.out, a.source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
