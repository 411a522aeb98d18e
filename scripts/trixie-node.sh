#!/usr/bin/env bash
# Makes a copy of this machine's `node` that runs on Debian 13's (trixie) C library, so the
# current uWebSockets.js build (it needs glibc 2.38 or newer) loads on a Debian 12 machine,
# without touching the system: libc6, libstdc++6 and libgcc-s1 from trixie are unpacked into a
# cache folder and the copy's ELF interpreter and library path point there (patchelf). Every
# child such a node spawns through process.execPath is that copy too.
#
#   scripts/trixie-node.sh [CACHE_DIR]      prints the folder holding the patched `node`
#   PATH="$(scripts/trixie-node.sh):$PATH" TOLLGATE_UWS=current npm test
#
# CACHE_DIR defaults to .cache/trixie-node in the repository (git-ignored); a second run reuses
# it. The Debian mirror is the one this machine's apt sources name (DEBIAN_MIRROR overrides it).
# Needs apt-get, dpkg-deb and patchelf (installed with apt-get when missing and run as root).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${1:-$root/.cache/trixie-node}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
say() { echo "trixie-node: $*" >&2; }

system_node="$(readlink -f "$(command -v node)")"
stamp="$system_node $(stat -c '%s %Y' "$system_node")"
if [[ -x "$cache/bin/node" && -f "$cache/bin/source" && "$(cat "$cache/bin/source")" == "$stamp" ]] \
  && "$cache/bin/node" -e 'process.exit(0)' 2>/dev/null; then
  echo "$cache/bin"
  exit 0
fi

if ! command -v patchelf >/dev/null; then
  if [[ "$(id -u)" != 0 ]]; then say "patchelf is missing: apt-get install patchelf"; exit 1; fi
  apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends patchelf >&2
fi

# The Debian archive this machine's apt already uses for its own release (deb822 `URIs:` with
# `Suites:`, or one-line `deb URI SUITE`).
mirror="${DEBIAN_MIRROR:-}"
codename="$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")"
if [[ -z "$mirror" && -n "$codename" ]]; then
  mirror="$(
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
      [[ -f "$f" ]] || continue
      awk -v codename="$codename" '
        function flush() { if (uris != "" && plain) print uris; uris = ""; plain = 0 }
        /^[[:space:]]*deb[[:space:]]/ {
          for (i = 2; i < NF; i++) if ($i ~ /^[a-z+]+:\/\//) { if ($(i + 1) == codename) print $i; break }
          next
        }
        /^URIs:/ { uris = $2 }
        /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == codename) plain = 1 }
        /^[[:space:]]*$/ { flush() }
        END { flush() }
      ' "$f"
    done | head -n 1
  )"
fi
if [[ -z "$mirror" ]]; then say "no Debian mirror in /etc/apt/sources.list*: set DEBIAN_MIRROR"; exit 1; fi
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [[ ! -f "$keyring" ]]; then say "$keyring is missing: apt-get install debian-archive-keyring"; exit 1; fi

# A private apt configuration: its own sources, lists and cache, nothing of the system's changed.
apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/parts" "$apt_dir/debs"
echo "deb [signed-by=$keyring] $mirror trixie main" > "$apt_dir/sources.list"
apt_opts=(
  -o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o "Dir::Etc::sourceparts=$apt_dir/parts"
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
  -o APT::Sandbox::User=root -o Debug::NoLocking=1
)
say "fetching libc6 libstdc++6 libgcc-s1 from trixie ($mirror)"
apt-get "${apt_opts[@]}" -qq update >&2
rm -f "$apt_dir/debs/"*.deb
(cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" -qq download libc6 libstdc++6 libgcc-s1 >&2)

libroot="$cache/root"
rm -rf "$libroot"
mkdir -p "$libroot"
for deb in "$apt_dir/debs/"*.deb; do dpkg-deb -x "$deb" "$libroot"; done
libc="$(find "$libroot" -name libc.so.6 | head -n 1)"
libdir="$(dirname "$libc")"
loader="$(find "$libdir" -maxdepth 1 -name 'ld-linux*.so.*' | head -n 1)"
if [[ -z "$libc" || -z "$loader" ]]; then say "libc.so.6 or the loader is missing from the trixie packages"; exit 1; fi

mkdir -p "$cache/bin"
cp "$system_node" "$cache/bin/node.tmp"
patchelf --set-interpreter "$loader" --set-rpath "$libdir" "$cache/bin/node.tmp"
mv "$cache/bin/node.tmp" "$cache/bin/node"
glibc="$("$cache/bin/node" -p 'process.report.getReport().header.glibcVersionRuntime')"
echo "$stamp" > "$cache/bin/source"
say "$cache/bin/node: Node $("$cache/bin/node" --version) on glibc $glibc"
echo "$cache/bin"
