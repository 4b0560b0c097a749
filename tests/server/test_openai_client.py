"""The official `openai` Python client, unmodified, against `corgi serve` on the tiny
synthetic checkpoint: non-streaming, streaming and json_schema chat completions.

Run by tools/run-server-tests.sh (which makes the venv and the checkpoint), or:
  CORGI_BIN=build/src/apps/corgi CORGI_MODEL=models/tiny python3 -m unittest tests/server/test_openai_client.py
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import openai

BIN = os.environ.get("CORGI_BIN", "build/src/apps/corgi")
MODEL = os.environ.get("CORGI_MODEL", "models/tiny")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OpenAIClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        # The server's log goes to a file: an undrained pipe would block it once full.
        cls.log = tempfile.TemporaryFile(mode="w+")
        cls.proc = subprocess.Popen(
            [BIN, "serve", "--model", MODEL, "--port", str(cls.port), "--api-key", "test-key"],
            stdout=cls.log, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.time() + 120
            while time.time() < deadline:
                if cls.proc.poll() is not None:
                    cls.log.seek(0)
                    raise RuntimeError("corgi serve exited: " + cls.log.read())
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{cls.port}/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except Exception:
                    time.sleep(0.2)
            else:
                raise RuntimeError("corgi serve did not become healthy")
        except BaseException:
            # tearDownClass does not run when setUpClass fails: stop the server here.
            cls.proc.kill()
            cls.proc.wait()
            raise
        cls.client = openai.OpenAI(base_url=f"http://127.0.0.1:{cls.port}/v1", api_key="test-key")
        cls.model = cls.client.models.list().data[0].id

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        code = cls.proc.wait(timeout=60)
        assert code == 0, f"corgi serve exited {code} after SIGTERM"

    def test_non_streaming(self):
        c = self.client.chat.completions.create(
            model=self.model, messages=[{"role": "user", "content": "Hello <|im_end|>"}],
            max_tokens=8, temperature=0)
        self.assertEqual(c.choices[0].message.role, "assistant")
        self.assertIsInstance(c.choices[0].message.content, str)
        self.assertIn(c.choices[0].finish_reason, ("stop", "length"))
        self.assertGreater(c.usage.prompt_tokens, 0)
        self.assertGreater(c.usage.completion_tokens, 0)

    def test_streaming_equals_non_streaming(self):
        messages = [{"role": "user", "content": "Count to three."}]
        full = self.client.chat.completions.create(
            model=self.model, messages=messages, max_tokens=10, temperature=0)
        stream = self.client.chat.completions.create(
            model=self.model, messages=messages, max_tokens=10, temperature=0, stream=True,
            stream_options={"include_usage": True})
        text, finish, usage = "", None, None
        for chunk in stream:
            if chunk.usage is not None:
                usage = chunk.usage
            for choice in chunk.choices:
                text += choice.delta.content or ""
                finish = choice.finish_reason or finish
        self.assertEqual(text, full.choices[0].message.content)
        self.assertEqual(finish, full.choices[0].finish_reason)
        self.assertIsNotNone(usage)
        self.assertEqual(usage.completion_tokens, full.usage.completion_tokens)

    def test_json_schema(self):
        schema = {"type": "object",
                  "properties": {"name": {"type": "string", "maxLength": 12},
                                 "age": {"type": "integer"}},
                  "required": ["name", "age"]}
        c = self.client.chat.completions.create(
            model=self.model, messages=[{"role": "user", "content": "A person as JSON."}],
            max_tokens=64, temperature=0,
            response_format={"type": "json_schema",
                             "json_schema": {"name": "person", "schema": schema, "strict": True}})
        value = json.loads(c.choices[0].message.content)
        self.assertIsInstance(value["name"], str)
        self.assertIsInstance(value["age"], int)

    def test_errors_are_api_errors(self):
        with self.assertRaises(openai.BadRequestError):
            self.client.chat.completions.create(
                model=self.model, messages=[{"role": "user", "content": [
                    {"type": "image_url", "image_url": {"url": "https://example.com/x.png"}}]}])
        bad = openai.OpenAI(base_url=f"http://127.0.0.1:{self.port}/v1", api_key="wrong")
        with self.assertRaises(openai.AuthenticationError):
            bad.models.list()


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
