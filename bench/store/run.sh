#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Store benchmark: chunk + hash + compress + pack + upload against raw SHA-256 and zstd, on the
# memory of a real process (a python3 holding ~0.5 GiB of objects, read through /proc/PID/mem
# and pagemap), for several chunk sizes; then a whole capture into the store (directory on disk,
# directory on tmpfs, in-process S3Proxy) and a whole restore read back. Needs root (reads
# another process's memory). Usage: bench/store/run.sh [python-MiB [drift]]   (default 512; "drift" runs only the drift scenario)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/image-store/target/bench-store"
mkdir -p "$out"
( cd "$root" && mvn -B -q -pl image-store -am install -DskipTests )
( cd "$root" && mvn -B -q -pl image-store dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$out/cp.txt" )
# private copies of this project's classes: a rebuild during the run must not pull them away
rm -rf "$out/snap" && mkdir -p "$out/snap"
cp -r "$root/image-store/target/classes" "$out/snap/main"
cp -r "$root/image-store/target/test-classes" "$out/snap/test"
deps=""
IFS=: read -ra entries < "$out/cp.txt" || true
for e in "${entries[@]}"; do
  case "$e" in
    */io/cryostash/*) cp "$e" "$out/snap/" && deps="$deps:$out/snap/$(basename "$e")" ;;
    *) deps="$deps:$e" ;;
  esac
done
cp="$out/snap/main:$out/snap/test$deps"
javac -d "$out/classes" -cp "$cp" "$root/bench/store/StoreBench.java"
exec java -Xmx6g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$out/classes:$cp" io.cryostash.bench.store.StoreBench "$out/work" "$@"
