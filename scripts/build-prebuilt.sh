#!/bin/sh
# Builds the prebuilt native binaries the npm tarball carries, so that a
# machine without a C compiler can run void (`npm pack` and `npm publish`
# run this as the prepack script):
#   prebuilt/linux-x64/    void.node, void-init, void-run-fast
#                          with this machine's compiler (it must be x86_64)
#   prebuilt/linux-arm64/  void.node, void-init, void-run-fast
#                          with Debian's cross compiler aarch64-linux-gnu-gcc
#                          (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross)
# Each set is built by scripts/build-native.sh (so they are the binaries a
# checkout builds: the addon against node-api-headers, which serves any
# architecture, needing at most glibc 2.17; void-init and the front end
# void-run-fast static) and then stripped. The directory names are Node's
# process.platform-process.arch, which src/native/binaries.ts looks for.
# docs/architecture.md, "Native binaries and the glibc baseline".
set -eu
cd "$(dirname "$0")/.."
CC=${CC:-cc}
ARM64_CC=${ARM64_CC:-aarch64-linux-gnu-gcc}
case $($CC -dumpmachine) in
  x86_64-*) ;;
  *)
    echo "build-prebuilt: $CC builds for $($CC -dumpmachine), not x86_64: run this on an x86_64 machine" >&2
    exit 1
    ;;
esac
if ! command -v "$ARM64_CC" >/dev/null; then
  echo "build-prebuilt: no $ARM64_CC for the aarch64 binaries: install gcc-aarch64-linux-gnu and libc6-dev-arm64-cross (sh scripts/install-packages.sh, as root)" >&2
  exit 1
fi
rm -rf prebuilt
CC=$CC OUT=prebuilt/linux-x64 sh scripts/build-native.sh
strip prebuilt/linux-x64/void.node prebuilt/linux-x64/void-init prebuilt/linux-x64/void-run-fast
# glibc, static, for void-init: there is no musl cross compiler in Debian.
CC=$ARM64_CC INIT_CC=$ARM64_CC OUT=prebuilt/linux-arm64 sh scripts/build-native.sh
"${ARM64_CC%gcc}strip" prebuilt/linux-arm64/void.node prebuilt/linux-arm64/void-init prebuilt/linux-arm64/void-run-fast
echo "build-prebuilt: $(du -sk prebuilt/linux-x64 | cut -f1) KiB in prebuilt/linux-x64, $(du -sk prebuilt/linux-arm64 | cut -f1) KiB in prebuilt/linux-arm64"
