#!/usr/bin/env bash
# Installs the peer tools the tests use as oracles (Debian packages), only
# when one is missing, so that `make test` works on a fresh machine.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have rpm          || need+=(rpm)
have rpmkeys      || need+=(rpm)
have rpmsign      || need+=(rpm)
have dnf          || need+=(dnf)
dpkg -s dnf-plugins-core >/dev/null 2>&1 || need+=(dnf-plugins-core)
have createrepo_c || need+=(createrepo-c)
have gpg          || need+=(gnupg)
have zstd         || need+=(zstd)
[ -x /usr/bin/time ] || need+=(time)
have chromium     || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing ${need[*]}; run as root or install them (tests needing them will skip outside CI)" >&2
  exit 0
fi
echo "install-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
