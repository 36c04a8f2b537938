#!/bin/sh
# forktop's own test suite (`npm test -w @void-run/forktop`): build the
# tracer (C, -Wall -Werror) and the TypeScript, type-check, lint, then unit
# and integration tests with Node's test runner. The tests that watch a real
# void need a built void-run: FORKTOP_TEST_VOID names its directory (the
# repository root's `npm test` sets it); without it they are skipped,
# saying so. As root, the tracer's tests run both as root and as an
# unprivileged uid (65534).
#   --build-only  build, type-check and lint, run no test (the root's
#                 `npm test` runs these tests with void's, in one run)
set -eu
cd "$(dirname "$0")/.."
if [ ! -d node_modules/typescript ] && [ ! -d ../../node_modules/typescript ]; then
  echo "forktop test: the devDependencies are not installed: run npm install (in the repository root for the workspace)" >&2
  exit 1
fi
sh scripts/build-native.sh
rm -rf dist && npx tsc -p tsconfig.json
npx biome check --error-on-warnings src test scripts bin
[ "${1:-}" = "--build-only" ] && exit 0
exec node --test --test-reporter=tap --test-concurrency=1 dist/test/unit/*.test.js dist/test/integration/*.test.js
