#!/bin/sh
# Builds the example programs (C, with the system compiler) against the
# void-side C library in lib/c.
set -eu
cd "$(dirname "$0")"
CC=${CC:-cc}
CFLAGS="-O2 -Wall -Wextra -Werror -std=gnu11"
$CC $CFLAGS -o fib/fib fib/fib.c
$CC $CFLAGS -o basic/basic basic/basic.c
$CC $CFLAGS -I ../lib/c -o pipes/pipes pipes/pipes.c ../lib/c/void.c
$CC $CFLAGS -I ../lib/c -o echo/echo echo/echo.c ../lib/c/void.c
$CC $CFLAGS -I ../lib/c -o rpc/hello rpc/hello.c ../lib/c/void.c
