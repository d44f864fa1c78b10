#!/usr/bin/env bash
# The security benchmark: import 50,000 generated OSV records (parse and
# store) and match them against a 20,000-package release. Medians of
# BENCH_RUNS runs; the block between the security-bench markers of
# docs/benchmarks.md is replaced. Goal (issue 7): under 10 s in total.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${BENCH_RUNS:-3}
bin=$root/bin/smeforge
[ -x "$bin" ] || go build -o "$bin" ./cmd/smeforge
model=()
if [ -d "$root/../shared/testdata/rpmdb" ]; then model=(--model "$root/../shared/testdata/rpmdb"); fi
out=()
for r in $(seq 1 "$runs"); do
  echo "bench-security: run $r/$runs" >&2
  out+=("$("$bin" dev bench-security "${model[@]}" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)))')")
done
block=$(printf '%s\n' "${out[@]}" | python3 -c '
import json, sys, statistics, os
rs = [json.loads(l) for l in sys.stdin if l.strip()]
med = lambda k: statistics.median(r[k] for r in rs)
r0 = rs[0]
print("<!-- security-bench:start -->")
print("Measured %s on %d cores, medians of %d runs (`smeforge dev bench-security`, SQLite store), load average %s at the end." % (
    os.popen("date -u +%Y-%m-%d").read().strip(), os.cpu_count(), len(rs), os.popen("cut -d\" \" -f1-3 /proc/loadavg").read().strip()))
print()
print("| records | ranges | packages | input | parse | store | match | **total** | CPU time | entries opened | re-import (no-op) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
print("| %d | %d | %d | %.0f MB | %.2f s | %.2f s | %.2f s | **%.2f s** | %.2f s | %d | %.2f s |" % (
    r0["records"], r0["ranges"], r0["packages"], r0["input_mb"], med("parse_seconds"), med("store_seconds"), med("match_seconds"),
    med("total_seconds"), med("cpu_seconds"), r0["entries_opened"], med("reimport_seconds")))
print()
print("Runs (total, seconds): " + " ".join("%.2f" % r["total_seconds"] for r in rs) +
      "; every run opened exactly the generated affected (package, vulnerability) pairs: %s." % ("yes" if all(r["entries_equal_generated"] for r in rs) else "NO"))
print("<!-- security-bench:end -->")
')
doc=$root/docs/benchmarks.md
if grep -q '<!-- security-bench:start -->' "$doc"; then
  BLOCK="$block" python3 - "$doc" <<'PY'
import os, re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r'<!-- security-bench:start -->.*?<!-- security-bench:end -->', lambda m: os.environ['BLOCK'], s, flags=re.S)
open(p, 'w').write(s)
PY
else
  printf '\n## Vulnerability records: import and matching\n\n%s\n' "$block" >> "$doc"
fi
echo "$block"
