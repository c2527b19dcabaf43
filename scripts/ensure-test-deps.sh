#!/usr/bin/env bash
# What `npm test` needs beyond node_modules: Debian's redis-server (each
# test run starts its own on a free port; its Sentinel and Cluster modes too)
# and redis-cli, chromium (the UI tests drive it
# with playwright-core; no browser download) and systemd's systemd-analyze. Run by `npm test` itself
# (pretest) and by .ci/run, so a fresh machine needs no other step: as root
# it installs what is missing with apt-get; otherwise it stops at once and
# prints the one command to run.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# redis-cli --cluster create joins the Redis Cluster tests' masters (SPEC §17)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
# systemd-analyze verifies the unit of `jobtree service install` (systemd need not run)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
# CHROMIUM_PATH: another Chromium for the UI tests (test/helpers/browser.ts reads it too)
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "npm test needs ${missing[*]}, which this machine lacks. Install it with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]} with apt-get (needed by npm test)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
