#!/usr/bin/env bash
# Installs the Debian 12 packages corgi builds and tests with (only the missing ones).
# Uses sudo when not root. Safe to run repeatedly.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libpcre2-dev libutf8proc-dev libxxhash-dev
  libjpeg62-turbo-dev libpng-dev libwebp-dev libexif-dev
  libyaml-cpp-dev libtesseract-dev tesseract-ocr-eng
  libfreetype-dev fonts-dejavu-core
  libcpp-httplib-dev libcurl4-openssl-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "corgi: installing ${missing[*]}" >&2
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
