#!/usr/bin/env bash
# make demo: a repository of real demo RPMs (and their SRPMs) written by
# smeforge's own generator, indexed by `smeforge createrepo`, and the dnf
# command that lists and installs from it. Running it again reuses demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./bin/smeforge
dir=$PWD/demo/repo
mkdir -p "$dir"
if ! ls "$dir"/*.rpm >/dev/null 2>&1; then
  "$bin" dev demo-packages "$dir"
fi
"$bin" createrepo --update "$dir"
cat <<MSG

Demo repository: $dir
Packages:
$(cd "$dir" && ls -1 *.rpm | sed 's/^/  /')

List it with dnf:
  dnf --setopt=reposdir=/dev/null --repofrompath=demo,file://$dir --repo=demo --setopt=demo.gpgcheck=0 repoquery --available

Install the dependency-free package into a throw-away root:
  dnf -y --setopt=reposdir=/dev/null --repofrompath=demo,file://$dir --repo=demo --nogpgcheck --releasever=1 \\
      --installroot=/tmp/smeforge-demo-root install smeforge-demo-hello
MSG
