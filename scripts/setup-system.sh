#!/usr/bin/env bash
# Idempotent: the Debian packages the tests need beyond Python (make test runs it after setup.sh):
# chromium + chromium-driver (the portal's browser test) and postgresql (the portal's store on a
# real PostgreSQL server). Installs with apt-get only what is missing; without root or network it
# says so in one line and goes on (those tests then skip, naming the missing package).
set -uo pipefail
say() { [ "${SETUP_QUIET:-0}" = 1 ] || echo "setup-system: $*"; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -eq 0 ]; then
  say "chromium, chromium-driver and postgresql are installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: no apt-get here: install ${missing[*]} by hand, or the browser / PostgreSQL tests skip." >&2
  exit 0
fi
sudo=()
if [ "$(id -u)" != 0 ]; then
  if sudo -n true 2>/dev/null; then sudo=(sudo -n); else
    echo "setup-system: ${missing[*]} missing and not root: run 'sudo apt-get install -y ${missing[*]}', or the browser / PostgreSQL tests skip." >&2
    exit 0
  fi
fi
say "installing ${missing[*]} with apt-get"
log=$(mktemp)
if "${sudo[@]}" apt-get update -qq >"$log" 2>&1 \
  && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >>"$log" 2>&1; then
  say "installed ${missing[*]}"
else
  echo "setup-system: apt-get could not install ${missing[*]} (see $log): the browser / PostgreSQL tests skip." >&2
fi
exit 0
