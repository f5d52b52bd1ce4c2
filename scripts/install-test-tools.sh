#!/usr/bin/env bash
# Installs, from Debian's packages, the programs the tests run besides TeX: headless Chromium
# (the HTML export is rendered in a real browser) and auto-multiple-choice (the AMC export is
# prepared by AMC itself, and it is the speed reference in benchmarks/). Idempotent.
#   scripts/install-test-tools.sh            install what is missing (apt-get, sudo if not root)
#   scripts/install-test-tools.sh --dry-run  print the apt-get command it would run
set -euo pipefail

COMMANDS='
chromium              chromium
auto-multiple-choice  auto-multiple-choice
pdftocairo            poppler-utils
'
missing=()
while read -r cmd package; do
  [ -n "$cmd" ] || continue
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$package")
done <<< "$COMMANDS"
[ "${#missing[@]}" -gt 0 ] || exit 0

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
if [ "${1:-}" = --dry-run ]; then
  echo "$SUDO apt-get install -y --no-install-recommends ${missing[*]}"
  exit 0
fi
echo "installing ${missing[*]} from Debian's packages (for the tests)..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
