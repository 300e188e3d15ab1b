#!/usr/bin/env bash
# Install the Debian Slurm packages (controller, node daemon, client tools, munge)
# when sbatch is missing. The Slurm tests start their own one-node cluster from
# these binaries (test/support/slurm.ts); they skip with a reason when this fails.
set -euo pipefail
command -v sbatch >/dev/null 2>&1 && command -v slurmctld >/dev/null 2>&1 && command -v munged >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "slurm: not installed, and installing needs root and apt-get; the Slurm tests will skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# The packages' postinst would start system-wide daemons; the tests run their own.
(apt-get update -qq && apt-get install -y -qq --no-install-recommends slurm-wlm munge) >/dev/null
# Debian starts munge/slurm services where systemd runs; they use the system paths, not the tests'.
exit 0
