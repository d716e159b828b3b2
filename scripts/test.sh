#!/usr/bin/env bash
# Runs every test file with node's own runner (Node 20 does not discover .ts tests), then the
# end-to-end and contract suites again with their clients and workers connected over HTTP
# (REPRISE_TEST_TRANSPORT=http: test/helpers/test-env.ts), as DESIGN.md asks of the transports.
set -euo pipefail
cd "$(dirname "$0")/.."
dirs=$(ls -d src test examples bench 2>/dev/null || true)
files=$(find $dirs -name '*.test.ts' | sort)
over_http=$(find test/e2e test/contract -name '*.test.ts' | sort)
# A test that hangs fails after 10 minutes rather than stalling the run. Node 20 applies this
# timeout to each file as a whole too: the longest take ~20 s here, but minutes on a loaded
# machine (they start processes, or run hundreds of workflows).
run() {
  node --import tsx --test --test-concurrency=2 --test-timeout=600000 --test-reporter=spec "$@"
}
run $files
echo "# the end-to-end and contract suites over HTTP"
REPRISE_TEST_TRANSPORT=http run $over_http
