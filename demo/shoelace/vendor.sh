#!/usr/bin/env bash
# Vendors Shoelace for this demo: fetches its npm package with `npm pack` and unpacks the part
# of its browser build that the page loads (the autoloader, its chunks, the components and the
# themes, about 3.5 MB) into html/shoelace/, which git ignores, or into the directory given.
# Does nothing when that directory already holds this version.
set -euo pipefail

version=2.20.1
dest=${1:-"$(cd "$(dirname "$0")" && pwd)/html/shoelace"}

if [ "$(cat "$dest/.version" 2>/dev/null)" = "$version" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "vendor.sh: npm is missing (Debian: apt-get install -y npm)" >&2
  exit 1
fi
mkdir -p "$(dirname "$dest")"
# Unpacked beside its destination, then renamed into place: never half a copy at $dest.
work=$(mktemp -d "$(dirname "$dest")/.shoelace.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@shoelace-style/shoelace@$version" >/dev/null)
mkdir "$work/cdn"
tar -xzf "$work/shoelace-style-shoelace-$version.tgz" -C "$work/cdn" --strip-components=2 \
  package/cdn/shoelace-autoloader.js package/cdn/chunks package/cdn/components package/cdn/themes
echo "$version" >"$work/cdn/.version"
rm -rf "$dest"
mv "$work/cdn" "$dest"
