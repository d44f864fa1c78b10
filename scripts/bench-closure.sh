#!/usr/bin/env bash
# bench-closure: `smeforge dev closure` against `dnf repoclosure` on the same
# repository of generated packages (20,000 by default), measured in the same
# run, alternately, BENCH_RUNS times (default 5); medians of wall time and
# peak RSS from /usr/bin/time. Both start from the same folder: dnf from the
# metadata createrepo_c wrote (with a fresh cache each run, as a user's first
# run: metadata load included), smeforge from the RPM headers. Both reports
# must list the same unresolved requirements, or the script fails. Results
# replace the block between the closure markers in docs/benchmarks.md.
#
#   BENCH_CORPUS   a folder of RPMs to use as is (read only; default: the one
#                  below BENCH_DIR, generated when missing)
#   BENCH_COUNT    packages to generate (20000); BENCH_DIR (.bench)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${BENCH_RUNS:-5}
count=${BENCH_COUNT:-20000}
work=${BENCH_DIR:-$root/.bench}
bin=$root/bin/smeforge
for tool in dnf createrepo_c /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench-closure: $tool is not installed (scripts/install-deps.sh)" >&2; exit 1; }
done
go build -o "$bin" ./cmd/smeforge

corpus=${BENCH_CORPUS:-$work/corpus-$count}
if [ -z "${BENCH_CORPUS:-}" ] && [ ! -f "$corpus/.complete" ]; then
  model=()
  if [ -d "$root/../shared/testdata/rpmdb" ]; then model=(--model "$root/../shared/testdata/rpmdb"); fi
  rm -rf "$corpus"
  echo "bench-closure: generating $count packages in $corpus" >&2
  "$bin" dev corpus --count "$count" --seed 1 "${model[@]}" "$corpus"
  touch "$corpus/.complete"
fi

# The repository: links to the corpus's packages, so that the corpus is
# only read, with createrepo_c's metadata beside them.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
repo=$tmp/repo
mkdir "$repo"
find "$corpus" -maxdepth 1 -name '*.rpm' -exec ln -s {} "$repo/" \;
n=$(find "$repo" -name '*.rpm' | wc -l)
echo "bench-closure: createrepo_c on $n packages" >&2
createrepo_c --no-database --quiet "$repo"
size=$(du -sLm "$corpus" | cut -f1)

dnf_closure=(dnf -q --setopt=reposdir=/dev/null --setopt=cachedir="$tmp/cache" --setopt=logdir="$tmp/cache"
  --releasever=1 --repofrompath=t,file://"$repo" --repo=t --setopt=t.gpgcheck=0 --setopt=best=0
  repoclosure --check t)
smeforge_closure=("$bin" dev closure "$repo")

# measure OUT CMD...: runs CMD (exit 1 means "found something"), its stdout
# to OUT; prints "seconds maxrss_kib".
measure() {
  local out=$1 t; shift
  t=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$t" "$@" >"$out" 2>"$t.err" || [ $? -eq 1 ] || { cat "$t.err" >&2; exit 1; }
  tail -n 1 "$t"; rm -f "$t" "$t.err"
}
# findings FILE: repoclosure's report as sorted "package | requirement" lines.
findings() { awk '/^package: /{p=$2} /^    /{sub(/^    /, ""); print p " | " $0}' "$1" | sort; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -a dt=() st=() dm=() sm=()
for r in $(seq 1 "$runs"); do
  echo "bench-closure: run $r/$runs" >&2
  rm -rf "$tmp/cache" # a fresh cache: dnf loads the metadata as on a first run
  read -r t m < <(measure "$tmp/dnf.out" "${dnf_closure[@]}"); dt+=("$t"); dm+=("$m")
  read -r t m < <(measure "$tmp/smeforge.out" "${smeforge_closure[@]}"); st+=("$t"); sm+=("$m")
  if ! diff <(findings "$tmp/dnf.out") <(findings "$tmp/smeforge.out") >"$tmp/diff"; then
    echo "bench-closure: the reports differ (< dnf repoclosure, > smeforge dev closure):" >&2
    cat "$tmp/diff" >&2
    exit 1
  fi
done
found=$(findings "$tmp/dnf.out" | wc -l)
pkgs=$(findings "$tmp/dnf.out" | cut -d' ' -f1 | sort -u | wc -l)
mdt=$(printf '%s\n' "${dt[@]}" | median); mst=$(printf '%s\n' "${st[@]}" | median)
mdm=$(printf '%s\n' "${dm[@]}" | median); msm=$(printf '%s\n' "${sm[@]}" | median)
ratio=$(awk -v a="$mst" -v b="$mdt" 'BEGIN{printf "%.2f", (b>0?a/b:0)}')
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
block=$(cat <<MD
<!-- closure-bench:start -->
Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($cpu); $(dnf --version | head -n 1 | sed 's/^/dnf /'), medians of $runs alternating runs, files in the page cache, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end.

| packages | corpus | dnf repoclosure | smeforge dev closure | smeforge / dnf | dnf peak RSS | smeforge peak RSS | unresolved (both) |
|---|---|---|---|---|---|---|---|
| $n | $size MB | $mdt s | $mst s | **$ratio x** | $((mdm/1024)) MiB | $((msm/1024)) MiB | $found in $pkgs packages |

Runs (dnf / smeforge, seconds): $(paste -d/ <(printf '%s\n' "${dt[@]}") <(printf '%s\n' "${st[@]}") | paste -sd' ')
<!-- closure-bench:end -->
MD
)
doc=$root/docs/benchmarks.md
if [ -f "$doc" ] && grep -q '<!-- closure-bench:start -->' "$doc"; then
  BLOCK="$block" python3 - "$doc" <<'PY'
import os, re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r'<!-- closure-bench:start -->.*?<!-- closure-bench:end -->', lambda m: os.environ['BLOCK'], s, flags=re.S)
open(p, 'w').write(s)
PY
else
  printf '\n## Dependency closure\n\n%s\n' "$block" >> "$doc"
fi
echo "$block"
