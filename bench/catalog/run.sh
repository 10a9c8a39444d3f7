#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Catalog benchmark: 100,000 images and 10 million chunk rows in the catalog's own (embedded)
# PostgreSQL, then, through the real HTTP API: image page listing p50/p99, "which of these 10,000
# chunk keys do you have" p50/p99, and sustained image registration rate.
# Usage: bench/catalog/run.sh [images] [chunks]   (defaults 100000 10000000)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/catalog-service/target/bench"
mkdir -p "$out/jars"
# Package within the reactor (never install: ~/.m2 holds SNAPSHOT jars other checkouts build
# against); the class path names the reactor's own schema jar, not one from ~/.m2.
( cd "$root" && mvn -B -q -pl catalog-service -am package dependency:build-classpath -DskipTests \
    -Dmdep.outputFile="$out/cp.txt" )
# Copies of this checkout's jars, so that rebuilding while the benchmark runs cannot disturb it.
cp "$root/catalog-service/target/catalog-service-0.1.0-SNAPSHOT.jar" "$out/jars/catalog-service.jar"
cp "$root/schema/target/schema-0.1.0-SNAPSHOT.jar" "$out/jars/schema.jar"
deps="$(tr ':' '\n' < "$out/cp.txt" | grep -v "^$root/schema/" | paste -sd:)"
cp="$out/jars/catalog-service.jar:$out/jars/schema.jar:$deps"
rm -rf "$out/classes"
javac -d "$out/classes" -cp "$cp" "$root/bench/catalog/CatalogBench.java"
exec java -Xmx4g -cp "$out/classes:$cp" io.cryostash.bench.catalog.CatalogBench "$out/data" "$@"
