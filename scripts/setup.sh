#!/bin/sh
# One command from a fresh clone to a working void:
#   1. installs the Debian packages it needs, where missing (as root);
#   2. installs the npm dependencies (npm install, from package-lock.json);
#   3. builds the native layer (offline, against node-api-headers) and the
#      TypeScript;
#   4. builds the examples and runs examples/fib under `void run`.
set -eu
cd "$(dirname "$0")/.."

# gcc + libc6-dev: the native addon and the static void-init (libc.a);
# util-linux: setpriv and unshare, used by the tests.
packages="gcc libc6-dev util-linux"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages:$missing — install them as root (apt-get install -y$missing) and rerun" >&2
    exit 1
  fi
  echo "setup: installing$missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

node -e 'const [maj, min] = process.versions.node.split(".").map(Number); if (maj < 20 || (maj === 20 && min < 11)) { console.error("setup: void needs Node >= 20.11, this is " + process.version); process.exit(1); }'

echo "setup: npm install"
npm install --no-audit --no-fund --loglevel=error
npm run --silent build
sh examples/build.sh

echo "setup: running examples/fib under void:"
echo "  \$ bin/void run -s examples/fib/spec.json examples/fib/fib 30"
bin/void run -s examples/fib/spec.json examples/fib/fib 30
