#!/usr/bin/env python3
"""Writes hf_cases.json: reference tokenizations from Hugging Face `tokenizers`.

The tricky inputs (pre-tokenizer edge cases, NFC, Unicode whitespace, contractions, added
tokens) and seeded random strings are encoded by the real Rust tokenizer, so
tokenizer_test can compare corgi with it without Python at test time.

    python3 -m venv /tmp/hf && /tmp/hf/bin/pip install tokenizers==0.23.3
    /tmp/hf/bin/python tests/data/tokenizer/make_hf_cases.py \
        ../shared/data/tokenizer/qwen3-derived/tokenizer.json > tests/data/tokenizer/hf_cases.json
"""
import json
import random
import sys

import tokenizers

FIXED = [
    "", " ", "a", "'", "''", "'s", "'S", "'ſ", "'ſa", "'re", "'RE", "'Ll", "'lL", "'ve", "'d'm",
    "x's'll", " 's", "don't stop", "I'M", "'x", "'", "a'", "' s",
    "\r", "\n", "\r\n", "\n\r", " \n", "\n ", " \n ", "  \n  x", "\t\n\t\nx", "a \r\n\r\n b",
    "x   ", "x   y", "   ", " \t ", "\u3000\u3000x", "\u00a0x", "x\u00a0\u00a0y", "\u0085x",
    " \u0085\u0085x", "a\u2028b", "a\u2029\u2029", "\u180e", " \u180e\u180ey", "\x0b\x0bb",
    " \x1c\x1cz", "\x00\x01 x", "x\x7f", "3.14159", "１２３", "Ⅻ", "²³", "a1b2", "x-1",
    "((a))", " (b)", "!!!\n\n", "...\r\n", " ?\n", "e\u0301", "A\u030a\u0301", "\u1100\u1161\u11a8",
    "Å", "ﬁ", "Ｋ", "\u212a", "ǅ", "ß", "İstanbul", "ΣΑΣ", "Ꙭ", "🤗🤗", "👨‍👩‍👧", "🇺🇸",
    "中文，标点。", "日本語のテキスト", "한국어 텍스트", "العربية", "עִבְרִית", "हिन्दी", "ไทย",
    "<|im_start|>", "<|im_start|><|im_end|>", "a<|im_end|>b", "<|im_start", "<|im_start|>user\n",
    "<think>\n\n</think>\n\n", "<|vision_start|><|image_pad|><|image_pad|><|vision_end|>",
    " <|endoftext|> ", "<<|im_end|>>", "<tool_call>x</tool_call>", "<|fim_prefix|>a<|fim_suffix|>",
    "x" * 300, " " * 70, "!" * 200, "a" * 100 + "b" * 100, "ab" * 150, "\n" * 40,
]

CLASSES = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789", " ", "  \t", "\n\r", "'", "sStTmMdDrReEvVlL", ".,;:!?()[]{}<>|/\\-_=+*&^%$#@~`\"",
    "àéîõüçñÅØæßœ", "\u0300\u0301\u0308\u030a\u0327", "αβγΣΩ", "абвгдЖЩ", "中文字符标点。，",
    "ひらがなカタカナ", "\u1100\u1161\u11a8\uac00", "\u00a0\u2009\u3000\u0085\u2028",
    "🤗😀👍🏽\u200d", "١٢٣", "²½Ⅻ", "ſ\u212a",
]
ADDED = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<think>", "<|image_pad|>"]


def random_text(rng):
    out = []
    for _ in range(rng.randint(1, 40)):
        if rng.random() < 0.03:
            out.append(rng.choice(ADDED))
        else:
            cls = rng.choice(CLASSES)
            out.append("".join(rng.choice(cls) for _ in range(rng.randint(1, 6))))
    return "".join(out)


def main():
    tok = tokenizers.Tokenizer.from_file(sys.argv[1])
    rng = random.Random(1234)
    texts = FIXED + [random_text(rng) for _ in range(300)]
    cases = [{"text": t, "ids": tok.encode(t, add_special_tokens=False).ids} for t in texts]
    json.dump({
        "source": "huggingface tokenizers %s on %s" % (tokenizers.__version__, sys.argv[1].split("/data/")[-1]),
        "generator": "tests/data/tokenizer/make_hf_cases.py",
        "cases": cases,
    }, sys.stdout, ensure_ascii=False, indent=None)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
