#!/usr/bin/env bash
# apt-closure.sh — ask apt itself which packages
#     apt-get install --no-install-recommends PKG...
# would install on an empty system, given a directory of Debian index files.
#
# Usage: apt-closure.sh --root DIR --suites "bookworm bookworm-updates bookworm-security" \
#                       [--arch amd64] [--each] PKG...
#
#   --root DIR    holds <archive>/dists/<suite>/{Release|InRelease} and
#                 <archive>/dists/<suite>/main/binary-<arch>/Packages.xz, where <archive> is
#                 debian-security for suites ending in -security and debian otherwise
#   --suites S    suites to use, space or comma separated, all with component main
#   --arch A      the one architecture apt is configured for (default amd64)
#   --each        resolve every PKG on its own (one apt-get update, one simulation per PKG);
#                 output is then "== PKG" followed by that package's closure, and
#                 "== PKG !" followed by apt's message when apt cannot install it
#   --batch       like --each, through libapt-pkg (python3-apt, apt-closure-batch.py) with apt's
#                 cache loaded once: much faster for thousands of names; PKGs may also come on stdin
#
# Output: "name version" per package apt would install, sorted (LC_ALL=C).
#
# Nothing outside a temporary directory is read or written: APT_CONFIG points at a generated
# configuration whose Dir::* settings (state, status, cache, sources, preferences, keyrings, logs)
# all live in that directory, the dpkg status is an empty file, and the main configuration file is
# /dev/null. Sources are "deb [trusted=yes arch=A] file:DIR/<archive> <suite> main", so apt accepts
# unsigned Release files with correct hashes.
# Exit status: 0 on success; 2 on bad usage; 1 when apt-get update fails or leaves an index out;
# without --each, apt-get's own status when it cannot satisfy the request.
set -euo pipefail

root=""
suites=""
arch=amd64
each=0
pkgs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --suites) suites="$2"; shift 2 ;;
    --arch) arch="$2"; shift 2 ;;
    --each) each=1; shift ;;
    --batch) each=2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "apt-closure.sh: unknown option $1" >&2; exit 2 ;;
    *) pkgs+=("$1"); shift ;;
  esac
done
if [ -z "$root" ] || [ -z "$suites" ] || { [ "${#pkgs[@]}" -eq 0 ] && [ "$each" != 2 ]; }; then
  echo "apt-closure.sh: need --root, --suites and at least one package (see --help)" >&2
  exit 2
fi
root="$(cd "$root" && pwd)"

work="$(mktemp -d "${TMPDIR:-/tmp}/deb-lock-apt.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/etc/apt.conf.d" "$work/etc/preferences.d" "$work/etc/sources.list.d" "$work/etc/trusted.gpg.d" \
  "$work/lists/partial" "$work/cache/archives/partial" "$work/log"
: >"$work/status"
: >"$work/etc/sources.list"
# with [trusted=yes] apt accepts the indexes either way; the Debian keyring, when installed, only
# spares the warnings about InRelease signatures it cannot check
if [ -r /usr/share/keyrings/debian-archive-keyring.gpg ]; then
  ln -s /usr/share/keyrings/debian-archive-keyring.gpg "$work/etc/trusted.gpg.d/"
fi

for suite in ${suites//,/ }; do
  case "$suite" in
    *-security) archive=debian-security ;;
    *) archive=debian ;;
  esac
  dist="$root/$archive/dists/$suite"
  if [ ! -f "$dist/Release" ] && [ ! -f "$dist/InRelease" ]; then
    echo "apt-closure.sh: no Release or InRelease in $dist" >&2
    exit 2
  fi
  echo "deb [trusted=yes arch=$arch] file:$root/$archive $suite main" >>"$work/etc/sources.list"
done

cat >"$work/apt.conf" <<EOF
Dir "$work/";
Dir::State "$work/";
Dir::State::lists "$work/lists/";
Dir::State::status "$work/status";
Dir::State::extended_states "$work/extended_states";
Dir::Cache "$work/cache/";
Dir::Cache::archives "$work/cache/archives/";
Dir::Cache::pkgcache "$work/cache/pkgcache.bin";
Dir::Cache::srcpkgcache "$work/cache/srcpkgcache.bin";
Dir::Etc "$work/etc/";
Dir::Etc::main "/dev/null";
Dir::Etc::parts "$work/etc/apt.conf.d/";
Dir::Etc::sourcelist "$work/etc/sources.list";
Dir::Etc::sourceparts "$work/etc/sources.list.d/";
Dir::Etc::preferences "$work/etc/preferences";
Dir::Etc::preferencesparts "$work/etc/preferences.d/";
Dir::Etc::trusted "$work/etc/trusted.gpg";
Dir::Etc::trustedparts "$work/etc/trusted.gpg.d/";
Dir::Log "$work/log/";
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::Sandbox::User "root";
Acquire::Languages "none";
Acquire::Check-Valid-Until "false";
Acquire::Check-Date "false";
Debug::NoLocking "true";
EOF
export APT_CONFIG="$work/apt.conf"
export LC_ALL=C

if ! apt-get -q update >"$work/update.log" 2>&1; then
  cat "$work/update.log" >&2
  echo "apt-closure.sh: apt-get update failed" >&2
  exit 1
fi
# apt-get update reports a missing or rejected index only as a warning; an oracle working from
# a partial set of packages would be wrong, so treat that as failure
if grep -qE '^(E: |W: Failed to fetch|W: Some index files failed)' "$work/update.log"; then
  grep -E '^(W|E): ' "$work/update.log" >&2
  echo "apt-closure.sh: apt-get update did not accept every index" >&2
  exit 1
fi

simulate() {
  apt-get -s -q -y --no-install-recommends install "$@" >"$work/install.log" 2>&1
}
closure() {
  # simulation lines look like: Inst NAME (VERSION SUITES [ARCH])
  awk '$1 == "Inst" { v = $3; sub(/^\(/, "", v); print $2, v }' "$work/install.log" | sort -u
}

if [ "$each" = 2 ]; then
  { printf '%s\n' "${pkgs[@]}"; [ -t 0 ] || cat; } | /usr/bin/python3 "$(dirname "$0")/apt-closure-batch.py"
elif [ "$each" = 1 ]; then
  for p in "${pkgs[@]}"; do
    if simulate "$p"; then
      echo "== $p"
      closure
    else
      echo "== $p !"
      grep -E '^(E: | )' "$work/install.log" || true
    fi
  done
else
  if ! simulate "${pkgs[@]}"; then
    rc=$?
    cat "$work/install.log" >&2
    exit "$rc"
  fi
  closure
fi
