#!/usr/bin/env bash
# Stops the test node start-node.sh started: the process group recorded in its pid file (Maven
# and the node's JVM), politely first (the runner closes the node on SIGTERM), then by force.
# Succeeds when no node of ours is running, so it is safe in a cleanup trap.
set -uo pipefail

node_dir="${OPENSEARCH_NODE_DIR:-/tmp/ipsentry-opensearch}"
pid_file="${node_dir}/node.pid"

say() { printf 'opensearch: %s\n' "$*" >&2; }

if [ ! -f "$pid_file" ]; then
  say "no pid file at ${pid_file}: nothing to stop"
  exit 0
fi
pid="$(cat "$pid_file")"
if ! kill -0 "$pid" 2>/dev/null; then
  say "process $pid is gone already"
  rm -f "$pid_file"
  exit 0
fi

# start-node.sh ran the node under setsid, so its pid is also its process group id.
kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
for _ in $(seq 1 30); do
  kill -0 -- "-$pid" 2>/dev/null || break
  sleep 1
done
if kill -0 -- "-$pid" 2>/dev/null; then
  say "still running after 30 s: killing process group $pid"
  kill -KILL -- "-$pid" 2>/dev/null
  sleep 1
fi
rm -f "$pid_file"
say "stopped"
