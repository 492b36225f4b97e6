#!/usr/bin/env bash
# Launches a gradmesh data-parallel job over ssh.
#
# Usage: launch/ssh.sh HOSTFILE [train flags...]
#
#   HOSTFILE  one worker per line (one line per GPU): a host name that every host can
#             resolve, then optional VAR=value settings for that worker only, e.g. to give
#             it its own GPU (see docs/cluster.md, "One worker per GPU"):
#
#               gpu-node-1 DRI_PRIME=pci-0000_17_00_0 MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE=1
#               gpu-node-1 DRI_PRIME=pci-0000_65_00_0 MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE=1
#               gpu-node-2
#
#             Blank lines and lines starting with # are skipped. The coordinator runs on
#             the first line's host; rank r is the r-th worker line.
#   flags     passed to `gradmesh coordinator` (train flags such as --epochs, --model,
#             --out, and --heartbeat-timeout, --checksum-every, ...).
#
# Environment:
#   GRADMESH_DIR    the gradmesh checkout on every host (default: this one's path)
#   DENO            deno on every host (default: deno)
#   MASTER_PORT     coordinator port (default: 29500)
#   BACKEND         every worker's --backend (default: auto)
#   LINK            every worker's --link: native, http or auto (default: auto)
#   GRADMESH_TOKEN  job token (default: a fresh one); sent over ssh's stdin, never argv
#   SSH             ssh command (default: ssh -o BatchMode=yes)
#
# Exits with the coordinator's status: 0 when every rank finished, 1 when the job
# failed (its one-line error names the rank, host and step), 2 on bad usage. Remote
# processes end on their own when this script dies: workers give up on an unreachable
# coordinator after the heartbeat timeout, and the coordinator fails a silent job.
set -euo pipefail

if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
  exit 2
fi
hostfile=$1
shift
dir=${GRADMESH_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
deno=${DENO:-deno}
port=${MASTER_PORT:-29500}
backend=${BACKEND:-auto}
link=${LINK:-auto}
read -r -a ssh_cmd <<<"${SSH:-ssh -o BatchMode=yes}"
token=${GRADMESH_TOKEN:-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')}
# --allow-ffi: the native link (libc) and OpenBLAS.
permissions="--allow-read --allow-write --allow-env --allow-net --allow-run --allow-sys --allow-ffi"

hosts=()
settings=()
while read -r host rest; do
  [[ -z $host || $host == \#* ]] && continue
  hosts+=("$host")
  settings+=("$rest")
done <"$hostfile"
world=${#hosts[@]}
if [[ $world -eq 0 ]]; then
  echo "launch/ssh.sh: $hostfile lists no hosts" >&2
  exit 2
fi
master=${hosts[0]}

# Replaces this (background) shell with ssh running a command on a host, with
# GRADMESH_TOKEN read from stdin, so that the token appears in no command line.
run_remote() {
  local host=$1
  shift
  exec "${ssh_cmd[@]}" "$host" \
    "read -r GRADMESH_TOKEN && export GRADMESH_TOKEN && cd $(printf %q "$dir") || exit 2; $*" \
    <<<"$token"
}

# Interrupted: stop the coordinator; the workers give up on it after the heartbeat timeout.
pidfile=/tmp/gradmesh-coordinator-$port-$$.pid
pids=()
# shellcheck disable=SC2317  # invoked by the trap
stop_job() {
  trap - INT TERM
  "${ssh_cmd[@]}" "$master" "kill \$(cat $pidfile) 2>/dev/null; rm -f $pidfile" </dev/null || true
  kill "${pids[@]}" 2>/dev/null || true
  exit 130
}
trap stop_job INT TERM

quoted_flags=$(printf ' %q' "$@")
run_remote "$master" "$deno run $permissions cli/main.ts coordinator --world $world \
  --host 0.0.0.0 --port $port$quoted_flags & echo \$! >$pidfile; wait \$!; \
  status=\$?; rm -f $pidfile; exit \$status" &
coordinator=$!
pids+=("$coordinator")

declare -A local_ranks=()
for rank in "${!hosts[@]}"; do
  host=${hosts[$rank]}
  local_rank=${local_ranks[$host]:-0}
  local_ranks[$host]=$((local_rank + 1))
  run_remote "$host" "exec env ${settings[$rank]} RANK=$rank WORLD_SIZE=$world \
    LOCAL_RANK=$local_rank MASTER_ADDR=$(printf %q "$master") MASTER_PORT=$port \
    $deno run $permissions cli/main.ts worker --host 0.0.0.0 \
    --advertise $(printf %q "$host") --backend $backend --link $link" \
    > >(sed -u "s/^/[rank $rank] /") 2>&1 &
  pids+=("$!")
done

status=0
wait "$coordinator" || status=$?
for pid in "${pids[@]:1}"; do wait "$pid" || true; done
exit "$status"
