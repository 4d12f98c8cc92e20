#!/usr/bin/env bash
# Start a throwaway Redis server on the loopback for the test suite; print its URL.
# Usage: scripts/redis-test-server.sh start DIR PORT | stop DIR
set -euo pipefail
action=$1 dir=$2
case "$action" in
  start)
    port=$3
    mkdir -p "$dir"
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly no \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
    for _ in $(seq 50); do
      redis-cli -p "$port" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
    redis-cli -p "$port" ping >/dev/null
    echo "redis://127.0.0.1:$port/0"
    ;;
  stop)
    [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
    ;;
esac
