#!/bin/sh
# One style per language: Biome's formatter for TypeScript and JavaScript
# (biome.json), clang-format for C (.clang-format). `sh scripts/format.sh`
# rewrites every file in place; `sh scripts/format.sh --check` changes
# nothing and fails on any file that is not formatted (scripts/test.sh
# runs it, so CI does). examples/tutorial/*.c are left as docs/tutorial.md
# shows them; native/contract.h and native/texts.h are generated (npm run
# gen-contract).
set -eu
cd "$(dirname "$0")/.."
c_files() {
  find native lib/c test/c test/probe bench/c examples packages/forktop/native packages/forktop/test \
    -name '*.[ch]' -not -path '*/node_modules/*' -not -path '*/build/*' -not -path 'examples/tutorial/*' -not -path native/contract.h -not -path native/texts.h | sort
}
if [ "${1:-}" = "--check" ]; then
  npx biome format src test scripts bin bench packages/forktop/src packages/forktop/test packages/forktop/scripts packages/forktop/bin
  c_files | xargs clang-format --dry-run --Werror
else
  npx biome format --write src test scripts bin bench packages/forktop/src packages/forktop/test packages/forktop/scripts packages/forktop/bin
  c_files | xargs clang-format -i
fi
