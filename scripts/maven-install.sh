#!/usr/bin/env bash
# Installs leakbridge's jars, their POMs and sources jars (io.leakbridge:leakbridge and
# io.leakbridge:leakbridge-junit5) into a local Maven repository, laid out as
# `mvn install:install-file` would, which needs no plugin or network here (docs/release.md).
# Usage: maven-install.sh [REPOSITORY]   (default: ~/.m2/repository, which Maven and Gradle's
#        mavenLocal() read). The artifacts are those beside this script (the release archive's
#        maven/) or, in a source tree, those of build/java/maven (LB_BUILD=DIR for another build).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=${1:-$HOME/.m2/repository}
if compgen -G "$here/*.pom" >/dev/null; then
  from=$here
else
  from=${LB_BUILD:-$here/../build}/java/maven
fi
compgen -G "$from/*.pom" >/dev/null || { echo "maven-install: no POMs in $from: build first (cmake --build build)" >&2; exit 1; }
for pom in "$from"/*.pom; do
  artifact=$(sed -n 's|^  <artifactId>\(.*\)</artifactId>$|\1|p' "$pom")
  version=$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' "$pom")
  base="$artifact-$version"
  dir="$repo/io/leakbridge/$artifact"
  mkdir -p "$dir/$version"
  for f in "$base.pom" "$base.jar" "$base-sources.jar"; do
    test -f "$from/$f" || { echo "maven-install: $from/$f is missing" >&2; exit 1; }
    cp "$from/$f" "$dir/$version/$f"
    sha1sum "$from/$f" | cut -d' ' -f1 >"$dir/$version/$f.sha1"
  done
  # What the install plugin writes: every version of the artifact in this repository.
  versions=$(cd "$dir" && for v in */; do test -f "$v${artifact}-${v%/}.pom" && echo "${v%/}"; done | sort -V)
  {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo '<metadata>'
    echo '  <groupId>io.leakbridge</groupId>'
    echo "  <artifactId>$artifact</artifactId>"
    echo '  <versioning>'
    echo "    <release>$(tail -1 <<<"$versions")</release>"
    echo '    <versions>'
    for v in $versions; do echo "      <version>$v</version>"; done
    echo '    </versions>'
    echo "    <lastUpdated>$(date -u +%Y%m%d%H%M%S)</lastUpdated>"
    echo '  </versioning>'
    echo '</metadata>'
  } >"$dir/maven-metadata-local.xml"
  echo "maven-install: io.leakbridge:$artifact:$version in $repo"
done
