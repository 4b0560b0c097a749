#!/usr/bin/env python3
"""A stand-in for `corgi serve`, for developing and testing the web page (src/apps/server/web/).

Permanent dev tool: edit index.html / app.js / style.css and reload the browser — the files
are read from disk on every request, nothing is compiled in. It speaks the page's part of the
server API (docs/SERVER.md):

  GET  /  /app.js  /style.css          the page
  GET  /health                         {"status": "ok", "model": ...}
  GET  /v1/corgi/samples               [{"name", "url", "question"?}] of --samples images
                                       (served at url; name/question from a samples.json beside)
  POST /v1/corgi/ask                   JSON {"image": data URL, "question", "stream", "settings"}
                                       → text/event-stream of pipeline events, then `result`
  GET  /v1/corgi/runs/{id}/{file}      report.html, trace.json, annotated.png, crops/...

The pipeline is real: each ask runs `corgi ask --replay FILE --events` on the posted image
(the binary, no model: recorded completions from tests/data/replay/), so steps, boxes,
evidence (Tesseract OCR of the real crop), answer and run files are what corgi produces.
The stream is slowed down (--delay) and token `delta` events are synthesized from the
replay's recorded reasoning and synthesis outputs, as the real server streams them.

Test hooks, in the question text (stripped before the question is used):
  [replay=NAME]   use tests/data/replay/NAME.json (e.g. repairs, bad_synthesis)
  [http=CODE]     answer HTTP CODE with an OpenAI-shaped JSON error before streaming
  [cut]           end the stream before the result (a dropped connection)
  [deadline]      after the evidence phase, fail as the server does mid-stream: an `error`
                  event carrying {"error": {message, type, code}}, then the end

Usage:
  tests/browser/mock_server.py [--port 8090] [--api-key KEY] [--delay 0.12]
  # then open http://127.0.0.1:8090/
"""
import argparse
import base64
import binascii
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TYPES = {'.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
         '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.png': 'image/png',
         '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp'}


def sniff_ext(data):
    if data.startswith(b'\x89PNG'):
        return '.png'
    if data.startswith(b'\xff\xd8'):
        return '.jpg'
    if data[:4] == b'RIFF' and data[8:12] == b'WEBP':
        return '.webp'
    return None


def chunks(text, rng_seed=0):
    """Splits text into token-sized pieces (2–6 characters), like a model's deltas."""
    out, i, k = [], 0, rng_seed
    while i < len(text):
        k = (k * 1103515245 + 12345) & 0x7fffffff
        n = 2 + k % 5
        out.append(text[i:i + n])
        i += n
    return out


class Mock:
    def __init__(self, args):
        self.args = args
        self.web = os.path.abspath(args.web_dir)
        self.runs_dir = tempfile.mkdtemp(prefix='corgi-mock-runs-')
        self.runs = {}  # id → directory
        self.lock = threading.Lock()
        self.samples = []  # (path, name, question or None)
        for p in args.samples:
            if os.path.isfile(p):
                self.samples.append(sample_entry(os.path.abspath(p)))


def sample_entry(path):
    """(path, name, question): name and question from a samples.json beside the file (as in
    src/apps/server/web/samples/), else the file name and no question."""
    name, question = os.path.basename(path), None
    manifest = os.path.join(os.path.dirname(path), 'samples.json')
    try:
        with open(manifest, encoding='utf-8') as f:
            for e in json.load(f).get('samples', []):
                if e.get('file') == os.path.basename(path):
                    name, question = e.get('name', name), e.get('question')
    except (OSError, ValueError, AttributeError):
        pass
    return path, name, question


class Handler(BaseHTTPRequestHandler):
    server_version = 'corgi-mock/1'
    protocol_version = 'HTTP/1.0'  # the stream ends when the connection closes

    @property
    def mock(self):
        return self.server.mock

    def log_message(self, fmt, *a):
        if not self.mock.args.quiet:
            sys.stderr.write('mock: ' + (fmt % a) + '\n')

    # ------------------------------------------------------------ replies
    def send_bytes(self, code, body, ctype):
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Cache-Control', 'no-store')
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def send_json(self, code, obj):
        self.send_bytes(code, json.dumps(obj).encode(), 'application/json')

    def send_error_json(self, code, message, etype='invalid_request_error', ecode=None):
        self.send_json(code, {'error': {'message': message, 'type': etype, 'code': ecode}})

    def authorized(self):
        key = self.mock.args.api_key
        if not key:
            return True
        if self.headers.get('Authorization', '') == 'Bearer ' + key:
            return True
        self.send_error_json(401, 'missing or wrong API key: send "Authorization: Bearer <key>"',
                             'authentication_error', 'invalid_api_key')
        return False

    # ------------------------------------------------------------ GET
    def do_GET(self):
        path = urllib.parse.urlparse(self.path).path
        if path in ('/', '/index.html', '/app.js', '/style.css'):
            name = 'index.html' if path in ('/', '/index.html') else path[1:]
            with open(os.path.join(self.mock.web, name), 'rb') as f:
                body = f.read()
            return self.send_bytes(200, body, TYPES[os.path.splitext(name)[1]])
        if path == '/health':
            return self.send_json(200, {'status': 'ok', 'model': 'mock (replay)'})
        if not self.authorized():
            return None
        if path == '/v1/corgi/samples':
            if self.mock.args.no_samples:
                return self.send_error_json(404, 'no samples', 'not_found_error', 'not_found')
            listed = []
            for i, (p, name, question) in enumerate(self.mock.samples):
                item = {'name': name, 'url': '/v1/corgi/samples/' + str(i)}
                if question:
                    item['question'] = question
                listed.append(item)
            return self.send_json(200, listed)
        m = re.fullmatch(r'/v1/corgi/samples/(\d+)', path)
        if m and int(m.group(1)) < len(self.mock.samples):
            p = self.mock.samples[int(m.group(1))][0]
            with open(p, 'rb') as f:
                return self.send_bytes(200, f.read(), TYPES.get(os.path.splitext(p)[1].lower(),
                                                               'application/octet-stream'))
        m = re.fullmatch(r'/v1/corgi/runs/([A-Za-z0-9_-]+)/(report\.html|trace\.json|annotated\.png|'
                         r'results\.json|crops/[A-Za-z0-9_.-]+)', path)
        if m:
            run_dir = self.mock.runs.get(m.group(1))
            f = os.path.join(run_dir, m.group(2)) if run_dir else None
            if f and os.path.isfile(f) and '..' not in m.group(2):
                with open(f, 'rb') as fh:
                    return self.send_bytes(200, fh.read(), TYPES.get(os.path.splitext(f)[1],
                                                                    'application/octet-stream'))
        return self.send_error_json(404, 'not found: ' + path, 'not_found_error', 'not_found')

    do_HEAD = do_GET

    # ------------------------------------------------------------ POST /v1/corgi/ask
    def do_POST(self):
        path = urllib.parse.urlparse(self.path).path
        if path != '/v1/corgi/ask':
            return self.send_error_json(404, 'not found: ' + path, 'not_found_error', 'not_found')
        if not self.authorized():
            return None
        n = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(n)
        try:
            req = json.loads(raw)
        except ValueError as e:
            return self.send_error_json(400, 'malformed JSON: %s' % e, ecode='invalid_json')
        if not isinstance(req, dict):
            return self.send_error_json(400, 'the body must be a JSON object')
        question, image = req.get('question'), req.get('image')
        if not isinstance(question, str) or not question.strip():
            return self.send_error_json(400, '"question" must be a non-empty string',
                                        ecode='invalid_question')
        if not isinstance(image, str) or not image:
            return self.send_error_json(400, '"image" must be a data URL or base64 string',
                                        ecode='invalid_image')
        settings = req.get('settings') or {}
        unknown = set(settings) - {'max_steps', 'max_regions', 'ocr', 'budgets'}
        if unknown:
            return self.send_error_json(400, 'settings: unknown key \'%s\'' % sorted(unknown)[0],
                                        ecode='invalid_settings')
        replay = 'qwen3_basic'
        m = re.search(r'\[replay=([A-Za-z0-9_]+)\]', question)
        if m:
            replay = m.group(1)
        m = re.search(r'\[http=(\d{3})\]', question)
        if m:
            return self.send_error_json(int(m.group(1)), 'mock failure requested by the question',
                                        'server_error', 'mock')
        cut = '[cut]' in question
        deadline = '[deadline]' in question
        question = re.sub(r'\s*\[[a-z]+(=[A-Za-z0-9_]+)?\]\s*', ' ', question).strip()
        b64 = image.split(',', 1)[1] if image.startswith('data:') else image
        try:
            data = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            return self.send_error_json(400, '"image": invalid base64', ecode='invalid_image')
        ext = sniff_ext(data)
        if not ext:
            return self.send_error_json(400, '"image": not a JPEG, PNG or WebP image',
                                        ecode='invalid_image')
        replay_file = os.path.join(REPO, 'tests', 'data', 'replay', replay + '.json')
        if not os.path.isfile(replay_file):
            return self.send_error_json(400, 'no replay ' + replay)

        run_id = secrets.token_urlsafe(12).replace('-', 'x').replace('_', 'y')
        run_dir = os.path.join(self.mock.runs_dir, run_id)
        os.makedirs(run_dir)
        img_path = os.path.join(run_dir, 'input' + ext)
        with open(img_path, 'wb') as f:
            f.write(data)
        cmd = [self.mock.args.corgi, 'ask', '--replay', replay_file, '--image', img_path,
               '--question', question, '--events', '--out', os.path.join(run_dir, 'out')]
        for key, flag in (('max_steps', '--max-steps'), ('max_regions', '--max-regions')):
            if key in settings:
                cmd += [flag, str(settings[key])]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode not in (0, 1):
            return self.send_error_json(500, 'corgi ask failed: ' + proc.stderr.strip()[-500:],
                                        'server_error', 'internal')
        events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
        with open(replay_file) as f:
            completions = json.load(f).get('completions', [])
        recorded = {c['phase']: c['output'] for c in completions
                    if c.get('phase') in ('reasoning', 'synthesis')}
        out_dir = os.path.join(run_dir, 'out')
        self.mock.runs[run_id] = out_dir

        self.send_response(200)
        self.send_header('Content-Type', 'text/event-stream')
        self.send_header('Cache-Control', 'no-cache')
        self.end_headers()
        delay = self.mock.args.delay

        def send(event, data):
            self.wfile.write(('event: %s\ndata: %s\n\n' % (event, json.dumps(data))).encode())
            self.wfile.flush()

        try:
            self.wfile.write(b': corgi mock stream\n\n')
            for ev in events:
                time.sleep(delay)
                send(ev['event'], ev['data'])
                if ev['event'] == 'phase_start' and ev['data'].get('phase') in recorded:
                    phase = ev['data']['phase']
                    for piece in chunks(recorded[phase]):
                        time.sleep(delay / 8)
                        send('delta', {'phase': phase, 'text': piece})
                if deadline and ev['event'] == 'phase_end' and ev['data'].get('phase') == 'evidence':
                    send('error', {'error': {'message': 'the request passed its deadline (mock)',
                                             'type': 'timeout_error', 'code': 'deadline_exceeded'}})
                    return None
            if cut:
                return None
            with open(os.path.join(out_dir, 'results.json')) as f:
                doc = json.load(f)
            doc['id'] = run_id
            time.sleep(delay)
            send('result', doc)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (Stop button)
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=8090)
    ap.add_argument('--api-key', default=os.environ.get('CORGI_API_KEY', ''))
    ap.add_argument('--delay', type=float, default=0.12, help='seconds between events')
    ap.add_argument('--corgi', default=os.path.join(REPO, 'build', 'src', 'apps', 'corgi'))
    ap.add_argument('--web-dir', default=os.path.join(REPO, 'src', 'apps', 'server', 'web'))
    # The samples corgi serve bundles (src/apps/server/web/samples/, with samples.json).
    bundled = os.path.join(REPO, 'src', 'apps', 'server', 'web', 'samples')
    ap.add_argument('--samples', nargs='*', default=[
        os.path.join(bundled, f) for f in ('chart-revenue.png', 'chart-calibration.png', 'newspaper.jpeg')])
    ap.add_argument('--no-samples', action='store_true', help='answer 404 to /v1/corgi/samples')
    ap.add_argument('--quiet', action='store_true')
    args = ap.parse_args()
    if not os.access(args.corgi, os.X_OK):
        sys.exit('mock: no corgi binary at %s (build it, or pass --corgi)' % args.corgi)
    srv = ThreadingHTTPServer((args.host, args.port), Handler)
    srv.daemon_threads = True
    srv.mock = Mock(args)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    print('mock: serving http://%s:%d/ (runs in %s)' % (args.host, srv.server_port,
                                                         srv.mock.runs_dir), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        shutil.rmtree(srv.mock.runs_dir, ignore_errors=True)


if __name__ == '__main__':
    main()
