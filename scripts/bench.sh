#!/usr/bin/env bash
# make bench: smeforge createrepo against createrepo_c on generated corpora,
# measured in the same run. Medians of BENCH_RUNS runs; peak RSS from
# /usr/bin/time. Results replace the block between the bench markers in
# docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
sizes=${BENCH_SIZES:-"2000 20000"}
runs=${BENCH_RUNS:-3}
work=${BENCH_DIR:-$root/.bench}
bin=$root/bin/smeforge
model=()
if [ -d "$root/../shared/testdata/rpmdb" ]; then model=(--model "$root/../shared/testdata/rpmdb"); fi
command -v createrepo_c >/dev/null || { echo "bench: createrepo_c is not installed (scripts/install-deps.sh)" >&2; exit 1; }
mkdir -p "$work"

# measure CMD...: prints "seconds maxrss_kib"
measure() {
  local out; out=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$out" "$@" >/dev/null 2>"$out.err" || { cat "$out.err" >&2; rm -f "$out" "$out.err"; return 1; }
  tail -n 1 "$out"; rm -f "$out" "$out.err"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
maxof() { sort -n | tail -n 1; }

extra_dir=$work/extra
if [ ! -d "$extra_dir" ]; then "$bin" dev demo-packages "$extra_dir" >/dev/null; fi
extra=$(ls "$extra_dir"/smeforge-demo-hello-*.noarch.rpm | head -n 1)

rows=()
notes=()
for n in $sizes; do
  corpus=$work/corpus-$n
  if [ ! -f "$corpus/.complete" ]; then
    rm -rf "$corpus"
    echo "bench: generating $n packages in $corpus" >&2
    "$bin" dev corpus --count "$n" --seed 1 "${model[@]}" "$corpus"
    touch "$corpus/.complete"
  fi
  size=$(du -sm --exclude=repodata --exclude=.smeforge "$corpus" | cut -f1)
  declare -a cf=() cu=() sf=() su=() cfm=() cum=() sfm=() sum=()
  for r in $(seq 1 "$runs"); do
    echo "bench: $n packages, run $r/$runs" >&2
    rm -rf "$corpus/repodata" "$corpus/.smeforge" "$corpus/$(basename "$extra")"
    read -r t m < <(measure createrepo_c --no-database --quiet "$corpus"); cf+=("$t"); cfm+=("$m")
    cp "$extra" "$corpus/"
    read -r t m < <(measure createrepo_c --update --no-database --quiet "$corpus"); cu+=("$t"); cum+=("$m")
    rm -rf "$corpus/repodata" "$corpus/$(basename "$extra")"
    read -r t m < <(measure "$bin" createrepo --quiet "$corpus"); sf+=("$t"); sfm+=("$m")
    cp "$extra" "$corpus/"
    read -r t m < <(measure "$bin" createrepo --update --quiet "$corpus"); su+=("$t"); sum+=("$m")
  done
  rm -f "$corpus/$(basename "$extra")"
  mcf=$(printf '%s\n' "${cf[@]}" | median); mcu=$(printf '%s\n' "${cu[@]}" | median)
  msf=$(printf '%s\n' "${sf[@]}" | median); msu=$(printf '%s\n' "${su[@]}" | median)
  pcf=$(printf '%s\n' "${cfm[@]}" | maxof); pcu=$(printf '%s\n' "${cum[@]}" | maxof)
  psf=$(printf '%s\n' "${sfm[@]}" | maxof); psu=$(printf '%s\n' "${sum[@]}" | maxof)
  rf=$(awk -v a="$msf" -v b="$mcf" 'BEGIN{printf "%.2f", (b>0?a/b:0)}')
  ru=$(awk -v a="$msu" -v b="$mcu" 'BEGIN{printf "%.3f", (b>0?a/b:0)}')
  rows+=("| $n | $size MB | full | $mcf s | $msf s | **$rf x** | $((pcf/1024)) MiB | $((psf/1024)) MiB |")
  rows+=("| $n | $size MB | --update after adding one | $mcu s | $msu s | **$ru x** | $((pcu/1024)) MiB | $((psu/1024)) MiB |")
  # Publishing a channel holding the whole corpus, after adding one build:
  # the server's figure (issue: under 0.5 s at 20,000 packages).
  pj=$("$bin" dev bench-publish --runs "$((runs > 3 ? runs : 5))" "$corpus")
  pmed=$(printf '%s' "$pj" | python3 -c 'import json,sys; print("%.3f" % json.load(sys.stdin)["median_seconds"])')
  pcold=$(printf '%s' "$pj" | python3 -c 'import json,sys; print("%.2f" % json.load(sys.stdin)["cold_publish_seconds"])')
  ping=$(printf '%s' "$pj" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.0f" % (d["packages"]/d["ingest_seconds"]))')
  rp=$(awk -v a="$pmed" -v b="$mcu" 'BEGIN{printf "%.3f", (b>0?a/b:0)}')
  rows+=("| $n | $size MB | publish a channel of all of them after adding one build (server) | $mcu s (--update) | $pmed s | **$rp x** | | |")
  notes+=("- $n packages: server ingest $ping packages/s (parse, store blob with fsync, keep fragments); first publish of the channel $pcold s.")
  # Where smeforge's time goes, on one more full run.
  rm -rf "$corpus/repodata" "$corpus/.smeforge"
  tline=$("$bin" createrepo --quiet --timings "$corpus" 2>&1 | grep '^timings:' || true)
  hashline=$( { /usr/bin/time -f '%e' bash -c "find '$corpus' -name '*.rpm' -print0 | xargs -0 -n 200 -P $(nproc) cat | sha256sum >/dev/null"; } 2>&1 | tail -n 1)
  xmlmb=$(for f in "$corpus"/repodata/*.xml.gz; do zcat "$f" | wc -c; done | awk '{s+=$1} END {printf "%.0f", s/1048576}')
  notes+=("- $n packages: smeforge stages: \`${tline#timings: }\`; reading every file ($(nproc) cat in parallel) into one sha256sum: ${hashline} s; uncompressed XML: ${xmlmb} MB.")
done

# Signing: smeforge rpm sign against rpmsign, in the same run.
signblock=""
if [ "${BENCH_SIGN:-1}" != 0 ]; then
  signblock=$(BENCH_RUNS="$runs" ./scripts/bench-sign.sh)
fi
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
block=$(cat <<MD
<!-- bench:start -->
Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($cpu), $(free -g | awk '/Mem:/{print $2}') GiB; createrepo_c $(createrepo_c --version | awk '{print $2}'), medians of $runs runs, files in the page cache.

| packages | corpus | run | createrepo_c --no-database | smeforge createrepo | smeforge / createrepo_c | createrepo_c peak RSS | smeforge peak RSS |
|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${rows[@]}")

$(printf '%s\n' "${notes[@]}")

### Signing 500 packages

$signblock
<!-- bench:end -->
MD
)
doc=$root/docs/benchmarks.md
if [ -f "$doc" ] && grep -q '<!-- bench:start -->' "$doc"; then
  BLOCK="$block" python3 - "$doc" <<'PY'
import os, re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r'<!-- bench:start -->.*?<!-- bench:end -->', lambda m: os.environ['BLOCK'], s, flags=re.S)
open(p, 'w').write(s)
PY
else
  printf '# Benchmarks\n\n%s\n' "$block" > "$doc"
fi
echo "$block"

# Vulnerability records: import and matching (its own block).
if [ "${BENCH_SECURITY:-1}" != 0 ]; then
  BENCH_RUNS="$runs" ./scripts/bench-security.sh
fi
