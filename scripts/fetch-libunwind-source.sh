#!/usr/bin/env bash
# Fetches Debian 12's libunwind source package (the same 1.6.2-3 that libunwind-dev is built
# from, with Debian's patches applied) into DIR/libunwind-<version>, for the self-contained agent,
# which links a position-independent libunwind of its own (Debian's libunwind.a is not PIC).
# apt-get runs with a private configuration under DIR: the machine's sources lists are not
# touched, and the package is checked against Debian's signed Sources index as usual.
# Usage: scripts/fetch-libunwind-source.sh DIR  (prints the unpacked source directory)
set -euo pipefail
dir=$(mkdir -p "$1" && cd "$1" && pwd)
version=${LB_LIBUNWIND_DEBIAN_VERSION:-1.6.2-3}
suite=${LB_DEBIAN_SUITE:-bookworm}
mirror=${LB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
src="$dir/libunwind-${version%-*}"
if [ -f "$src/configure" ]; then
  echo "$src"
  exit 0
fi
apt="$dir/apt"
mkdir -p "$apt/etc/sources.list.d" "$apt/etc/preferences.d" "$apt/lists/partial" "$apt/cache/archives/partial"
cat >"$apt/etc/sources.list.d/debian-src.sources" <<SOURCES
Types: deb-src
URIs: $mirror
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt/etc/sources.list.d"
      -o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=$apt/etc/preferences.d"
      -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "APT::Sandbox::User=root"
      -qq)
apt-get "${opts[@]}" update >&2
(cd "$dir" && apt-get "${opts[@]}" source "libunwind=$version" >&2)
test -f "$src/configure" || { echo "fetch-libunwind-source: no $src/configure after apt-get source" >&2; exit 1; }
rm -rf "$apt"
echo "$src"
