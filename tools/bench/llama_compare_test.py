#!/usr/bin/env python3
"""Tests of llama_compare.py's parsers and report: python3 tools/bench/llama_compare_test.py"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import llama_compare as lc  # noqa: E402

SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data", "images"))


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def time_report(wall, rss_kb):
    return (f"\tCommand being timed: \"x\"\n\tElapsed (wall clock) time (h:mm:ss or m:ss): {wall}\n"
            f"\tMaximum resident set size (kbytes): {rss_kb}\n\tExit status: 0\n")


MTMD_LOG = """0.02.6 I encoding mtmd batch, n_chunks = 1 (done = 1, total = 3)
0.03.4 I mtmd batch encoding done in {enc} ms
0.03.4 I decoding image batch 1/1, n_tokens_batch = {img}
0.05.1 I llama_perf_context_print:        load time =     881.09 ms
0.05.1 I llama_perf_context_print: prompt eval time =    2634.79 ms /   314 tokens (    8.39 ms per token,   119.17 tokens per second)
0.05.1 I llama_perf_context_print:        eval time =     632.49 ms /    31 runs   (   42.17 ms per token,    23.72 tokens per second)
"""


class ImageSizeTest(unittest.TestCase):
    @unittest.skipUnless(os.path.isdir(SHARED), "needs ../shared/data")
    def test_png_baseline_and_progressive_jpeg(self):
        self.assertEqual(lc.image_size(os.path.join(SHARED, "qwen3_vl_jax_256", "horses.png")), (256, 256))
        self.assertEqual(lc.image_size(os.path.join(SHARED, "llama_cpp_mtmd", "test-1.jpeg")), (640, 488))
        # progressive (SOF2) JPEG with a JFIF header
        self.assertEqual(lc.image_size(os.path.join(SHARED, "moondream_demo", "demo-2.jpg")), (822, 966))

    def test_not_an_image(self):
        with tempfile.NamedTemporaryFile(suffix=".txt") as f:
            f.write(b"hello world, not an image at all")
            f.flush()
            with self.assertRaises(ValueError):
                lc.image_size(f.name)


class ParserTest(unittest.TestCase):
    def test_time_v(self):
        with tempfile.TemporaryDirectory() as d:
            write(f"{d}/a", time_report("1:02.50", 2048))
            self.assertEqual(lc.time_v(f"{d}/a"), (62.5, 2.0))
            write(f"{d}/b", time_report("1:00:01", 1024))
            self.assertEqual(lc.time_v(f"{d}/b"), (3601.0, 1.0))
            self.assertIsNone(lc.time_v(f"{d}/missing"))

    def test_mtmd_log(self):
        with tempfile.TemporaryDirectory() as d:
            write(f"{d}/log", MTMD_LOG.format(enc=798, img=300))
            m = lc.mtmd_log(f"{d}/log")
            self.assertEqual(m["encode_ms"], 798)
            self.assertEqual(m["image_tokens"], 300)
            self.assertEqual(m["prompt_tokens"], 314)
            self.assertEqual(m["eval_runs"], 31)

    def test_kl_log(self):
        log = """kl_divergence: computing over 6 chunks, n_ctx=512, batch_size=512, n_seq=1
Mean PPL(Q)                   : 164503.622845 ±   1935.279043
Mean PPL(base)                : 163903.451732 ±   1938.858408
====== KL divergence statistics ======
Mean    KLD:   0.006019 ±   0.000027
Maximum KLD:   0.011669
99.9%   KLD:   0.009790
99.0%   KLD:   0.008466
Median  KLD:   0.005990
RMS Δp    :  0.125 ± 0.010 %
Same top p: 50.196 ± 1.279 %
"""
        with tempfile.TemporaryDirectory() as d:
            write(f"{d}/q.log", log)
            r = lc.parse_kl_log(f"{d}/q.log")
        self.assertEqual(r["mean_kld"], 0.006019)
        self.assertEqual(r["p99_kld"], 0.008466)  # not the 99.9 % line
        self.assertEqual(r["same_top_p_percent"], 50.196)
        self.assertEqual(r["rms_dp_percent"], 0.125)
        self.assertEqual(r["positions"], 6 * 255)

    def test_kld_tokens(self):
        n_ctx, n_chunk = 8, 2
        tokens = list(range(100, 100 + n_ctx * n_chunk))
        with tempfile.TemporaryDirectory() as d:
            with open(f"{d}/base.kld", "wb") as f:
                f.write(b"_logits_" + struct.pack("<Iii", n_ctx, 151936, n_chunk))
                f.write(struct.pack(f"<{len(tokens)}i", *tokens))
            lc.kld_tokens(f"{d}/base.kld", f"{d}/t.json", "x")
            doc = lc.read_json(f"{d}/t.json")
        self.assertEqual(doc["chunks"], [tokens[:8], tokens[8:]])
        self.assertEqual(doc["scored_logit_rows"], [4, 6])
        self.assertEqual(doc["positions"], 2 * 3)


class BusyWarningTest(unittest.TestCase):
    def test_warns_only_when_others_held_the_cores(self):
        meta = {"ncpu": "2", "threads": "2", "loadavg_start": "0.3 0.2 0.1", "loadavg_end": "2.1 1.0 0.5"}
        self.assertIsNone(lc.busy_warning(meta))
        meta["loadavg_start"] = "6.5 5.0 4.0"
        self.assertIn("load average up to 6.5", lc.busy_warning(meta))
        self.assertIsNone(lc.busy_warning({"threads": "2"}))


class ReportTest(unittest.TestCase):
    def make_pair(self, d, llama_pp, corgi_pp, llama_enc, corgi_enc, llama_wall, corgi_wall):
        write(f"{d}/llama-pp.json", json.dumps([{"avg_ts": llama_pp, "repack": True}]))
        write(f"{d}/llama-tg.json", json.dumps([{"avg_ts": 10.0}]))
        write(f"{d}/corgi-pp.json", json.dumps({"prefill": [{"tokens": 16, "tokens_per_s": 1.0},
                                                           {"tokens": 512, "tokens_per_s": corgi_pp}]}))
        write(f"{d}/corgi-tg.json", json.dumps({"decode": [{"batch": 1, "tokens_per_s": 12.0}]}))
        write(f"{d}/corgi-img.json", json.dumps({"vision": [{"ms": 5.0, "tokens": 64},
                                                           {"ms": corgi_enc, "tokens": 300}]}))
        write(f"{d}/llama-img.err", MTMD_LOG.format(enc=llama_enc, img=300))
        write(f"{d}/llama-ask.err", MTMD_LOG.format(enc=llama_enc, img=300))
        write(f"{d}/llama-ask.time", time_report(f"0:{llama_wall:05.2f}", 400 * 1024))
        write(f"{d}/corgi-ask.time", time_report(f"0:{corgi_wall:05.2f}", 300 * 1024))

    def test_ratios_and_medians(self):
        with tempfile.TemporaryDirectory() as run:
            write(f"{run}/meta.tsv", "preset\tsmall\ncorgi_format\tq8\nllama_format\tQ8_0\n")
            self.make_pair(f"{run}/pair1", 100.0, 150.0, 2000, 1000, 20.0, 10.0)
            self.make_pair(f"{run}/pair2", 100.0, 120.0, 2000, 1600, 20.0, 16.0)
            self.make_pair(f"{run}/pair3", 100.0, 90.0, 2000, 2500, 20.0, 25.0)
            out = subprocess.run([sys.executable, os.path.join(HERE, "llama_compare.py"), "report", run,
                                  "--out", f"{run}/r.json"], capture_output=True, text=True, check=True).stdout
            r = lc.read_json(f"{run}/r.json")
        self.assertIn("corgi q8 vs llama.cpp Q8_0", out)
        self.assertEqual([p["pp512"]["ratio"] for p in r["pairs"]], [1.5, 1.2, 0.9])
        self.assertAlmostEqual(r["median"]["pp512"]["ratio"], 1.2)
        self.assertAlmostEqual(r["median"]["tg128"]["ratio"], 1.2)
        # time ratios are llama ÷ corgi: > 1 when corgi is faster
        self.assertEqual([p["image_encode"]["ratio"] for p in r["pairs"]], [2.0, 1.25, 0.8])
        self.assertAlmostEqual(r["median"]["image_question"]["ratio"], 1.25)
        self.assertAlmostEqual(r["median"]["peak_rss"]["ratio"], 0.75)
        self.assertEqual(r["pairs"][0]["extra"]["llama"]["image_tokens"], 300)

    def test_missing_side_gives_no_ratio(self):
        with tempfile.TemporaryDirectory() as run:
            write(f"{run}/pair1/llama-pp.json", json.dumps([{"avg_ts": 100.0}]))
            subprocess.run([sys.executable, os.path.join(HERE, "llama_compare.py"), "report", run,
                            "--out", f"{run}/r.json"], capture_output=True, text=True, check=True)
            r = lc.read_json(f"{run}/r.json")
        self.assertEqual(r["pairs"][0]["pp512"]["llama"], 100.0)
        self.assertIsNone(r["pairs"][0]["pp512"]["ratio"])
        self.assertIsNone(r["median"]["tg128"]["llama"])


class ScriptArgsTest(unittest.TestCase):
    """The shell scripts' option checks (nothing is built or run)."""

    def run_script(self, name, *args, env=None):
        return subprocess.run(["bash", os.path.join(HERE, name), *args], capture_output=True, text=True,
                              env={**os.environ, **(env or {})})

    def test_help_and_bad_options(self):
        for name in ("llama-compare.sh", "llama-kl.sh"):
            r = self.run_script(name, "--help")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("usage:", r.stdout)
            r = self.run_script(name, "--bogus")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("unknown option: --bogus", r.stderr)
            r = self.run_script(name, "--preset")
            self.assertIn("--preset needs a value", r.stderr)
        r = self.run_script("llama-compare.sh", "--format", "q5")
        self.assertIn("--format must be bf16, q8 or q4", r.stderr)
        r = self.run_script("llama-compare.sh", "--steps", "pp,xx")
        self.assertIn("--steps", r.stderr)

    def test_missing_tools_are_named(self):
        with tempfile.TemporaryDirectory() as d:
            r = self.run_script("llama-compare.sh", "--corgi-build", f"{d}/nothing")
            self.assertIn("corgi not found", r.stderr)
            write(f"{d}/build/src/apps/corgi", "#!/bin/sh\nexit 0\n")
            os.chmod(f"{d}/build/src/apps/corgi", 0o755)
            r = self.run_script("llama-compare.sh", "--corgi-build", f"{d}/build", "--llama-bin", f"{d}/bin")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(f"llama-bench not found at {d}/bin/llama-bench", r.stderr)
            r = self.run_script("llama-kl.sh", "--corgi-build", f"{d}/build", "--llama-bin", f"{d}/bin")
            self.assertIn("llama-perplexity not found", r.stderr)


if __name__ == "__main__":
    unittest.main()
