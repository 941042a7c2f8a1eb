#!/usr/bin/env bash
# A single-node SLURM cluster on this machine, for testing the workflow's SLURM profile.
#
#   tests/slurm/local_cluster.sh start   install Debian's slurm + munge if missing, write the
#                                        config, start munged, slurmctld, slurmd; wait for the node
#   tests/slurm/local_cluster.sh stop    stop the daemons this script started
#
# Needs root and apt-get (Debian/Ubuntu), no systemd. The node has a fake GPU (a GRES backed
# by a character device) so that jobs asking for a GPU are scheduled and get
# CUDA_VISIBLE_DEVICES. No accounting daemon: the executor plugin polls with squeue, which
# needs finished jobs kept visible (MinJobAge) for at least three status-check intervals; the
# test reads every job back with scontrol after the run, so they stay for an hour.
set -euo pipefail

ACTION="${1:-start}"
CPUS="$(nproc)"
MEMORY_MB="${LOCAL_SLURM_MEMORY_MB:-16000}"
NODE="$(hostname -s)"
RUN_DIR=/run/slurm
PIDS=("$RUN_DIR/slurmd.pid" "$RUN_DIR/slurmctld.pid")

running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_daemon() {
  local pidfile="$1"
  if running "$pidfile"; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 100); do running "$pidfile" || return 0; sleep 0.1; done
    kill -9 "$(cat "$pidfile")" 2>/dev/null || true
  fi
}

if [ "$ACTION" = stop ]; then
  for pidfile in "${PIDS[@]}"; do stop_daemon "$pidfile"; done
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "local_cluster.sh: must run as root (it installs packages and starts daemons)" >&2
  exit 2
fi

missing=()
for tool in munged:munge slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool##*:}")
done
if ((${#missing[@]})); then
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# munge: one key, the daemon running as its own user
install -d -o munge -g munge -m 700 /etc/munge
install -d -o munge -g munge -m 755 /run/munge
install -d -o munge -g munge /var/lib/munge /var/log/munge
[ -s /etc/munge/munge.key ] || head -c 1024 /dev/urandom > /etc/munge/munge.key
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
if ! munge -n </dev/null >/dev/null 2>&1; then
  rm -f /run/munge/munged.pid /run/munge/munge.socket.2*
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do munge -n </dev/null >/dev/null 2>&1 && break; sleep 0.1; done
fi

install -d /etc/slurm /var/spool/slurmd
install -d -o slurm -g slurm /var/spool/slurmctld /var/log/slurm "$RUN_DIR"

# the fake GPU: slurmd only accepts a character device as a GRES file
[ -c /dev/fakegpu0 ] || { rm -f /dev/fakegpu0; mknod -m 666 /dev/fakegpu0 c 1 3; }
echo "NodeName=$NODE Name=gpu File=/dev/fakegpu0" > /etc/slurm/gres.conf

cat > /etc/slurm/slurm.conf.new <<EOF
# written by manga-ssl tests/slurm/local_cluster.sh
ClusterName=manga-ssl-test
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$RUN_DIR/slurmctld.pid
SlurmdPidFile=$RUN_DIR/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
MinJobAge=3600
KillWait=5
InactiveLimit=0
GresTypes=gpu
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEMORY_MB Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
if ! cmp -s /etc/slurm/slurm.conf.new /etc/slurm/slurm.conf; then
  mv /etc/slurm/slurm.conf.new /etc/slurm/slurm.conf
  # a changed node or GRES line needs both daemons restarted, not a reconfigure
  for pidfile in "${PIDS[@]}"; do stop_daemon "$pidfile"; done
else
  rm /etc/slurm/slurm.conf.new
fi
chmod 644 /etc/slurm/slurm.conf

running "$RUN_DIR/slurmctld.pid" || /usr/sbin/slurmctld -i
for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
running "$RUN_DIR/slurmd.pid" || /usr/sbin/slurmd

for _ in $(seq 150); do
  state="$(sinfo -h -N -o %t 2>/dev/null | head -1 || true)"
  case "$state" in
    idle|mix|alloc) echo "local SLURM cluster up: node $NODE, $CPUS CPUs, 1 (fake) GPU"; exit 0 ;;
    down*|drain*) scontrol update nodename="$NODE" state=resume 2>/dev/null || true ;;
  esac
  sleep 0.2
done
echo "local_cluster.sh: node $NODE did not become idle; see /var/log/slurm/" >&2
exit 1
