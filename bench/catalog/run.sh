#!/usr/bin/env bash
# Catalog benchmark: 100,000 images and 10 million chunk rows in the catalog's own (embedded)
# PostgreSQL, then, through the real HTTP API: image page listing p50/p99, "which of these 10,000
# chunk keys do you have" p50/p99, and sustained image registration rate.
# Usage: bench/catalog/run.sh [images] [chunks]   (defaults 100000 10000000)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/catalog-service/target/bench"
mkdir -p "$out"
( cd "$root" && mvn -B -q -pl catalog-service -am install -DskipTests )
( cd "$root" && mvn -B -q -pl catalog-service dependency:build-classpath -Dmdep.outputFile="$out/cp.txt" )
# A copy of the jar, so that rebuilding the module while the benchmark runs cannot disturb it.
cp "$root/catalog-service/target/catalog-service-0.1.0-SNAPSHOT.jar" "$out/catalog-service.jar"
cp="$out/catalog-service.jar:$(cat "$out/cp.txt")"
javac -d "$out/classes" -cp "$cp" "$root/bench/catalog/CatalogBench.java"
exec java -Xmx4g -cp "$out/classes:$cp" io.cryostash.bench.catalog.CatalogBench "$out/data" "$@"
