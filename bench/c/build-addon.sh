#!/bin/sh
# Builds the benchmarks' own Node-API addon, bench/c/clone_exit_addon.c
# (cloneExit: bare clones timed from Node, bench/suites/ns.ts), into
# bench/build/clone-exit.node, or into the path given as $1
# (test/integration/clone-exit.test.ts builds its own copy). It is not
# part of build/void.node: nothing but the benchmarks uses it. The flags
# and the node-api-headers lookup are scripts/build-native.sh's.
set -eu
out=${1:-bench/build/clone-exit.node}
case $out in /*) ;; *) out="$PWD/$out" ;; esac
cd "$(dirname "$0")/../.."
CC=${CC:-cc}
HEADERS=$(node -e 'try { process.stdout.write(require("node:path").join(require("node:path").dirname(require.resolve("node-api-headers/package.json")), "include")) } catch {}')
if [ -z "$HEADERS" ] || [ ! -f "$HEADERS/node_api.h" ]; then
  HEADERS="$(dirname "$(dirname "$(command -v node)")")/include/node"
fi
if [ ! -f "$HEADERS/node_api.h" ]; then
  echo "build-addon: node_api.h not found (the node-api-headers package, or $HEADERS); run 'npm install' first" >&2
  exit 1
fi
CFLAGS="-O2 -g -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter"
mkdir -p "$(dirname "$out")"
$CC $CFLAGS -fPIC -shared -fvisibility=hidden -DNAPI_VERSION=8 -DNODE_GYP_MODULE_NAME=clone_exit \
  -I"$HEADERS" -Inative bench/c/clone_exit_addon.c native/addon/common.c -o "$out.tmp" -lpthread
mv "$out.tmp" "$out"
