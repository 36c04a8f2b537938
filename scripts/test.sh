#!/bin/sh
# The whole test suite (what `npm test` and CI run): install missing
# Debian packages and npm dependencies if this is a fresh machine or clone, build, type-check, lint (TypeScript and C with
# -Wall -Werror), then unit and integration tests with Node's test runner:
# void's (test/) and forktop's (packages/forktop/test/, built and linted by
# its own scripts/test.sh; its tests that watch a real void get this
# checkout's through FORKTOP_TEST_VOID), in one run, so that
# test/integration/zz-nothing-left.test.ts comes last; then the
# integration tests a second time on the native front end (below).
# As root, integration tests run every void both as root and as an
# unprivileged uid (65534); as any other user, only as that user.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-packages.sh
{ [ -d node_modules/typescript ] && [ -e node_modules/@void-run/forktop ]; } || npm install --no-audit --no-fund --loglevel=error
# forktop first: void's man page test reads forktop's compiled command.
sh packages/forktop/scripts/test.sh --build-only
npm run --silent build:native
rm -rf dist && npx tsc -p tsconfig.json && node scripts/bundle-cli.mjs
npx biome check --error-on-warnings src test scripts bin bench
# One style per language: Biome's formatter (checked by biome check above and here) and clang-format.
sh scripts/format.sh --check
# C: the probes build with -Werror in the tests themselves; the examples here.
sh examples/build.sh
export FORKTOP_TEST_VOID="$PWD"
# --void-only: void's own tests alone (forktop is still built: void's man page test reads its commands).
if [ "${1:-}" = "--void-only" ]; then
  node --test --test-reporter=tap --test-concurrency=1 dist/test/unit/*.test.js dist/test/integration/*.test.js
else
  node --test --test-reporter=tap --test-concurrency=1 dist/test/unit/*.test.js packages/forktop/dist/test/unit/*.test.js \
    packages/forktop/dist/test/integration/*.test.js dist/test/integration/*.test.js
fi
# The warm pass: the integration tests again, with bin/void executed as a
# command and every `void run` primed first, so that each one whose plan
# qualifies runs in the native front end (build/void-run-fast) from its
# cached plan, and the others fall back to Node (test/integration/harness.ts
# fastPath).
echo "# warm pass: the native front end with cached plans"
VOID_TEST_FAST_PATH=1 exec node --test --test-reporter=tap --test-concurrency=1 dist/test/integration/*.test.js
