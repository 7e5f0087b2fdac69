#!/usr/bin/env bash
# Make sure the servers the test suite talks to are up: PostgreSQL on
# 127.0.0.1:5432 and Redis on 127.0.0.1:6379. Start them if they are installed
# but stopped; otherwise say what is missing and fail.
set -u

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 30); do pg_up && break; sleep 1; done
  fi
fi
if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    for _ in $(seq 30); do redis_up && break; sleep 1; done
  fi
fi

status=0
pg_up || { echo "PostgreSQL is not reachable at 127.0.0.1:5432 and could not be started." >&2; status=1; }
redis_up || { echo "Redis is not reachable at 127.0.0.1:6379 and could not be started." >&2; status=1; }
exit $status
