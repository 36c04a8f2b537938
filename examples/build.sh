#!/bin/sh
# Builds the example programs (C, with the system compiler).
set -eu
cd "$(dirname "$0")"
CC=${CC:-cc}
$CC -O2 -Wall -Wextra -Werror -o fib/fib fib/fib.c
