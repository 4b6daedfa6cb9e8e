#!/usr/bin/env bash
# Starts a private S3-compatible server for the tests: s3s-fs (Apache-2.0, built from crates.io by .ci/run:
# `cargo install s3s-fs --version 0.14.1 --features binary`), serving S3 with SigV4 authentication onto a
# folder, on 127.0.0.1 only. Prints the exports the tests read (endpoint, key, secret).
# Usage: eval "$(bash tests/services/s3.sh start [DIR] [PORT])"; bash tests/services/s3.sh stop [DIR]
set -euo pipefail
cmd=${1:-start}
dir=${2:-/tmp/disan-s3}
port=${3:-8014}
key=disan-test
secret=disan-test-secret
bin=${S3S_FS:-$(command -v s3s-fs || true)}
case "$cmd" in
start)
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        if [ -z "$bin" ] || [ ! -x "$bin" ]; then
            echo "s3s-fs is not installed: cargo install s3s-fs --version 0.14.1 --features binary (or set S3S_FS)" >&2
            exit 1
        fi
        mkdir -p "$dir/data"
        nohup "$bin" --host 127.0.0.1 --port "$port" --access-key "$key" --secret-key "$secret" "$dir/data" \
            >"$dir/server.log" 2>&1 </dev/null &
        echo $! >"$dir/pid"
        for _ in $(seq 100); do
            (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
            sleep 0.1
        done
    fi
    echo "export DISAN_TEST_S3=http://127.0.0.1:$port DISAN_TEST_S3_KEY=$key DISAN_TEST_S3_SECRET=$secret"
    ;;
stop)
    [ -f "$dir/pid" ] && kill "$(cat "$dir/pid")" 2>/dev/null || true
    ;;
esac
