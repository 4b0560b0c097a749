#!/usr/bin/env bash
# Browser test of the web page of `corgi serve` (src/apps/server/web/): Debian's chromium
# driven by chromium-driver through selenium (PyPI), tests/browser/test_web.py.
# Builds nothing: give it a built corgi binary. Makes the tiny checkpoint when missing,
# starts `corgi serve` on free loopback ports (and the mock server, tests/browser/mock_server.py),
# uploads ../shared/data/images/llama_cpp_mtmd/test-1.jpeg, asks, waits for the answer,
# checks steps/boxes/answer/timings/trace/report link, the API-key path, errors, and takes
# screenshots (desktop and 375 px wide) into the output folder. Exit status non-zero on failure.
#
# usage: tools/run-browser-test.sh [--corgi PATH] [--model DIR] [--out DIR] [--suites real,key,mock]
#   --corgi   the binary (default build/src/apps/corgi)
#   --model   checkpoint directory (default models/tiny, made with `corgi make-model --preset tiny`)
#   --out     screenshots and server logs (default out/browser-test)
#   --suites  which suites to run (default real,key,mock,mock-key; `mock,mock-key` need no `corgi serve`)
# Environment: CORGI_BROWSER_VENV (default ../venv-test, outside the repository),
#              CHROMIUM (default /usr/bin/chromium), CHROMEDRIVER (default /usr/bin/chromedriver).
set -euo pipefail
cd "$(dirname "$0")/.."

corgi=build/src/apps/corgi
model=models/tiny
out=out/browser-test
suites=real,key,mock,mock-key
while [ $# -gt 0 ]; do
  case "$1" in
    --corgi) corgi=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --suites) suites=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-browser-test: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

venv=${CORGI_BROWSER_VENV:-$(cd .. && pwd)/venv-test}
chromium=${CHROMIUM:-/usr/bin/chromium}
chromedriver=${CHROMEDRIVER:-/usr/bin/chromedriver}

if [ ! -x "$chromium" ] || [ ! -x "$chromedriver" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y --no-install-recommends chromium chromium-driver
  else
    echo "run-browser-test: needs $chromium and $chromedriver: sudo apt-get install chromium chromium-driver" >&2
    exit 2
  fi
fi
if [ ! -x "$corgi" ]; then
  echo "run-browser-test: no corgi binary at $corgi (build it: cmake --build build --target corgi, or pass --corgi)" >&2
  exit 2
fi
case ",$suites," in
  *,real,*|*,key,*)
    if ! "$corgi" serve --help >/dev/null 2>&1; then
      echo "run-browser-test: '$corgi serve' does not run (not built into this binary?); use --suites mock to test the page alone" >&2
      exit 2
    fi
    if [ ! -f "$model/config.json" ]; then
      "$corgi" make-model --preset tiny --seed 0 "$model"
    fi ;;
esac
if ! "$venv/bin/python" -c 'import selenium' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet selenium
fi

mkdir -p "$out"
exec "$venv/bin/python" tests/browser/test_web.py --corgi "$corgi" --model "$model" --out "$out" \
  --suites "$suites" --chromium "$chromium" --chromedriver "$chromedriver"
