#!/usr/bin/env bash
# Runs the suite on the embedded setup (SQLite, filesystem broker), then the tests that touch the
# database or broker again on PostgreSQL + Redis. Without those services the second run is skipped
# with a clear line, unless MESTUDIO_REQUIRE_SERVICES=1 (CI), which makes their absence a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}

echo "== embedded suite: SQLite + filesystem broker"
env -u DATABASE_URL -u CELERY_BROKER_URL $BIN/pytest "$@"
embedded=$?
[ $embedded -eq 5 ] && embedded=0   # pytest: no tests collected (e.g. a -k filter)

services_up() {
  $BIN/python - "$PG_URL" "$REDIS_URL" <<'PY'
import sys
import psycopg2, redis
try:
    psycopg2.connect(sys.argv[1].replace("/test", "/postgres"), connect_timeout=3).close()
    redis.Redis.from_url(sys.argv[2], socket_connect_timeout=3).ping()
except Exception as exc:
    print(f"   not reachable: {exc}".strip())
    sys.exit(1)
PY
}

echo "== service suite: PostgreSQL + Redis"
if services_up; then
  DATABASE_URL=$PG_URL CELERY_BROKER_URL=$REDIS_URL MESTUDIO_SERVICE_SUITE=1 MESTUDIO_TEST_DB_NAME=test_mestudio_$$ \
    $BIN/pytest "$@"
  services=$?
  [ $services -eq 5 ] && services=0
elif [ "${MESTUDIO_REQUIRE_SERVICES:-0}" = 1 ]; then
  echo "FAILED: PostgreSQL ($PG_URL) or Redis ($REDIS_URL) is not running; the service suite is required here."
  services=1
else
  echo "SKIPPED: PostgreSQL or Redis is not running on this machine; only the embedded suite ran."
  services=0
fi
exit $(( embedded || services ))
