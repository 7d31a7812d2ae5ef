#!/usr/bin/env bash
# All benchmarks, one after the other (`./qosvnic bench`). They print
# numbers and never fail on a timing; none of them is part of the tests.
#   bench-inject.sh  frames/s and host instructions per received frame,
#                    1 and 64 VFs, next to QEMU's igb (callgrind)
#   bench-nic.sh     iperf3/netperf through a qosvnic VF, igbvf and
#                    virtio-net in the same guest, and the isolation ratio
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

step "frame-injection benchmark (scripts/bench-inject.sh)"
"$here/bench-inject.sh"
step "guest NIC benchmark (scripts/bench-nic.sh)"
"$here/bench-nic.sh"
