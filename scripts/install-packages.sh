#!/bin/sh
# Installs the Debian packages void's build, examples and tests need, where
# missing (as root; otherwise says which are missing). Idempotent and quick
# when everything is there: both the set-up and the test command call it.
#   gcc, libc6-dev      the addon, the static void-init (libc.a)
#   util-linux          setpriv and unshare, used by the tests
#   zlib1g-dev          examples/gzip-void (static libz)
#   libssl-dev, openssl examples/https (and its test certificate)
#   curl                the https example's tests (a real TLS client)
#   bubblewrap          the benchmarks compare against bwrap
#   musl-tools          a small static void-init (faster voids; glibc otherwise)
#   busybox-static      the static shell forktop's shell hotkey brings into a process
#   tmux                forktop's end-to-end tests drive the real TUI in tmux
#   dnsmasq-base        examples/dnsmasq (the daemon only: no service is started)
#   wrk                 the HTTPS benchmark's load generator
#   systemd             systemd-socket-activate, for the socket activation test (no service is started)
#   clang-format        the C style check of the test command (scripts/format.sh)
#   gcc-aarch64-linux-gnu, libc6-dev-arm64-cross
#                       the aarch64 prebuilt binaries of the npm tarball
#                       (scripts/build-prebuilt.sh, run by npm pack)
# Not installed: qemu-user-static, with which the npm tarball's test also
# runs the aarch64 void-init when it is there. Its files in
# /usr/lib/binfmt.d make systemd register binfmt_misc handlers on a host
# that runs systemd, which changes how that host runs foreign binaries.
set -eu
packages="gcc libc6-dev util-linux zlib1g-dev libssl-dev openssl curl bubblewrap musl-tools busybox-static tmux dnsmasq-base wrk systemd clang-format gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-packages: missing Debian packages:$missing — install them as root (apt-get install -y$missing) and rerun" >&2
  exit 1
fi
echo "install-packages: installing$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
