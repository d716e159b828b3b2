#!/usr/bin/env bash
# Runs every test file with node's own runner (Node 20 does not discover .ts tests), then the
# end-to-end and contract suites again with their clients and workers connected over HTTP
# (REPRISE_TEST_TRANSPORT=http: test/helpers/test-env.ts), as DESIGN.md asks of the transports,
# and once more on the PostgreSQL store (REPRISE_TEST_STORE=postgres: test/helpers/test-store.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
dirs=$(ls -d src test examples bench 2>/dev/null || true)
files=$(find $dirs -name '*.test.ts' | sort)
suites=$(find test/e2e test/contract -name '*.test.ts' | sort)
# One throwaway PostgreSQL cluster for the whole run, on 127.0.0.1 (the PostgreSQL store's tests;
# test/helpers/postgres.ts), unless REPRISE_TEST_POSTGRES_URL names a server already. Root cannot
# run postgres: as root, the cluster runs as the postgres user.
pg_bin=/usr/lib/postgresql/15/bin
if [ -z "${REPRISE_TEST_POSTGRES_URL:-}" ] && [ -x "$pg_bin/postgres" ]; then
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/reprise-test-pg.XXXXXX")
  pg_user=$(id -un)
  as_pg=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$pg_dir"
    pg_user=postgres
    as_pg=(runuser -u postgres --)
  fi
  # Set before the start, so that a start that fails removes the directory too.
  stop_pg() {
    if [ -f "$pg_dir/data/postmaster.pid" ]; then
      "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null || true
    fi
    rm -rf "$pg_dir"
  }
  trap stop_pg EXIT
  pg_port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  "${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U "$pg_user" -A trust --no-sync >/dev/null
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -o \
    "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$pg_dir -c fsync=off -c max_connections=300" \
    start >/dev/null
  export REPRISE_TEST_POSTGRES_URL="postgres://$pg_user@127.0.0.1:$pg_port/postgres"
fi
# A test that hangs fails after 10 minutes rather than stalling the run. Node 20 applies this
# timeout to each file as a whole too: the longest take ~20 s here, but minutes on a loaded
# machine (they start processes, or run hundreds of workflows).
run() {
  node --import tsx --test --test-concurrency=2 --test-timeout=600000 --test-reporter=spec "$@"
}
run $files
echo "# the end-to-end and contract suites over HTTP"
REPRISE_TEST_TRANSPORT=http run $suites
echo "# the end-to-end and contract suites on PostgreSQL"
REPRISE_TEST_STORE=postgres run $suites
