#!/usr/bin/env python3
"""Browser test of the web page served by `corgi serve` (src/apps/server/web/).

Drives Debian's chromium through chromium-driver with selenium (PyPI). Run it through
tools/run-browser-test.sh, which makes the virtual environment and the tiny checkpoint.

Suites (each starts its own server on a free loopback port and stops it afterwards):
  real      `corgi serve --model DIR`: upload an image, ask, wait for the answer; steps,
            boxes (one per distinct step box of the result), timings, trace, report link;
            screenshots at desktop and phone (375 px) width; no horizontal overflow.
  key       `corgi serve --api-key K`: without the key the page shows an error; with the
            key typed into #api-key it answers.
  mock      tests/browser/mock_server.py (real pipeline on recorded completions): streamed
            chain of thought, object/text/key-evidence boxes, evidence crops, warnings,
            a query failure and an HTTP error shown as errors, the samples picker.
  mock-key  the `key` suite against the mock server started with --api-key.
Every suite fails on JavaScript errors in the browser console.

Exit status 0 when every selected suite passes.
"""
import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_IMAGE = os.path.join(os.path.dirname(REPO), 'shared', 'data', 'images', 'llama_cpp_mtmd',
                             'test-1.jpeg')
QUESTION = 'What is the publisher name of the newspaper?'


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def log(msg):
    print('browser-test: ' + msg, flush=True)


# ---------------------------------------------------------------- servers
def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Server:
    """A child process serving HTTP on a loopback port, stopped on exit."""

    def __init__(self, cmd, port, log_path, ready_timeout):
        self.port = port
        self.url = 'http://127.0.0.1:%d' % port
        self.log_path = log_path
        self.log = open(log_path, 'wb')
        log('starting: ' + ' '.join(cmd))
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + ready_timeout
        while True:
            if self.proc.poll() is not None:
                raise Failure('server exited with %s before it was ready; log: %s\n%s' % (
                    self.proc.returncode, log_path, self.tail()))
            try:
                with urllib.request.urlopen(self.url + '/health', timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.time() > deadline:
                self.stop()
                raise Failure('server not healthy after %ds; log: %s\n%s' % (
                    ready_timeout, log_path, self.tail()))
            time.sleep(0.3)
        log('ready: ' + self.url)

    def tail(self):
        try:
            with open(self.log_path, 'rb') as f:
                return f.read()[-3000:].decode(errors='replace')
        except OSError:
            return ''

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------- browser
def make_driver(args):
    opts = Options()
    opts.binary_location = args.chromium
    for a in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
              '--window-size=1366,900', '--hide-scrollbars', '--lang=en-US',
              '--disable-extensions', '--no-first-run'):
        opts.add_argument(a)
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    return webdriver.Chrome(service=Service(executable_path=args.chromedriver), options=opts)


def console_errors(driver, allow=()):
    """SEVERE browser-console entries, minus those containing any string in `allow`.

    Chromium also logs every HTTP error answer as a console error ("Failed to load
    resource"); the optional samples list (404 on a server without samples) is expected.
    """
    errs = []
    for e in driver.get_log('browser'):
        if e.get('level') != 'SEVERE':
            continue
        msg = e.get('message', '')
        if any(a in msg for a in allow) or '/v1/corgi/samples ' in msg:
            continue
        errs.append(e['message'])
    return errs


def set_viewport(driver, width, height, mobile):
    driver.execute_cdp_cmd('Emulation.setDeviceMetricsOverride', {
        'width': width, 'height': height, 'deviceScaleFactor': 2 if mobile else 1,
        'mobile': mobile})


def screenshot(driver, path, width, mobile=False):
    """A full-page PNG at the given CSS width."""
    set_viewport(driver, width, 900, mobile)
    time.sleep(0.4)  # layout settles (media queries, images)
    height = driver.execute_script(
        'return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)')
    set_viewport(driver, width, min(int(height), 12000), mobile)
    time.sleep(0.4)
    png = driver.execute_cdp_cmd('Page.captureScreenshot', {'format': 'png',
                                                            'captureBeyondViewport': True})
    with open(path, 'wb') as f:
        f.write(base64.b64decode(png['data']))
    overflow = driver.execute_script(
        'return document.documentElement.scrollWidth - document.documentElement.clientWidth')
    driver.execute_cdp_cmd('Emulation.clearDeviceMetricsOverride', {})
    log('screenshot: %s (%d px wide, horizontal overflow %d px)' % (path, width, overflow))
    return overflow


def visible(driver, css):
    els = driver.find_elements(By.CSS_SELECTOR, css)
    return [e for e in els if e.is_displayed()]


def text_of(driver, css):
    els = driver.find_elements(By.CSS_SELECTOR, css)
    return els[0].text.strip() if els else ''


def load_page(driver, base):
    driver.get(base + '/')
    WebDriverWait(driver, 20).until(lambda d: d.execute_script(
        'return document.readyState') == 'complete' and d.find_elements(By.ID, 'ask'))
    for css in ('#image-input', '#question', '#ask', '#api-key', '#cot', '#answer', '#explanation',
                '#timings', '#trace', '#error', '#report-link'):
        check(driver.find_elements(By.CSS_SELECTOR, css), 'the page has no %s element' % css)


def upload_and_ask(driver, image, question, api_key=None):
    if api_key is not None:
        k = driver.find_element(By.ID, 'api-key')
        k.clear()
        k.send_keys(api_key)
    driver.find_element(By.ID, 'image-input').send_keys(os.path.abspath(image))
    WebDriverWait(driver, 20).until(lambda d: d.execute_script(
        'return !!(window.corgi && window.corgi.image)'))
    q = driver.find_element(By.ID, 'question')
    q.clear()
    q.send_keys(question)
    ask = driver.find_element(By.ID, 'ask')
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", ask)
    ask.click()


def wait_done(driver, timeout):
    """Waits until the run ends (Ask enabled again) with an answer or an error shown."""
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.25).until(lambda d: d.execute_script(
            "const a = document.getElementById('ask');"
            "return !a.disabled && (document.getElementById('answer').textContent.trim() !== '' ||"
            " !document.getElementById('error').hidden);"))
    except TimeoutException:
        raise Failure('no answer and no error after %ds (status: %r, error: %r)' % (
            timeout, text_of(driver, '#run-status'), text_of(driver, '#error')))


def error_text(driver):
    e = driver.find_element(By.ID, 'error')
    return e.text.strip() if e.is_displayed() else ''


def expected_box_groups(driver):
    """Distinct (colour, region) boxes the page should draw for its last result."""
    return driver.execute_script("""
      const r = window.corgi.run && window.corgi.run.result; if (!r) return -1;
      const kind = (s) => s.type === 'text' ? 'text' : s.type === 'object' ? 'object' : 'neutral';
      const keys = new Set();
      for (const s of r.steps || []) for (const b of s.boxes || []) keys.add(kind(s) + b.map(v => v.toFixed(4)));
      for (const k of r.key_evidence || []) keys.add('key' + k.box.map(v => v.toFixed(4)));
      return keys.size;""")


def assert_answered(driver, min_boxes=0):
    err = error_text(driver)
    check(not err, 'the page shows an error: ' + err)
    answer = text_of(driver, '#answer')
    check(answer, '#answer is empty')
    steps = driver.find_elements(By.CSS_SELECTOR, '#steps .step')
    check(len(steps) >= 1, 'no .step elements')
    boxes = driver.find_elements(By.CSS_SELECTOR, '#overlay .box')
    want = expected_box_groups(driver)
    check(want >= 0, 'the page kept no result document (window.corgi.run.result)')
    check(len(boxes) == want, '%d .box elements, the result has %d distinct boxes' % (len(boxes), want))
    check(len(boxes) >= min_boxes, 'expected at least %d boxes, found %d' % (min_boxes, len(boxes)))
    phases = driver.find_elements(By.CSS_SELECTOR, '#timings .phase-done')
    check(len(phases) == 4, '%d phases marked done in #timings, expected 4' % len(phases))
    check(driver.find_element(By.CSS_SELECTOR, '#timings .phase-total .phase-ms').text.strip(),
          'no total time')
    # The trace is fetched after the result: wait for its calls.
    WebDriverWait(driver, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '#trace-calls .call'))
    # With an API key the report is fetched with the header and linked as a blob: URL.
    try:
        WebDriverWait(driver, 20).until(
            lambda d: d.find_element(By.ID, 'report-link').get_attribute('href'))
    except TimeoutException:
        raise Failure('#report-link has no href (shown: %s)' %
                      driver.find_element(By.ID, 'report-link').is_displayed())
    href = driver.find_element(By.ID, 'report-link').get_attribute('href')
    log('answered: %d steps, %d boxes, %d evidence, %d trace calls; answer %r' % (
        len(steps), len(boxes), len(driver.find_elements(By.CSS_SELECTOR, '.evidence')),
        len(driver.find_elements(By.CSS_SELECTOR, '#trace-calls .call')), answer[:60]))
    return href


def fetch_status(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


# ---------------------------------------------------------------- suites
def suite_real(driver, args):
    port = free_port()
    with Server([args.corgi, 'serve', '--model', args.model, '--port', str(port)], port,
                os.path.join(args.out, 'serve-real.log'), args.ready_timeout) as srv:
        driver.get_log('browser')  # drop earlier entries
        load_page(driver, srv.url)
        WebDriverWait(driver, 20).until(
            lambda d: 'pill-ok' in d.find_element(By.ID, 'health').get_attribute('class'))
        upload_and_ask(driver, args.image, args.question)
        t0 = time.time()
        wait_done(driver, args.timeout)
        log('real: run took %.1fs in the browser' % (time.time() - t0))
        href = assert_answered(driver)
        check(fetch_status(href) == 200, 'report link %s does not answer 200' % href)
        # Open the trace and its first call, for the screenshot.
        driver.execute_script("document.getElementById('trace').open = true;"
                              "const c = document.querySelector('#trace-calls .call'); if (c) c.open = true;")
        ov = screenshot(driver, os.path.join(args.out, 'real-desktop.png'), 1366)
        check(ov <= 0, 'desktop page overflows horizontally by %d px' % ov)
        ov = screenshot(driver, os.path.join(args.out, 'real-phone-375.png'), 375, mobile=True)
        check(ov <= 0, 'phone-width page overflows horizontally by %d px' % ov)
        errs = console_errors(driver)
        check(not errs, 'console errors: %s' % errs)


def mock_cmd(args, port, *extra):
    return [sys.executable, os.path.join(REPO, 'tests', 'browser', 'mock_server.py'),
            '--port', str(port), '--corgi', args.corgi, '--delay', '0.05'] + list(extra)


def suite_key(driver, args, mock=False):
    port = free_port()
    key = 'test-key-' + str(port)
    if mock:
        cmd, name = mock_cmd(args, port, '--api-key', key), 'mock-key.log'
    else:
        cmd = [args.corgi, 'serve', '--model', args.model, '--port', str(port), '--api-key', key]
        name = 'serve-key.log'
    with Server(cmd, port, os.path.join(args.out, name), args.ready_timeout) as srv:
        driver.get(srv.url + '/')  # clear a key kept from an earlier suite
        driver.execute_script("localStorage.removeItem('corgi.apiKey')")
        driver.get_log('browser')
        load_page(driver, srv.url)
        upload_and_ask(driver, args.image, args.question, api_key='')
        wait_done(driver, 60)
        err = error_text(driver)
        check(err, 'no error shown when asking without the API key')
        check(not text_of(driver, '#answer'), 'an answer appeared without the API key')
        log('key: without the key the page shows: %r' % err[:120])
        screenshot(driver, os.path.join(args.out, ('mock-' if mock else '') + 'key-missing-error.png'), 1366)
        upload_and_ask(driver, args.image, args.question, api_key=key)
        wait_done(driver, args.timeout)
        href = assert_answered(driver)
        check(href.startswith('blob:') or fetch_status(href, {'Authorization': 'Bearer ' + key}) == 200,
              'report link does not work with the key')
        stored = driver.execute_script("return localStorage.getItem('corgi.apiKey')")
        check(stored == key, 'the API key was not kept in localStorage')
        errs = console_errors(driver, allow=('401', '403'))
        check(not errs, 'console errors: %s' % errs)
        driver.execute_script("localStorage.removeItem('corgi.apiKey')")


def suite_mock(driver, args):
    port = free_port()
    with Server(mock_cmd(args, port), port, os.path.join(args.out, 'mock.log'), 30) as srv:
        driver.get_log('browser')
        load_page(driver, srv.url)
        # The streamed chain of thought is visible before the run ends.
        upload_and_ask(driver, args.image, QUESTION)
        WebDriverWait(driver, 30).until(lambda d: len(text_of(d, '#cot')) > 10)
        check(driver.find_element(By.ID, 'ask').get_attribute('disabled') is not None,
              'the chain of thought did not stream (it appeared only after the run)')
        screenshot(driver, os.path.join(args.out, 'mock-streaming.png'), 1366)
        wait_done(driver, 60)
        assert_answered(driver, min_boxes=3)
        check(text_of(driver, '#answer') == 'OPEN 24 HOURS', 'mock answer is %r' % text_of(driver, '#answer'))
        check(text_of(driver, '#cot').startswith('The question asks'), 'chain of thought: %r' % text_of(driver, '#cot'))
        check(visible(driver, '#overlay .box-object') and visible(driver, '#overlay .box-text') and
              visible(driver, '#overlay .box-key'), 'object, text and key-evidence boxes are not all drawn')
        colors = driver.execute_script(
            "return ['object','text','key'].map(k => getComputedStyle(document.querySelector('#overlay .box-' + k)).borderTopColor)")
        check(colors == ['rgb(0, 200, 0)', 'rgb(230, 0, 0)', 'rgb(255, 210, 0)'],
              'box colours differ from annotated.png: %s' % colors)
        ev = driver.find_elements(By.CSS_SELECTOR, '.evidence')
        check(len(ev) == 2, '%d evidence items, expected 2' % len(ev))
        check(driver.find_elements(By.CSS_SELECTOR, '.evidence .crop canvas'), 'no evidence crops')
        check(visible(driver, '#key-evidence .key-item'), 'key evidence not listed')
        check(text_of(driver, '#explanation'), '#explanation is empty')
        driver.execute_script("document.getElementById('trace').open = true;"
                              "const c = document.querySelector('#trace-calls .call'); if (c) c.open = true;")
        # Hovering a step highlights its box.
        ActionChains = webdriver.ActionChains
        ActionChains(driver).move_to_element(driver.find_element(By.ID, 'step-2')).perform()
        check(driver.find_elements(By.CSS_SELECTOR, '#overlay .box.hl'), 'hovering a step highlights no box')
        ActionChains(driver).move_to_element(driver.find_element(By.ID, 'answer')).perform()
        ov = screenshot(driver, os.path.join(args.out, 'mock-desktop.png'), 1366)
        check(ov <= 0, 'desktop page overflows horizontally by %d px' % ov)
        ov = screenshot(driver, os.path.join(args.out, 'mock-phone-375.png'), 375, mobile=True)
        check(ov <= 0, 'phone-width page overflows horizontally by %d px' % ov)

        # Repairs: warnings, fallback boxes, whole-image evidence.
        upload_and_ask(driver, args.image, '[replay=repairs] ' + QUESTION)
        wait_done(driver, 60)
        assert_answered(driver, min_boxes=3)
        check(len(driver.find_elements(By.CSS_SELECTOR, '#warnings li')) >= 3, 'warnings not listed')
        check(driver.find_elements(By.CSS_SELECTOR, '#step-3 .step-warning'), 'step warnings not shown')

        # A query failure (synthesis unreadable) and an HTTP error are shown as errors.
        upload_and_ask(driver, args.image, '[replay=bad_synthesis] ' + QUESTION)
        wait_done(driver, 60)
        check('synthesis output' in error_text(driver), 'query failure not shown: %r' % error_text(driver))
        check(driver.find_elements(By.CSS_SELECTOR, '#steps .step'), 'steps of a failed query vanished')
        screenshot(driver, os.path.join(args.out, 'mock-query-error.png'), 1366)
        upload_and_ask(driver, args.image, '[http=500] ' + QUESTION)
        wait_done(driver, 30)
        check('HTTP 500' in error_text(driver), 'HTTP error not shown: %r' % error_text(driver))
        upload_and_ask(driver, args.image, '[deadline] ' + QUESTION)
        wait_done(driver, 60)
        check('deadline' in error_text(driver), 'mid-stream server error not shown: %r' % error_text(driver))
        check(len(driver.find_elements(By.CSS_SELECTOR, '.evidence')) == 2, 'evidence before the error vanished')
        upload_and_ask(driver, args.image, '[cut] ' + QUESTION)
        wait_done(driver, 60)
        check('before the result' in error_text(driver), 'cut stream not shown: %r' % error_text(driver))

        # The samples picker loads an image the page can ask about.
        load_page(driver, srv.url)
        WebDriverWait(driver, 10).until(lambda d: visible(d, '#samples'))
        Select(driver.find_element(By.ID, 'samples')).select_by_index(2)
        WebDriverWait(driver, 10).until(lambda d: d.execute_script(
            'return !!(window.corgi && window.corgi.image)'))
        errs = console_errors(driver, allow=('status of 500',))
        check(not errs, 'console errors: %s' % errs)


SUITES = {'real': suite_real, 'key': suite_key, 'mock': suite_mock,
          'mock-key': lambda driver, args: suite_key(driver, args, mock=True)}


def main():
    ap = argparse.ArgumentParser(description='Browser test of the corgi web page.')
    ap.add_argument('--corgi', default=os.path.join(REPO, 'build', 'src', 'apps', 'corgi'))
    ap.add_argument('--model', help='checkpoint directory (suites real, key)')
    ap.add_argument('--out', default=os.path.join(REPO, 'out', 'browser-test'))
    ap.add_argument('--image', default=DEFAULT_IMAGE)
    ap.add_argument('--question', default=QUESTION)
    ap.add_argument('--suites', default='real,key,mock', help='comma-separated: real, key, mock, mock-key')
    ap.add_argument('--timeout', type=int, default=300, help='seconds to wait for an answer')
    ap.add_argument('--ready-timeout', type=int, default=120, help='seconds to wait for /health')
    ap.add_argument('--chromium', default='/usr/bin/chromium')
    ap.add_argument('--chromedriver', default='/usr/bin/chromedriver')
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    suites = [s for s in args.suites.split(',') if s]
    for s in suites:
        if s not in SUITES:
            sys.exit('unknown suite %r' % s)
        if s in ('real', 'key') and not args.model:
            sys.exit('suite %s needs --model' % s)
    check_ok = os.path.isfile(args.image) and os.access(args.corgi, os.X_OK)
    if not check_ok:
        sys.exit('missing %s or %s' % (args.image, args.corgi))
    driver = make_driver(args)
    failed = []
    try:
        for s in suites:
            log('suite %s' % s)
            try:
                SUITES[s](driver, args)
                log('suite %s: PASS' % s)
            except Exception as e:  # noqa: BLE001 — report every suite
                failed.append(s)
                log('suite %s: FAIL: %s' % (s, e))
                if not isinstance(e, Failure):
                    traceback.print_exc()
                try:
                    path = os.path.join(args.out, 'failure-%s.png' % s)
                    driver.save_screenshot(path)
                    log('failure screenshot: ' + path)
                except Exception:  # noqa: BLE001
                    pass
    finally:
        driver.quit()
    log('%d of %d suites passed%s' % (len(suites) - len(failed), len(suites),
                                      (' (failed: %s)' % ', '.join(failed)) if failed else ''))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
