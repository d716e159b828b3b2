#!/usr/bin/env bash
# Runs every test file with node's own runner (Node 20 does not discover .ts tests).
set -euo pipefail
cd "$(dirname "$0")/.."
dirs=$(ls -d src test examples 2>/dev/null || true)
files=$(find $dirs -name '*.test.ts' | sort)
# A test that hangs fails after 3 minutes (the longest suite takes ~12 s here) rather than
# stalling the run.
exec node --import tsx --test --test-concurrency=2 --test-timeout=180000 --test-reporter=spec $files
