#!/usr/bin/env bash
# Signing speed: `smeforge rpm sign` against rpmsign --addsign, on copies of
# the same BENCH_SIGN_COUNT (500) generated packages and with the same key
# (made by `smeforge key generate`, imported into a throw-away GNUPGHOME for
# rpmsign). rpmsign runs twice: as rpm 4.18 signs by default (header-only
# signature) and with --rpmv3, which adds the header+payload signature
# smeforge also writes. Every signed set is checked with rpmkeys. Prints a
# markdown table of medians over BENCH_RUNS runs (3), the three tools taking
# turns in each run so that they share the machine's conditions.
# BENCH_SIGN_TYPES picks the key types ("rsa eddsa").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
n=${BENCH_SIGN_COUNT:-500}
types=${BENCH_SIGN_TYPES:-"rsa eddsa"}
runs=${BENCH_RUNS:-3}
work=${BENCH_DIR:-$root/.bench}/sign
bin=$root/bin/smeforge
for tool in rpmsign rpmkeys gpg gpgconf; do
  command -v "$tool" >/dev/null || { echo "bench-sign: $tool is not installed (scripts/install-deps.sh)" >&2; exit 1; }
done
go build -o "$bin" ./cmd/smeforge
mkdir -p "$work"

corpus=$work/corpus-$n
if [ ! -f "$corpus/.complete" ]; then
  rm -rf "$corpus"
  echo "bench-sign: generating $n packages in $corpus" >&2
  "$bin" dev corpus --count "$n" --seed 1 "$corpus" >/dev/null
  touch "$corpus/.complete"
fi

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b-a}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", (b>0?a/b:0)}'; }
median() { sort -n | awk '{a[NR]=$1} END {printf "%.2f", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# fresh_copy DIR: DIR holds a fresh copy of the corpus' packages.
fresh_copy() { rm -rf "$1"; mkdir -p "$1"; cp "$corpus"/*.rpm "$1"/; }

# check_signed DB DIR KEYID: every package of DIR has signatures rpm accepts.
check_signed() {
  local ok
  ok=$(rpmkeys --checksig --dbpath "$1" "$2"/*.rpm 2>&1 | grep -c 'signatures OK' || true)
  if [ "$ok" != "$n" ]; then echo "bench-sign: only $ok of $n packages in $2 pass rpmkeys --checksig" >&2; exit 1; fi
  ok=$(rpm --dbpath "$1" -qp --qf '%{RSAHEADER:pgpsig}%{DSAHEADER:pgpsig}\n' "$2"/*.rpm 2>/dev/null | grep -c "Key ID $3" || true)
  if [ "$ok" != "$n" ]; then echo "bench-sign: only $ok of $n packages in $2 are signed by $3" >&2; exit 1; fi
}

rows=()
for typ in $types; do
  keydir=$work/key-$typ
  rm -rf "$keydir"
  keyid=$("$bin" key generate --out "$keydir" --type "$typ" --name "Bench <bench@example.org>" | sed -n 's/.* key \([0-9a-f]\{16\}\) .*/\1/p')
  gnupg=$(mktemp -d)
  db=$(mktemp -d)
  trap 'gpgconf --homedir "$gnupg" --kill all 2>/dev/null || true; rm -rf "$gnupg" "$db"' EXIT
  GNUPGHOME=$gnupg gpg --batch --quiet --import "$keydir/private.asc" 2>/dev/null
  rpmkeys --dbpath "$db" --import "$keydir/public.asc"
  rpmsign_run() {
    GNUPGHOME=$gnupg rpmsign --define '__gpg /usr/bin/gpg' --define "_gpg_name $keyid" --addsign "$@" >/dev/null 2>&1
  }

  declare -a a_rpm=() a_rpm3=() a_sf=()
  for r in $(seq 1 "$runs"); do
    echo "bench-sign: $typ, run $r/$runs: rpmsign --addsign" >&2
    fresh_copy "$work/run"
    t0=$(now); rpmsign_run "$work/run"/*.rpm; t1=$(now)
    a_rpm+=("$(elapsed "$t0" "$t1")"); check_signed "$db" "$work/run" "$keyid"

    echo "bench-sign: $typ, run $r/$runs: rpmsign --addsign --rpmv3" >&2
    fresh_copy "$work/run"
    t0=$(now); rpmsign_run --rpmv3 "$work/run"/*.rpm; t1=$(now)
    a_rpm3+=("$(elapsed "$t0" "$t1")"); check_signed "$db" "$work/run" "$keyid"

    echo "bench-sign: $typ, run $r/$runs: smeforge rpm sign" >&2
    fresh_copy "$work/run"
    t0=$(now); "$bin" rpm sign --key "$keydir/private.asc" "$work/run"/*.rpm >/dev/null; t1=$(now)
    a_sf+=("$(elapsed "$t0" "$t1")"); check_signed "$db" "$work/run" "$keyid"
  done
  t_rpm=$(printf '%s\n' "${a_rpm[@]}" | median)
  t_rpm3=$(printf '%s\n' "${a_rpm3[@]}" | median)
  t_sf=$(printf '%s\n' "${a_sf[@]}" | median)

  label=$typ
  [ "$typ" = rsa ] && label="RSA 4096"
  [ "$typ" = eddsa ] && label="EdDSA (Ed25519)"
  rows+=("| $label | $n | $t_rpm s | $t_rpm3 s | $t_sf s | **$(ratio "$t_rpm" "$t_sf") x** | **$(ratio "$t_rpm3" "$t_sf") x** |")
  gpgconf --homedir "$gnupg" --kill all 2>/dev/null || true
  rm -rf "$gnupg" "$db" "$work/run"
  trap - EXIT
done

echo "| key | packages | rpmsign --addsign (header signature) | rpmsign --addsign --rpmv3 (header + header+payload) | smeforge rpm sign (header + header+payload) | speed-up vs --addsign | vs --rpmv3 |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "Medians of $runs runs; $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(rpm --version), $(gpg --version | head -n 1); files on $(df -T "$work" | awk 'NR==2 {print $2}')."
