#!/bin/sh
# The whole test suite (what `npm test` and CI run): install missing
# Debian packages and npm dependencies if this is a fresh machine or clone, build, type-check, lint (TypeScript and C with
# -Wall -Werror), then unit and integration tests with Node's test runner.
# As root, integration tests run every void both as root and as an
# unprivileged uid (65534); as any other user, only as that user.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-packages.sh
[ -d node_modules/typescript ] || npm install --no-audit --no-fund --loglevel=error
npm run --silent build:native
rm -rf dist && npx tsc -p tsconfig.json && node scripts/bundle-cli.mjs
npx biome check --error-on-warnings src test scripts bin bench
# C: the probes build with -Werror in the tests themselves; the examples here.
sh examples/build.sh
exec node --test --test-reporter=tap --test-concurrency=1 dist/test/unit/*.test.js dist/test/integration/*.test.js
