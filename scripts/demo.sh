#!/usr/bin/env bash
# make demo: a running forge on the embedded default (SQLite + a blob
# folder in demo/data), with real demo RPMs and their SRPMs (written by
# smeforge's own generator) uploaded, placed in the channels of release 10
# and published. It prints the web address, where the admin token is, and
# the dnf commands that list and install from it. Ctrl-C stops it cleanly;
# running it again reuses demo/data.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/bin/smeforge
data=${SMEFORGE_DEMO_DATA:-$PWD/demo/data}
pkgs=$PWD/demo/packages
addr=${SMEFORGE_DEMO_ADDR:-127.0.0.1:8080}
url=http://$addr
mkdir -p "$data" "$pkgs"

if ! ls "$pkgs"/*.rpm >/dev/null 2>&1; then
  "$bin" dev demo-packages "$pkgs" >/dev/null
fi

log=$PWD/demo/smeforge.log
"$bin" serve --data "$data" --addr "$addr" 2>>"$log" &
server=$!
stop() { kill -INT "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
trap 'echo; echo "stopping smeforge..."; stop; exit 0' INT TERM
trap stop EXIT

for _ in $(seq 1 100); do
  if curl -fsS "$url/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then echo "demo: smeforge did not start; see $log (is $addr in use? set SMEFORGE_DEMO_ADDR)" >&2; exit 1; fi
  sleep 0.1
done
export SMEFORGE_SERVER=$url
sf() { "$bin" "$@" --token-file "$data/admin-token"; }

# An administrator importing a distribution says which category each build
# is in: the base pieces are core (they go to the install image, os), the
# others are add-ons.
sf upload --category core "$pkgs"/smeforge-demo-{base,lib,hello}-*.rpm >/dev/null
sf upload --category addons "$pkgs"/smeforge-demo-{mailstats,backup,webpanel}-*.rpm >/dev/null
if ! "$bin" release show 10 >/dev/null 2>&1; then
  sf release create 10 --base-os "Rocky Linux 8" >/dev/null
  # The install image gets the base pieces; the add-ons go to addons.
  sf channel add 10 os smeforge-demo-base-1.0-2.el7.sme smeforge-demo-lib-1.2.3-1.el7.sme smeforge-demo-hello-1.0-1.el7.sme >/dev/null
  sf channel add 10 addons smeforge-demo-mailstats-2.0.1-3.el7.sme smeforge-demo-backup-0.9-1.el7.sme smeforge-demo-webpanel-3.1.0-1.el7.sme >/dev/null
fi
sf publish 10 os >/dev/null
sf publish 10 addons >/dev/null

cat <<MSG

  smeforge is running at $url  (Ctrl-C stops it; data in $data, log in $log)
  Admin API token: $data/admin-token  (also your password on $url/login, account "admin")

  Browse the packages:   $url/packages
  The release's channels: $url/releases   (dnf config for servers: $url/repo/10.repo)

  List what a server would see:
    dnf --noplugins --setopt=reposdir=/dev/null --repofrompath=smeos,$url/repo/10/os/x86_64/ \\
        --repofrompath=smeaddons,$url/repo/10/addons/x86_64/ --repo=smeos --repo=smeaddons \\
        --setopt=gpgcheck=0 --releasever=10 repoquery --available

  Install from it into a throw-away root:
    dnf -y --noplugins --setopt=reposdir=/dev/null --repofrompath=smeos,$url/repo/10/os/x86_64/ \\
        --repofrompath=smeaddons,$url/repo/10/addons/x86_64/ --repo=smeos --repo=smeaddons \\
        --nogpgcheck --releasever=10 --installroot=/tmp/smeforge-demo-root install smeforge-demo-mailstats

  As an SME server would, with package and metadata signatures checked (os is signed by the forge's key):
    mkdir -p /tmp/smeforge-demo-repos && curl -s -o /tmp/smeforge-demo-repos/smeforge-10.repo $url/repo/10.repo
    dnf -y --noplugins --setopt=reposdir=/tmp/smeforge-demo-repos --releasever=10 \
        --installroot=/tmp/smeforge-demo-root2 install smeforge-demo-hello

MSG
wait "$server"
