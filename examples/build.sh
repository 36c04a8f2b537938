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
# -static: vgzip's void then holds nothing but its own executable (needs zlib1g-dev for libz.a).
$CC $CFLAGS -static -I ../lib/c -o gzip-void/vgzip gzip-void/vgzip.c ../lib/c/void.c -lz
# https: OpenSSL (Debian: libssl-dev, and openssl for the certificate). The
# spec needs absolute host paths, so spec.json is spec.json.in with
# @DIR@ replaced by this checkout's examples/https; a self-signed localhost
# certificate is made for trying it when there is none or it expires within
# a day. Neither is committed (.gitignore).
$CC $CFLAGS -I ../lib/c -o https/https https/main.c https/listener.c https/tls.c https/http.c ../lib/c/void.c -lssl -lcrypto
if ! openssl x509 -checkend 86400 -noout -in https/tls/cert.pem >/dev/null 2>&1 || [ ! -f https/tls/key.pem ]; then
  mkdir -p https/tls
  openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -days 30 -keyout https/tls/key.pem -out https/tls/cert.pem 2>/dev/null ||
    { echo "examples/build.sh: openssl req failed: is the openssl package installed?" >&2; exit 1; }
fi
https_dir=$(cd https && pwd -P | sed 's/[\\&|]/\\&/g')
sed "s|@DIR@|$https_dir|g" https/spec.json.in > https/spec.json
# dnsmasq: Debian's /usr/sbin/dnsmasq (package dnsmasq-base), nothing to
# build; spec.json is spec.json.in with @DIR@ replaced by this checkout's
# examples/dnsmasq, like https (not committed).
dnsmasq_dir=$(cd dnsmasq && pwd -P | sed 's/[\\&|]/\\&/g')
sed "s|@DIR@|$dnsmasq_dir|g" dnsmasq/spec.json.in > dnsmasq/spec.json
