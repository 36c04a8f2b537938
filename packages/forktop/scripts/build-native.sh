#!/bin/sh
# Builds forktop's tracer, build/forktop-tracer (native/), with the system C
# compiler, offline; warnings are errors. A separate single-threaded
# process, because a thread of Node must never be a tracer
# (docs/forktop-protocol.md). Shipped in the package, so that an installed
# forktop can rebuild its tracer here too.
set -eu
cd "$(dirname "$0")/.."
CC=${CC:-cc}
mkdir -p build
CFLAGS="-O2 -g -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter"
$CC $CFLAGS native/tracer.c native/snapshot.c native/inject.c native/json.c -o build/forktop-tracer.tmp
mv build/forktop-tracer.tmp build/forktop-tracer
echo "build-native: built build/forktop-tracer with $($CC --version | head -n 1)"
