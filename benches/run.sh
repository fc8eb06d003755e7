#!/usr/bin/env bash
# The load benchmarks of the socketio client, in one command (see BENCHMARKS.md):
#
#   benches/run.sh                 everything: install the pinned peers, build, measure
#                                  (5 repetitions, 9 for ack round trips, 3 for 10,000
#                                  connections), then rewrite
#                                  BENCHMARKS.md and benches/results/chart.svg
#   benches/run.sh --quick         tiny sizes, one repetition: checks that everything runs
#   benches/run.sh --only echo-node,ack-node   some suites, merged into the existing results
#   benches/run.sh --clients ours  some clients (with or without --only), merged likewise
#   benches/run.sh profile         callgrind profile of this crate's client echo loop
#   benches/run.sh codec           only the criterion codec micro-benchmarks
#   benches/run.sh report          only regenerate BENCHMARKS.md and the chart
#
# Needs the Rust toolchain, node/npm (Node 20) and python3 (3.11, with venv). Builds into
# $CARGO_TARGET_DIR when set, else benches/target.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
target="${CARGO_TARGET_DIR:-$here/target}"
bin="$target/release"
venv="$here/peers/python/.venv"
results="$here/results/results.json"
log() { printf '[benches/run] %s\n' "$*" >&2; }

install_peers() {
    command -v node >/dev/null && command -v npm >/dev/null || { log "node/npm missing"; exit 1; }
    local stamp="$here/peers/node/node_modules/.bench-lock.json"
    if ! cmp -s "$here/peers/node/package-lock.json" "$stamp" 2>/dev/null; then
        log "node peers: npm ci (socket.io and socket.io-client 4.8.4)"
        (cd "$here/peers/node" && npm ci --no-audit --no-fund --loglevel=error >&2)
        cp "$here/peers/node/package-lock.json" "$stamp"
    fi
    local pystamp="$venv/.requirements.installed"
    if ! cmp -s "$here/peers/python/requirements.txt" "$pystamp" 2>/dev/null; then
        log "python peer: venv + pip install (python-socketio 5.18, aiohttp)"
        if ! { [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"; }; then
            rm -rf "$venv"
            apt-get install -y -qq python3-venv >&2 || { apt-get update -qq && apt-get install -y -qq python3-venv >&2; }
            python3 -m venv "$venv"
        fi
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/peers/python/requirements.txt"
        cp "$here/peers/python/requirements.txt" "$pystamp"
    fi
}

build() {
    log "cargo build --release (benches/ is a workspace of its own; target: $target)"
    CARGO_TARGET_DIR="$target" cargo build --release --manifest-path "$here/Cargo.toml" >&2
}

raise_fd_limit() {
    # 10,000 connections from one process (and as many in the server): raise the soft limit
    # of this shell, inherited by the server and every client. Never done in the library.
    local hard
    hard="$(ulimit -Hn)"
    if [[ "$hard" == unlimited || "$hard" -ge 65536 ]]; then ulimit -n 65536; else ulimit -n "$hard"; fi
    if [[ "$(ulimit -n)" -lt 10100 ]]; then
        log "warning: fd limit $(ulimit -n) < 10100: the 10,000-connection runs will fail"
    fi
}

codec() {
    log "codec micro-benchmarks: cargo bench -p socketio --bench codec"
    (cd "$root" && CARGO_TARGET_DIR="$target" cargo bench -p socketio --bench codec -- \
        --warm-up-time 1 --measurement-time 3 >&2)
    python3 "$here/report.py" criterion "$target/criterion" "$here/results/codec.json"
}

report() {
    python3 "$here/report.py" "$results" "$root/BENCHMARKS.md" "$here/results/chart.svg"
}

case "${1:-}" in
    report)
        report
        ;;
    codec)
        codec
        report
        ;;
    profile)
        shift
        install_peers
        build
        command -v valgrind >/dev/null || apt-get install -y -qq valgrind >&2
        python3 "$here/profile.py" --bin-dir "$bin" --out "$here/results" "$@"
        report
        ;;
    *)
        install_peers
        build
        raise_fd_limit
        log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), load: $(cut -d' ' -f1-3 /proc/loadavg)"
        python3 "$here/bench.py" --bin-dir "$bin" --python "$venv/bin/python" --out "$results" "$@"
        [[ " $* " == *" --quick "* || " $* " == *" --only "* || " $* " == *" --clients "* ]] || codec
        report
        ;;
esac
