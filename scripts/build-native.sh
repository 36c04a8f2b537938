#!/bin/sh
# Builds the native layer with the system C compiler, offline:
#   build/void.node  the Node-API addon (spawns voids, watches pidfds):
#                    native/addon/*.c, one file per concern, with the spawn
#                    (native/spawn_clone.c, native/void_spawn.c, native/plan.c)
#   build/void-init  the static PID 1 of every void
# (forktop's tracer is built by packages/forktop/scripts/build-native.sh.)
# The addon compiles against the `node-api-headers` npm package, not Node's
# own headers: Node-API is ABI-stable, so one build serves every Node >= 20
# and nothing is downloaded (node-gyp would fetch headers on a machine
# without them). Warnings are errors.
#
# node-api-headers is a *dependency*, not a devDependency, so that an
# installed package (npm install void-run, without devDependencies) can
# rebuild its addon here too: Node's own include directory is not always
# there (Debian, for one, ships it in a separate -dev package), while the
# package is a few headers, no install script and nothing else. It is found as Node finds it (in this package's
# node_modules, or hoisted beside the package when installed); Node's
# include directory is used only when the package is absent.
set -eu
cd "$(dirname "$0")/.."
CC=${CC:-cc}
HEADERS=$(node -e 'try { process.stdout.write(require("node:path").join(require("node:path").dirname(require.resolve("node-api-headers/package.json")), "include")) } catch {}')
if [ -z "$HEADERS" ] || [ ! -f "$HEADERS/node_api.h" ]; then
  HEADERS="$(dirname "$(dirname "$(command -v node)")")/include/node"
fi
if [ ! -f "$HEADERS/node_api.h" ]; then
  echo "build-native: node_api.h not found (the node-api-headers package, or $HEADERS); run 'npm install' first" >&2
  exit 1
fi
mkdir -p build
CFLAGS="-O2 -g -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter"
$CC $CFLAGS -fPIC -shared -fvisibility=hidden -DNAPI_VERSION=8 -DNODE_GYP_MODULE_NAME=void \
  -I"$HEADERS" native/addon/*.c native/spawn_clone.c native/void_spawn.c native/plan.c -o build/void.node.tmp -lpthread
mv build/void.node.tmp build/void.node
# void-init runs inside voids that may contain no libraries at all: static.
# With musl (Debian musl-tools) it is ~30 KiB instead of ~760 KiB of static
# glibc, and a void starts measurably faster (docs/performance.md); glibc
# is the fallback.
INIT_CC=${INIT_CC:-$(command -v musl-gcc || echo "$CC")}
$INIT_CC $CFLAGS -static native/void_init.c -o build/void-init.tmp
mv build/void-init.tmp build/void-init
echo "build-native: built build/void.node with $($CC --version | head -n 1), build/void-init with $(basename "$INIT_CC")"
