#!/usr/bin/env bash
# Installs everything rollcoach needs on Debian 12 (bookworm) x86_64, as root. Idempotent.
#   - Debian packages to build (OpenCV, clang for the opencv binding generator), to speak cues (espeak-ng, aplay)
#     and to test (Xvfb, ImageMagick, ffmpeg, Chromium for the HTML report tests)
#   - ONNX Runtime shared library taken from the PyPI `onnxruntime` wheel (ort's own download cannot work offline)
#   - checks the BlazePose models in models/ against models/SHA256SUMS
# Afterwards the program finds the runtime itself (ORT_DYLIB_PATH, ./runtime, /opt/onnxruntime-*).
set -euo pipefail

ORT_VERSION="${ORT_VERSION:-1.31.1}"        # ort 2.0.0-rc.15 with feature api-31 needs >= 1.31
ORT_DIR="${ORT_DIR:-/opt/onnxruntime-$ORT_VERSION}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DEBIAN_FRONTEND=noninteractive

need_pkgs=()
for p in ca-certificates g++ pkg-config libopencv-dev clang libclang-dev xvfb xauth imagemagick ffmpeg espeak-ng alsa-utils chromium; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$p")
done
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  apt-get update
  apt-get install -y --no-install-recommends "${need_pkgs[@]}"
fi

# Rust toolchain: rustup's (Debian 12's own cargo is too old for these crates)
if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then export PATH="$HOME/.cargo/bin:$PATH"; else
    echo "setup: cargo not found; install Rust >= 1.92 (rustup) first" >&2; exit 1; fi
fi

# ONNX Runtime shared library from the PyPI wheel
if [ ! -e "$ORT_DIR/libonnxruntime.so.$ORT_VERSION" ]; then
  python3 -m pip --version >/dev/null 2>&1 || apt-get install -y --no-install-recommends python3 python3-pip
  tmp="$(mktemp -d)"
  python3 -m pip download --no-deps --only-binary=:all: \
    --python-version 3.11 --platform manylinux_2_28_x86_64 \
    -d "$tmp" "onnxruntime==$ORT_VERSION"
  mkdir -p "$ORT_DIR"
  python3 - "$tmp"/onnxruntime-"$ORT_VERSION"-*.whl "$ORT_DIR" <<'PY'
import sys, zipfile, os
whl, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        b = os.path.basename(n)
        if n.startswith("onnxruntime/capi/") and b.startswith("libonnxruntime"):
            with open(os.path.join(dest, b), "wb") as f:
                f.write(z.read(n))
            os.chmod(os.path.join(dest, b), 0o755)
PY
  ln -sf "libonnxruntime.so.$ORT_VERSION" "$ORT_DIR/libonnxruntime.so.1"
  ln -sf "libonnxruntime.so.$ORT_VERSION" "$ORT_DIR/libonnxruntime.so"
  rm -rf "$tmp"
fi
# a stable place the program looks at by itself
mkdir -p "$REPO/runtime"
ln -sfn "$ORT_DIR/libonnxruntime.so.$ORT_VERSION" "$REPO/runtime/libonnxruntime.so"

# Models ship in the repository; verify them
(cd "$REPO/models" && sha256sum --quiet -c SHA256SUMS) || {
  echo "setup: models in $REPO/models do not match SHA256SUMS; restore them with: git -C $REPO checkout -- models" >&2; exit 1; }
echo "setup: done (ONNX Runtime $ORT_VERSION at $ORT_DIR)"
