#!/usr/bin/env bash
# Install the Debian packages the project needs when they are missing: redis-server, and Pango
# with fonts for WeasyPrint (signed PDFs, certificate pages) always; chromium when the first
# argument is "test" (browser tests). Idempotent; quiet when all is there.
set -euo pipefail
want=(redis-server libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)
[ "${1:-}" = "test" ] && want+=(chromium)
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installing with apt: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y -q "${missing[@]}" >/dev/null; then
  $sudo apt-get update -q >/dev/null
  $sudo apt-get install -y -q "${missing[@]}" >/dev/null
fi
