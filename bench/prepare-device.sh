#!/usr/bin/env bash
# Fills the git-ignored .device/ folder with what bench/gpu-device.sh needs on
# the GPU machine (no Node, no network there), on THIS machine:
#   .device/node.xz            this machine's node binary, xz-compressed
#   .device/libvulkan1_*.deb   the Vulkan loader (apt-get download)
#   .device/dist/              the compiler, runtime and GPU bench compiled to JS (bench/tsconfig.gpu.json)
#   .device/node_modules/      only the packages the bench imports, and their
#                              dependencies; webgpu with its linux-x64 binary only
#   .device/package.json       {"type": "module"}
# and checks that the whole folder stays under the device tool's 64 MiB.
# Then: run `bash bench/gpu-device.sh` on the device with carry [".device"].
set -euo pipefail
cd "$(dirname "$0")/.."
DEV=.device
LIMIT=$((64 * 1024 * 1024))
mkdir -p "$DEV"

# 1. node (recompressed only when the version changed)
NODE_BIN="$(command -v node)"
NODE_VER="$("$NODE_BIN" --version)"
if [[ ! -f "$DEV/node.xz" || "$(cat "$DEV/node.version" 2>/dev/null)" != "$NODE_VER" ]]; then
  echo "compressing $NODE_BIN ($NODE_VER) ..."
  xz -T0 -c "$NODE_BIN" > "$DEV/node.xz.tmp" && mv "$DEV/node.xz.tmp" "$DEV/node.xz"
  echo "$NODE_VER" > "$DEV/node.version"
fi

# 2. the Vulkan loader
if ! ls "$DEV"/libvulkan1_*.deb > /dev/null 2>&1; then
  (cd "$DEV" && apt-get download libvulkan1)
fi

# 3. compiled JS
rm -rf "$DEV/dist"
npx tsc -p bench/tsconfig.gpu.json --outDir "$DEV/dist"
cp bench/torch_peer.py "$DEV/dist/bench/"
echo '{ "type": "module" }' > "$DEV/package.json"

# 4. node_modules: the packages the compiled bench imports, with their dependencies
rm -rf "$DEV/node_modules"
node - "$DEV/node_modules" <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const dest = process.argv[2];
const roots = ['webgpu', 'chevrotain', 'csv-parse'];
const seen = new Set();
const queue = [...roots];
while (queue.length) {
  const name = queue.shift();
  if (seen.has(name)) continue;
  seen.add(name);
  const pkg = JSON.parse(fs.readFileSync(path.join('node_modules', name, 'package.json'), 'utf8'));
  for (const d of Object.keys(pkg.dependencies ?? {})) queue.push(d);
}
for (const name of seen) {
  const src = path.join('node_modules', name);
  const out = path.join(dest, name);
  if (name === 'webgpu') {
    // index.js loads dist/<platform>-<arch>/dawn.node: keep linux-x64 only
    fs.mkdirSync(path.join(out, 'dist'), { recursive: true });
    for (const f of ['package.json', 'index.js', 'LICENSE.md']) if (fs.existsSync(path.join(src, f))) fs.copyFileSync(path.join(src, f), path.join(out, f));
    fs.cpSync(path.join(src, 'dist', 'linux-x64'), path.join(out, 'dist', 'linux-x64'), { recursive: true });
  } else fs.cpSync(src, out, { recursive: true, dereference: true });
}
console.log(`node_modules: ${[...seen].sort().join(', ')}`);
EOF

# 5. size
TOTAL=$(du -sb "$DEV" | cut -f1)
du -sh "$DEV"/* | sort -h
echo "total: $((TOTAL / 1024 / 1024)) MiB of $((LIMIT / 1024 / 1024)) MiB"
if (( TOTAL >= LIMIT )); then
  echo "error: .device is over the 64 MiB the device tool carries" >&2
  exit 1
fi
