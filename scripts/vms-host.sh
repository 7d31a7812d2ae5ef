# Host side of the nested set-up (scripts/vms.sh): helpers for host scripts
# that run in run-guest.sh's network namespace with the outer guest's (L1)
# control channel open (scripts/qv-agent.sh: gx). Sourced, not run.
# shellcheck shell=bash
#
# Tenant i (1-based) is the VM "vmi" inside L1: it owns VF i-1 through
# vfio-pci, has the address 10.77.0.(20+i)/24 and the MAC
# 52:54:00:51:00:0i (set through L1's PF driver, as a VMM does), and its
# command channel is port 7500+i in L1. The host reaches tenants through
# the tap, i.e. through the device's wire, like any client of a server.
#
#   gl1 CMD...            run CMD in L1 with scripts/vms-l1.sh loaded
#   gxv I CMD...          run CMD in tenant I (through L1's channel)
#   vms_up N [MEM]        L1 set-up, then boot tenants 1..N and wait for them
#   vms_qmp CMD [ARGS]    QMP of the outer QEMU (L0): the host's control plane
#   vms_vf_stat I FIELD   a QMP statistic (query-qosvnic) of tenant I's VF
#   vms_vf_config I FIELD a QMP setting of tenant I's VF

vms_ip() { echo "10.77.0.$((20 + $1))"; }
vms_mac() { printf '52:54:00:51:00:%02x' "$1"; }
vms_port() { echo $((7500 + $1)); }

# (L1's set-up mounted the host's root at /host: vms_l1_guest_setup.)
gl1() {
    gx ". /lib/qv-lib.sh; QOSVNIC_ROOT=$(printf '%q' "$VMS_ROOT");" \
       ". /host\$QOSVNIC_ROOT/scripts/vms-l1.sh; $*"
}

# The tenant's own wait ends first (QV_RPC_TIMEOUT, a minute below gx's),
# so a tenant that does not answer is reported by L1 and the command
# channel to L1 stays in step: when gx gave up first, L1's late answer was
# taken for the next command's, and every check after it failed.
gxv() { # tenant cmd...
    local i=$1; shift
    gx "QV_RPC_TIMEOUT=$(( ${GX_TIMEOUT:-300} - 60 )) /lib/qv-rpc.sh $(vms_port "$i")" \
       "$(printf '%s\n' "$*" | base64 -w0)"
}

# L1 as the virtualized server: the host's userland over 9p, KVM and vfio,
# qosvnic.ko on the PF with $1 VFs for tenants (bound to vfio-pci, MACs
# set through the PF driver).
vms_l1_setup() { # nvfs
    local i macs=''
    for i in $(seq 1 "$1"); do
        macs="$macs ip link set \$(l1_pfdev) vf $((i - 1)) mac $(vms_mac "$i") &&"
    done
    gl1 "l1_sysroot && l1_kvm && l1_pf_setup $1 && $macs
         for i in \$(seq 0 $(($1 - 1))); do l1_vf_to_vfio \$i || exit 1; done"
}

vms_tenant_start() { # i [mem] [extra kernel args]
    gl1 "l1_tenant_start vm$1 $(vms_port "$1") $(($1 - 1)) $(vms_ip "$1")/24 ${2:-384M} '${3:-}'"
}
vms_tenant_wait() { gl1 "l1_tenant_wait vm$1 ${2:-180}"; }
vms_tenant_stop() { gl1 "l1_tenant_stop vm$1 $(vms_port "$1") ${2:-}"; }

vms_up() { # n [mem]
    local n=$1 i t0=$SECONDS
    vms_l1_setup "$n" || { echo "vms: L1 set-up failed"; return 1; }
    echo "    L1: host root mounted, KVM and vfio loaded, $n VFs on vfio-pci ($((SECONDS - t0)) s)"
    for i in $(seq 1 "$n"); do
        vms_tenant_start "$i" "${2:-}" || return 1
    done
    for i in $(seq 1 "$n"); do
        vms_tenant_wait "$i" || { echo "vms: tenant vm$i did not come up"; return 1; }
        echo "    vm$i ready ($((SECONDS - t0)) s after the L1 set-up began)"
    done
}

vms_qmp() { python3 "$VMS_ROOT/scripts/qmp.py" "$VMS_QMP" "$@"; }

# query-qosvnic's entry of VF $1-1, field path $2 (e.g. stats.drop-rate).
vms_vf_field() { # i path
    vms_qmp query-qosvnic '{"id":"nic0"}' | python3 -c '
import json, sys
vf, path = int(sys.argv[1]), sys.argv[2].split(".")
for f in json.load(sys.stdin)[0]["functions"]:
    if f.get("vf") == vf:
        v = f
        for p in path:
            v = v[p]
        print(json.dumps(v) if isinstance(v, (dict, list)) else v)
        sys.exit(0)
print("NA")' "$(($1 - 1))" "$2"
}
vms_vf_stat() { vms_vf_field "$1" "stats.$2"; }
vms_vf_config() { vms_vf_field "$1" "config.$2"; }
