#!/usr/bin/env bash
# Makes sure the machine services the tests use are up (they are started before a session,
# but may have stopped), and installs Debian packages the suites need.
set -uo pipefail

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "PostgreSQL not answering: starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  echo "Redis not answering: starting it"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /tmp || true
fi
# nginx (with the auth_request module) for test/integration/nginx.test.ts, nginx-gateway.test.ts and
# fleet.test.ts (and `BENCH_PARTS=nginx npm run bench`).
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "nginx missing: installing nginx-light"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q nginx-light >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q nginx-light >/dev/null 2>&1; } \
    || apt-get install -y -q nginx >/dev/null 2>&1 \
    || echo "could not install nginx: the nginx integration test will be skipped"
  # The package may start a system nginx on port 80; the tests run their own.
  (command -v service >/dev/null 2>&1 && service nginx stop >/dev/null 2>&1) || true
fi
# The dashboard's browser tests drive Debian's Chromium through playwright-core (never a downloaded browser).
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing chromium for the dashboard's browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium \
    || echo "chromium could not be installed: the browser suites will be skipped"
fi
exit 0
