#!/usr/bin/env bash
# Runs the whole GPU suite on a bare GPU machine (no Node, no network), from
# what bench/prepare-device.sh put in .device/ (carried with the working tree):
#   1. unpacks .device/node.xz to a temp folder;
#   2. installs the Vulkan loader from the carried libvulkan1 .deb (dpkg -x to /
#      and ldconfig) unless one is installed already; not root: into the temp
#      folder, with LD_LIBRARY_PATH;
#   3. picks the Vulkan driver: $VK_ICD_FILENAMES when set, else
#      /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json, else the first
#      nvidia_icd.json found;
#   3b. asks that driver whether it starts Vulkan at all (bench/vulkan_probe.py);
#   4. runs the PyTorch peer (bench/torch_peer.py; its JSON, or the reason it
#      has none) and then the bench (.device/dist/bench/gpu.bench.js), which
#      reads the peer's JSON;
#   5. writes everything under $OUT (default: a new folder per run,
#      bench/results/<date>T<hhmm>-gpu-device[-2, -3, ...]/): gpu-bench.json,
#      gpu-bench.log, torch-peer.json, env.txt.
# Usage: OUT=... bash bench/gpu-device.sh [--small] [other gpu.bench.ts options]
#   VK_LOADER_LOCAL=1: unpack the loader into the temp folder even as root (leaves / alone)
# Exit status: the bench's (3: no WebGPU adapter; the table then holds the peer's figures only).
set -uo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
cd "$(dirname "$0")/.."
ROOT="$PWD"
DEV="$ROOT/.device"
if [[ -z "${OUT:-}" ]]; then
  # a folder no earlier run wrote (as bench/results-path.ts names files)
  OUT="$ROOT/bench/results/$(date -u +%Y-%m-%dT%H%M)-gpu-device"
  k=2; base="$OUT"
  while [[ -e "$OUT" ]]; do OUT="$base-$k"; k=$((k + 1)); done
fi
mkdir -p "$OUT"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
log() { echo "[gpu-device] $*" | tee -a "$OUT/env.txt"; }
: > "$OUT/env.txt"

for f in node.xz dist/bench/gpu.bench.js node_modules/webgpu/index.js; do
  [[ -e "$DEV/$f" ]] || { log "missing $DEV/$f: run bash bench/prepare-device.sh on the build machine and carry .device"; exit 2; }
done

# 1. node
xz -dc "$DEV/node.xz" > "$TMP/node" && chmod +x "$TMP/node" || { log "cannot unpack node"; exit 2; }
log "node $("$TMP/node" --version)"

# 2. the Vulkan loader
have_loader() {
  ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 ' && return 0
  for d in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64 /usr/lib; do [[ -e "$d/libvulkan.so.1" ]] && return 0; done
  return 1
}
if [[ -z "${VK_LOADER_LOCAL:-}" ]] && have_loader; then
  log "Vulkan loader: already installed"
else
  DEB="$(ls "$DEV"/libvulkan1_*.deb 2>/dev/null | head -1)"
  [[ -n "$DEB" ]] || { log "no libvulkan1 .deb in $DEV"; exit 2; }
  if [[ "$(id -u)" == 0 && -z "${VK_LOADER_LOCAL:-}" ]]; then
    dpkg -x "$DEB" / && ldconfig
    log "Vulkan loader: installed from $(basename "$DEB") (dpkg -x /, ldconfig)"
  else
    dpkg -x "$DEB" "$TMP/vk"
    LIB="$(find "$TMP/vk" -name 'libvulkan.so.1' | head -1)"
    [[ -n "$LIB" ]] || { log "no libvulkan.so.1 in $(basename "$DEB")"; exit 2; }
    export LD_LIBRARY_PATH="$(dirname "$LIB")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    log "Vulkan loader: $(basename "$DEB") unpacked in a temp folder, LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  fi
fi

# 3. the driver
if [[ -z "${VK_ICD_FILENAMES:-}" ]]; then
  ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [[ ! -f "$ICD" ]]; then
    ICD="$(find /usr/local/nvidia /usr/share/vulkan /etc/vulkan /usr/local/share/vulkan /usr /etc /opt -name nvidia_icd.json -print -quit 2>/dev/null || true)"
  fi
  [[ -n "$ICD" && -f "$ICD" ]] || { log "no nvidia_icd.json found: set VK_ICD_FILENAMES"; exit 2; }
  export VK_ICD_FILENAMES="$ICD"
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
log "VK_ICD_FILENAMES=$VK_ICD_FILENAMES"
# ask the driver itself whether it will start Vulkan (the loader's messages do not say why)
if command -v python3 > /dev/null; then
  log "vulkan driver probe: $(python3 "$ROOT/bench/vulkan_probe.py" "${VK_ICD_FILENAMES%%:*}" 2>&1 | tail -1)"
fi
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/[gpu-device] nvidia-smi: /' | tee -a "$OUT/env.txt"

# 4. the PyTorch peer, then the bench
SMALL=()
for a in "$@"; do [[ "$a" == "--small" ]] && SMALL=(--small); done
if command -v python3 > /dev/null; then
  timeout 180 python3 "$ROOT/bench/torch_peer.py" "${SMALL[@]}" > "$OUT/torch-peer.json" 2> "$OUT/torch-peer.log" \
    || echo "{\"error\": \"torch_peer.py failed or timed out (exit $?), see torch-peer.log\"}" > "$OUT/torch-peer.json"
else
  echo '{"error": "no python3 on this machine"}' > "$OUT/torch-peer.json"
fi
log "torch peer: $(head -c 300 "$OUT/torch-peer.json")"

timeout 360 "$TMP/node" "$DEV/dist/bench/gpu.bench.js" --torch="$OUT/torch-peer.json" --out="$OUT/gpu-bench.json" "$@" 2>&1 | tee "$OUT/gpu-bench.log"
STATUS=${PIPESTATUS[0]}
log "bench exit status $STATUS"
exit "$STATUS"
