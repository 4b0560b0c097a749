"""corgi batch --remote through a fault-injecting proxy in front of corgi serve.

The proxy (stdlib only) forwards /v1/* to a corgi serve process on the tiny checkpoint and,
for a seeded pseudo-random share of chat requests, drops the connection, delays, answers
500 or 429 with Retry-After, cuts the body (or a stream) short, or stalls past the client's
timeout. The batch must end with every item recorded exactly once — answered, or with an
error — and the number of requests must stay within the retry budget.

Run by tools/run-server-tests.sh (CORGI_BIN, CORGI_MODEL in the environment).
"""
import http.client
import http.server
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

CORGI = os.environ.get("CORGI_BIN", "build/src/apps/corgi")
MODEL = os.environ.get("CORGI_MODEL", "models/tiny")
SHARED_IMAGES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "images")

FAULTS = ["drop", "delay", "500", "429", "truncate", "stall"]
FAULT_WEIGHTS = [3, 3, 3, 3, 3, 1]  # stalls cost a whole client timeout each: rarer
MAX_RETRIES = 6
# Long enough for a real call on a loaded 2-core machine, short enough for stalls.
CLIENT_TIMEOUT_S = 12


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FaultProxy(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream_port, fault_rate, seed):
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.upstream_port = upstream_port
        self.fault_rate = fault_rate
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.requests = 0
        self.faults = {f: 0 for f in FAULTS}

    def choose(self):
        with self.lock:
            self.requests += 1
            if self.rng.random() < self.fault_rate:
                # At rate 1 every request must fail: a delay would still answer.
                weights = [0 if f == "delay" and self.fault_rate >= 1 else w
                           for f, w in zip(FAULTS, FAULT_WEIGHTS)]
                fault = self.rng.choices(FAULTS, weights)[0]
                self.faults[fault] += 1
                return fault
            return None


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self, method, body):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        conn.request(method, self.path, body=body, headers=headers)
        return conn, conn.getresponse()

    def do_GET(self):
        conn, resp = self.forward("GET", None)
        data = resp.read()
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.getheader("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    def reply(self, status, body, extra=None):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        fault = self.server.choose() if self.path.endswith("/chat/completions") else None
        if fault == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "500":
            return self.reply(500, '{"error":{"message":"injected","type":"server_error"}}')
        if fault == "429":
            return self.reply(429, '{"error":{"message":"slow down","type":"rate_limit"}}', {"Retry-After": "0"})
        if fault == "stall":
            time.sleep(CLIENT_TIMEOUT_S + 1)
            self.close_connection = True
            return
        if fault == "delay":
            time.sleep(0.3)
        conn, resp = self.forward("POST", body)
        data = resp.read()
        conn.close()
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.getheader("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if fault == "truncate":  # promise the whole body, send half, hang up
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(data)


class FaultProxyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="corgi-fault-")
        cls.port = free_port()
        cls.serve = subprocess.Popen([CORGI, "serve", "-m", MODEL, "--port", str(cls.port), "--parallel", "4"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", cls.port, timeout=2)
                c.request("GET", "/health")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("corgi serve did not start")

    @classmethod
    def tearDownClass(cls):
        cls.serve.terminate()
        cls.serve.wait(timeout=30)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_batch(self, name, fault_rate, seed, parallel):
        proxy = FaultProxy(self.port, fault_rate, seed)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        work = os.path.join(self.tmp, name)
        os.makedirs(work)
        images = [os.path.abspath(os.path.join(SHARED_IMAGES, "llama_cpp_mtmd", "test-1.jpeg"))]
        for file in sorted(os.listdir(os.path.join(SHARED_IMAGES, "qwen3_vl_jax_256"))):
            if file.endswith((".jpg", ".jpeg", ".png")):
                images.append(os.path.abspath(os.path.join(SHARED_IMAGES, "qwen3_vl_jax_256", file)))
                break
        items = []
        for i in range(6):
            image = images[i % len(images)]
            items.append({"id": f"item{i}", "image": image, "question": f"What is shown? ({i})"})
        with open(os.path.join(work, "input.jsonl"), "w") as f:
            for item in items:
                f.write(json.dumps(item) + "\n")
        with open(os.path.join(work, "config.yaml"), "w") as f:
            f.write(f"""max_steps: 2
budgets: {{reasoning: 256, grounding: 64, caption: 8, ocr_vlm: 8, synthesis: 128}}
ocr: {{engine: vlm}}
outputs: {{crops: false, visualization: false, report: false}}
models:
  default:
    endpoints: [{{url: "http://127.0.0.1:{proxy.server_address[1]}/v1", dialect: corgi, max_in_flight: 4}}]
    timeout_s: {CLIENT_TIMEOUT_S}
    max_retries: {MAX_RETRIES}
    retry_backoff_s: 0.05
    eject_s: 0.2
""")
        out = os.path.join(work, "out")
        cmd = [CORGI, "batch", "--config", os.path.join(work, "config.yaml"),
               "--input", os.path.join(work, "input.jsonl"), "--out", out]
        if parallel > 1:
            cmd += ["--parallel", str(parallel)]
        start = time.time()
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        seconds = time.time() - start
        proxy.shutdown()
        self.assertIn(done.returncode, (0, 1), done.stderr[-2000:])
        with open(os.path.join(out, "results.jsonl")) as f:
            lines = [json.loads(line) for line in f if line.strip()]
        ids = [line["id"] for line in lines]
        self.assertEqual(sorted(ids), sorted(item["id"] for item in items), "lost or duplicated items")
        calls = 0
        for line in lines:
            self.assertTrue(line.get("answer") is not None or line.get("error"), line)
            results = os.path.join(out, "items", line["id"], "results.json")
            if os.path.exists(results):
                with open(results) as f:
                    calls += json.load(f).get("counts", {}).get("model_calls", 0)
        # libcurl itself re-sends a request once when a reused keep-alive connection turns
        # out dead before any reply byte (a dropped connection looks like that): x2.
        budget = (calls + len(items)) * (MAX_RETRIES + 1) * 2
        self.assertLessEqual(proxy.requests, budget, f"{proxy.requests} requests for {calls} calls")
        answered = sum(1 for line in lines if not line.get("error"))
        if fault_rate < 1:
            self.assertGreater(answered, 0, [line.get("error") for line in lines])
        print(f"\n{name}: {len(lines)} items, {answered} answered, {calls} calls, "
              f"{proxy.requests} requests, faults {proxy.faults}, {seconds:.1f} s", flush=True)
        return proxy

    def test_faults_with_parallel_batch(self):
        proxy = self.run_batch("faults", fault_rate=0.3, seed=7, parallel=4)
        self.assertGreater(sum(proxy.faults.values()), 3, "the proxy injected too few faults to mean anything")

    def test_every_request_failing_records_errors(self):
        # Every call fails: each item's reasoning call ends its query with an error after
        # 1 + MAX_RETRIES tries (each at most twice on the wire, see the budget above).
        proxy = self.run_batch("all-fail", fault_rate=1.0, seed=3, parallel=2)
        self.assertGreaterEqual(proxy.requests, 6 * (MAX_RETRIES + 1))
        self.assertLessEqual(proxy.requests, 6 * (MAX_RETRIES + 1) * 2)


if __name__ == "__main__":
    unittest.main()
