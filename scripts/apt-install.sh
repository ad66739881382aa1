#!/usr/bin/env bash
# Installs the Debian packages named as arguments that are not installed yet (no recommends); says
# which were there. Used by install-test-tools.sh and install-boot-tools.sh.
set -euo pipefail
missing=()
for p in "$@"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "present: $*"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
