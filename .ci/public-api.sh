#!/usr/bin/env bash
# The public API of the `socketio` crate against its committed snapshot,
# socketio/public-api.txt: every item a user can name, with its signature, its trait
# impls and its auto traits (Send, Sync, Unpin, UnwindSafe…), all features on (the
# `msgpack` feature adds one `Parser` variant). Blanket impls (`impl<T> From<T> for T`…)
# are left out: they come from std, not from us.
#
# Hidden items (`#[doc(hidden)]`: `socketio::__internal`, `socketio::namespace::__private`)
# are not part of the promise and not in the snapshot.
#
#   .ci/public-api.sh           check: exits 1 and prints the diff when the API differs
#   .ci/public-api.sh --bless   rewrite the snapshot after an intended change; review the
#                               diff and commit it with the change (it is the semver record)
#
# Tools: cargo-public-api (pinned below) reads rustdoc's JSON output, which only a nightly
# rustdoc writes, and each cargo-public-api release reads a range of nightlies' JSON
# formats; so the nightly is pinned too, and the output (paths, impl order) does not drift
# with whatever nightly a machine has. Both are installed here when missing. Override the
# toolchain with PUBLIC_API_TOOLCHAIN=… when moving both pins together.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_PUBLIC_API_VERSION=0.52.0
TOOLCHAIN=${PUBLIC_API_TOOLCHAIN:-nightly-2026-05-20}
SNAPSHOT=socketio/public-api.txt

bless=0
case "${1:-}" in
    --bless) bless=1 ;;
    "") ;;
    *)
        echo "usage: $0 [--bless]" >&2
        exit 2
        ;;
esac

if [[ "$(cargo public-api --version 2>/dev/null)" != "cargo-public-api $CARGO_PUBLIC_API_VERSION" ]]; then
    echo "public-api: installing cargo-public-api $CARGO_PUBLIC_API_VERSION" >&2
    cargo install cargo-public-api --version "=$CARGO_PUBLIC_API_VERSION" --locked
fi
if ! grep -q "^$TOOLCHAIN" <<<"$(rustup toolchain list)"; then
    echo "public-api: installing the $TOOLCHAIN toolchain (rustdoc JSON needs a nightly)" >&2
    rustup toolchain install "$TOOLCHAIN" --profile minimal
fi

# The nightly's artifacts in a folder of their own, beside the stable build's.
target=${CARGO_TARGET_DIR:-$PWD/target}/public-api
actual=$(mktemp)
trap 'rm -f "$actual"' EXIT
CARGO_TARGET_DIR=$target cargo "+$TOOLCHAIN" public-api -p socketio --all-features -s \
    --color never >"$actual"

# The transport stack stays an implementation detail: none of its types may leak.
if grep -nE '\b(reqwest|tungstenite|tokio_tungstenite|hyper|http)::' "$actual"; then
    echo "public-api: a transport-stack type (above) is part of the public API" >&2
    exit 1
fi

if [[ $bless == 1 ]]; then
    cp "$actual" "$SNAPSHOT"
    echo "public-api: wrote $SNAPSHOT ($(wc -l <"$SNAPSHOT") lines); review and commit it"
    exit 0
fi

if ! diff -u --label "$SNAPSHOT (committed)" --label "$SNAPSHOT (this tree)" "$SNAPSHOT" "$actual"; then
    cat >&2 <<EOF

public-api: the public API of socketio differs from $SNAPSHOT (diff above: - is the
committed promise, + is this tree). Every public item is a semver promise. If the change
is intended, run '.ci/public-api.sh --bless' and commit the snapshot with it; if not,
make the item private (internals for tests, fuzz and benches go in socketio::__internal).
EOF
    exit 1
fi

echo "public-api: socketio's public API matches $SNAPSHOT ($(wc -l <"$SNAPSHOT") lines)"
