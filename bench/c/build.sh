#!/bin/sh
# Builds the benchmark's C programs into bench/build/ (ignored by git):
#   true, true-libc, true-dyn   bench/c/true.c: static first-instruction timer
#                               (-nostdlib on x86_64), and libc forms
#   sleep                       a static entrypoint that waits forever
#   ns_cost                     per-namespace clone+exit floor
#   floor                       the C floor for a whole void (+ native/void_spawn.c,
#                               native/spawn_clone.c, native/plan.c)
#   clone-exit.node             the benchmarks' Node-API addon (cloneExit),
#                               bench/c/build-addon.sh
#   spawnt                      times external commands
#   trig                        trigger sender/receiver, with lib/c, static
#   https_plain                 examples/https unvoided: fork + exec per connection
#   void-init-musl              native/void_init.c, unchanged, linked with musl
#                               (only where musl-gcc is installed: musl-tools)
set -eu
cd "$(dirname "$0")/../.."
CC=${CC:-cc}
CFLAGS="-O2 -g -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter"
out=bench/build
mkdir -p $out
if [ "$(uname -m)" = x86_64 ]; then
  $CC $CFLAGS -static -nostdlib -fno-stack-protector -o $out/true bench/c/true.c
else
  $CC $CFLAGS -static -o $out/true bench/c/true.c
fi
$CC $CFLAGS -static -DTRUE_LIBC -o $out/true-libc bench/c/true.c
$CC $CFLAGS -DTRUE_LIBC -o $out/true-dyn bench/c/true.c
$CC $CFLAGS -static -o $out/sleep bench/c/sleep.c
$CC $CFLAGS -Inative -o $out/ns_cost bench/c/ns_cost.c
$CC $CFLAGS -Inative -o $out/floor bench/c/floor.c native/spawn_clone.c native/void_spawn.c native/plan.c -lpthread
sh bench/c/build-addon.sh $out/clone-exit.node
$CC $CFLAGS -o $out/spawnt bench/c/spawnt.c
$CC $CFLAGS -static -Ilib/c -o $out/trig bench/c/trig.c lib/c/void.c
$CC $CFLAGS -o $out/https_plain bench/c/https_plain.c
if command -v musl-gcc >/dev/null 2>&1; then
  musl-gcc $CFLAGS -static -o $out/void-init-musl native/void_init.c
else
  rm -f $out/void-init-musl
fi
