#!/bin/sh
# Builds the native layer with the system C compiler, offline:
#   build/void.node  the Node-API addon (spawns voids, watches pidfds):
#                    native/addon/*.c, one file per concern, with the spawn
#                    (native/spawn_clone.c, native/void_spawn.c, native/plan.c,
#                    native/mapper.c) and the plan cache's key (native/cache_key.c)
#   build/void-init  the static PID 1 of every void
#   build/void-run-fast  the native front end of `void run` (native/front.c),
#                    and build/void, a symlink to it: the command without Node
# (forktop's tracer is built by packages/forktop/scripts/build-native.sh.)
# Environment: CC (default cc) and INIT_CC (default musl-gcc if present,
# else CC) choose the compilers, OUT (default build) the directory;
# scripts/build-prebuilt.sh uses them to build the prebuilt binaries of the
# npm tarball, aarch64 ones with a cross compiler.
#
# The addon must load with an old glibc (the baseline in
# docs/architecture.md, "Native binaries and the glibc baseline"), whatever
# glibc builds it: native/glibc_compat.h binds the few symbols that glibc
# versioned anew to their first versions.
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
OUT=${OUT:-build}
HEADERS=$(node -e 'try { process.stdout.write(require("node:path").join(require("node:path").dirname(require.resolve("node-api-headers/package.json")), "include")) } catch {}')
if [ -z "$HEADERS" ] || [ ! -f "$HEADERS/node_api.h" ]; then
  HEADERS="$(dirname "$(dirname "$(command -v node)")")/include/node"
fi
if [ ! -f "$HEADERS/node_api.h" ]; then
  echo "build-native: node_api.h not found (the node-api-headers package, or $HEADERS); run 'npm install' first" >&2
  exit 1
fi
mkdir -p "$OUT"
CFLAGS="-O2 -g -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter"
# With glibc, the addon names libpthread.so.0 (a stub since glibc 2.34)
# among its libraries: an older glibc finds the pthread functions there.
PTHREAD=-lpthread
case $($CC -print-file-name=libpthread.so.0) in
  /*) PTHREAD="-Wl,--push-state,--no-as-needed -l:libpthread.so.0 -Wl,--pop-state" ;;
esac
$CC $CFLAGS -fPIC -shared -fvisibility=hidden -DNAPI_VERSION=8 -DNODE_GYP_MODULE_NAME=void \
  -I"$HEADERS" native/addon/*.c native/spawn_clone.c native/void_spawn.c native/plan.c native/mapper.c native/cache_key.c -o "$OUT/void.node.tmp" $PTHREAD
mv "$OUT/void.node.tmp" "$OUT/void.node"
# void-init runs inside voids that may contain no libraries at all: static.
# With musl (Debian musl-tools) it is ~30 KiB instead of ~760 KiB of static
# glibc, and a void starts measurably faster (docs/performance.md); glibc
# is the fallback.
INIT_CC=${INIT_CC:-$(command -v musl-gcc || echo "$CC")}
$INIT_CC $CFLAGS -static native/void_init.c -o "$OUT/void-init.tmp"
mv "$OUT/void-init.tmp" "$OUT/void-init"
# The native front end of `void run` (native/front.c): runs a cached plan
# without Node. Static (no loader, no libraries to find: it starts in a
# fraction of a millisecond), with the C library the addon uses, so that
# its error texts (strerror) are the addon's.
$CC $CFLAGS -static -DVOID_STATIC native/front.c native/spawn_clone.c native/void_spawn.c native/plan.c native/mapper.c native/cache_key.c -o "$OUT/void-run-fast.tmp" -lpthread
mv "$OUT/void-run-fast.tmp" "$OUT/void-run-fast"
# The same front end under the name `void`: link it onto the PATH to skip
# bin/void's shell part (docs/architecture.md, "The native front end").
ln -sf void-run-fast "$OUT/void"
# The Node this package runs (build/node-path): the one building it, by its
# resolved path. bin/void's shell part and the front end run that file, never
# a `node` looked up through PATH, where a directory a void may write could
# come first (docs/security.md). scripts/postinstall.cjs writes it too.
# Under npm (npm run build:native, setup), the Node running npm
# ($npm_node_execpath); else the first on PATH. Mode 0644 whatever the umask:
# the front end ignores a record others may write.
if [ "$OUT" = build ]; then
  "${npm_node_execpath:-node}" -e 'process.stdout.write(require("node:fs").realpathSync(process.execPath) + "\n")' > "$OUT/node-path.tmp"
  chmod 644 "$OUT/node-path.tmp"
  mv "$OUT/node-path.tmp" "$OUT/node-path"
fi
# An installed package whose bin/void scripts/postinstall.cjs made a link to
# the prebuilt front end now uses the one built here, as it does the addon.
if [ "$OUT" = build ] && [ -L bin/void ]; then
  ln -s ../build/void-run-fast bin/void.tmp.$$
  mv -f bin/void.tmp.$$ bin/void
fi
echo "build-native: built $OUT/void.node with $($CC --version | head -n 1), $OUT/void-init with $(basename "$INIT_CC"), $OUT/void-run-fast"
