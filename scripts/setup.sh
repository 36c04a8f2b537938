#!/bin/sh
# One command from a fresh clone to a working void:
#   1. installs the Debian packages it needs, where missing (as root);
#   2. installs the npm dependencies (npm install, from package-lock.json);
#   3. builds both packages of the workspace (void-run and packages/forktop):
#      the native code (offline; the addon against node-api-headers) and
#      the TypeScript;
#   4. builds the examples and runs examples/fib under `void run`.
set -eu
cd "$(dirname "$0")/.."

sh scripts/install-packages.sh

node -e 'const [maj, min] = process.versions.node.split(".").map(Number); if (maj < 20 || (maj === 20 && min < 11)) { console.error("setup: void needs Node >= 20.11, this is " + process.version); process.exit(1); }'

echo "setup: npm install"
npm install --no-audit --no-fund --loglevel=error
npm run --silent build
sh examples/build.sh

echo "setup: running examples/fib under void:"
echo "  \$ bin/void run -s examples/fib/spec.json examples/fib/fib 30"
bin/void run -s examples/fib/spec.json examples/fib/fib 30
