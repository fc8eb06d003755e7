#!/usr/bin/env bash
# Installs the reference Socket.IO servers used by the integration tests (src/peers.rs):
#   - tests/peers/node:   socket.io from package-lock.json (npm ci) into node_modules/
#   - tests/peers/node2:  socket.io 2.x (Socket.IO v2 / Engine.IO v3 protocol), same way
#   - tests/peers/python: python-socketio + aiohttp from requirements.txt into .venv/
#   - haproxy and redis-server (Debian packages) for the cluster tests (tests/cluster.rs)
# Idempotent and runnable from any directory. Needs node/npm and python3; on Debian it installs
# python3-venv with apt-get when the venv module is missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
node_dir="$here/node"
python_dir="$here/python"

log() { printf '[peers/install] %s\n' "$*" >&2; }

# --- Node.js -----------------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || { log "node is not installed"; exit 1; }
command -v npm >/dev/null 2>&1 || { log "npm is not installed"; exit 1; }
node_stamp="$node_dir/node_modules/.socketio-suite-lock.json"
if [[ -f "$node_dir/node_modules/socket.io/package.json" && -f "$node_stamp" ]] \
    && cmp -s "$node_dir/package-lock.json" "$node_stamp"; then
    log "node peer: up to date"
else
    log "node peer: npm ci"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
    cp "$node_dir/package-lock.json" "$node_stamp"
fi

# socket.io 2.x (tests/peers/node2, PeerKind::Node2): same pattern.
node2_dir="$here/node2"
node2_stamp="$node2_dir/node_modules/.socketio-suite-lock.json"
if [[ -f "$node2_dir/node_modules/socket.io/package.json" && -f "$node2_stamp" ]] \
    && cmp -s "$node2_dir/package-lock.json" "$node2_stamp"; then
    log "node2 peer: up to date"
else
    log "node2 peer: npm ci"
    (cd "$node2_dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
    cp "$node2_dir/package-lock.json" "$node2_stamp"
fi

# --- Python --------------------------------------------------------------------------------------
python_bin="${PYTHON:-python3}"
command -v "$python_bin" >/dev/null 2>&1 || { log "$python_bin is not installed"; exit 1; }
venv="$python_dir/.venv"
py_stamp="$venv/.requirements.installed"
if [[ -x "$venv/bin/python" && -f "$py_stamp" ]] && cmp -s "$python_dir/requirements.txt" "$py_stamp"; then
    log "python peer: up to date"
else
    if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
        rm -rf "$venv"
        if ! "$python_bin" -m venv "$venv" >/dev/null 2>&1; then
            # Debian ships the venv module (and ensurepip) separately.
            rm -rf "$venv"
            if command -v apt-get >/dev/null 2>&1; then
                log "python peer: installing python3-venv with apt-get"
                sudo=""
                [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
                minor="$("$python_bin" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
                $sudo apt-get update -qq
                DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "python${minor}-venv" \
                    || DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv
            fi
            "$python_bin" -m venv "$venv"
        fi
    fi
    log "python peer: pip install -r requirements.txt"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$python_dir/requirements.txt"
    cp "$python_dir/requirements.txt" "$py_stamp"
fi

# --- Debian packages: HAProxy and Redis (tests/cluster.rs), tinyproxy (tests/proxy.rs) -------------
# The Node modules of the cluster servers (socket.io, @socket.io/redis-adapter, redis) come with the
# Node peer above; tests/peers/cluster/server.js loads them from tests/peers/node/node_modules.
cluster_missing=()
command -v haproxy >/dev/null 2>&1 || cluster_missing+=(haproxy)
command -v redis-server >/dev/null 2>&1 || cluster_missing+=(redis-server)
command -v tinyproxy >/dev/null 2>&1 || cluster_missing+=(tinyproxy)
if ((${#cluster_missing[@]} == 0)); then
    log "debian packages: haproxy, redis-server and tinyproxy present"
elif command -v apt-get >/dev/null 2>&1; then
    log "debian packages: installing with apt-get (missing: ${cluster_missing[*]})"
    sudo=""
    [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y haproxy redis-server tinyproxy >&2
else
    log "${cluster_missing[*]} missing and no apt-get: the cluster and proxy tests will be skipped"
fi

log "done"
