#!/usr/bin/env bash
# Runs every test file with node's own runner (Node 20 does not discover .ts tests).
set -euo pipefail
cd "$(dirname "$0")/.."
dirs=$(ls -d src test examples 2>/dev/null || true)
files=$(find $dirs -name '*.test.ts' | sort)
exec node --import tsx --test --test-concurrency=2 --test-reporter=spec $files
