# Host side of `./qosvnic vms` (scripts/vms.sh without --run): what the
# tenant VMs look like, their traffic, and QoS set by the host and by L1's
# PF driver. Sourced with scripts/vms-host.sh's helpers; the tenants are up.
# Prints what it measures; asserts nothing (scripts/tests/vms-test.sh does).
# shellcheck shell=bash

T=${VMS_DEMO_SECONDS:-5}
n=$VMS_TENANTS
mbps() { awk -v b="${1:-0}" 'BEGIN {printf "%.0f", b / 1e6}'; }

echo
echo "== L1 (the virtualized server): the PF and the VFs it gave to tenant VMs"
gl1 'ip link show $(l1_pfdev) | sed -n "1p;/vf /p"
     for i in $(seq 0 '"$((n - 1))"'); do
         v=$(l1_vf_pci $i)
         echo "VF $i: $v driver=$(qv_driver $v) iommu_group=$(basename $(readlink /sys/bus/pci/devices/$v/iommu_group))"
     done
     ps -o pid,args | grep "[q]emu-system" | sed "s/ -append .*-device / ... -device /; s/ -pidfile.*//"'
for i in $(seq 1 "$n"); do
    echo
    echo "== tenant vm$i (a VM in L1 that owns VF $((i - 1)))"
    gxv "$i" 'echo "$(hostname): kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) vCPU, $(awk "/MemTotal/ {print int(\$2/1024)}" /proc/meminfo) MiB"
              for d in /sys/class/net/*/device; do
                  n=$(basename $(dirname $d)); p=$(basename $(readlink $d))
                  echo "$n: PCI $p $(cat $d/vendor):$(cat $d/device) driver $(basename $(readlink $d/driver))"
                  ip -br addr show dev $n
              done'
done

streams() { # label: one TCP stream from the host to every tenant at once
    local i d
    d=$(mktemp -d)
    for i in $(seq 1 "$n"); do
        ( ip3 -c "$(vms_ip "$i")" -t "$T" > "$d/$i" ) &
    done
    wait
    printf '   %-38s' "$1"
    for i in $(seq 1 "$n"); do printf '  vm%s %5s Mbit/s' "$i" "$(mbps "$(cat "$d/$i")")"; done
    echo
    rm -rf "$d"
}
drops() {
    printf '   %-38s' "device drops for the rate (QMP)"
    for i in $(seq 1 "$n"); do printf '  vm%s %12s' "$i" "$(vms_vf_stat "$i" drop-rate)"; done
    echo
}

echo
echo "== traffic: a TCP stream from the host to each tenant at the same time ($T s)"
streams "no QoS"
drops
if [ "$n" -ge 2 ]; then
    echo
    echo "== the host polices vm1 at the device: QMP qosvnic-set-vf vf 0 rx-rate 50 Mbit/s"
    vms_qmp qosvnic-set-vf '{"id":"nic0","vf":0,"rx-rate":50000000,"rx-burst":1048576}' >/dev/null
    streams "vm1 policed to 50 Mbit/s"
    drops
    vms_qmp qosvnic-set-vf '{"id":"nic0","vf":0,"rx-rate":0,"rx-burst":0,"limit":false}' >/dev/null

    echo
    echo "== L1's PF driver caps vm2's transmit: ip link set PF vf 1 max_tx_rate 30"
    gl1 'ip link set $(l1_pfdev) vf 1 max_tx_rate 30'
    for i in 1 2; do
        printf '   vm%s -> host (TCP, %s s): %s Mbit/s\n' "$i" "$T" "$(mbps "$(ip3 -c "$(vms_ip "$i")" -R -t "$T")")"
    done
    gl1 'ip link set $(l1_pfdev) vf 1 max_tx_rate 0'
fi

echo
echo "== memory: host RSS of the outer QEMU $(ps -o rss= -p "$(agent_qemu_pid)" | awk '{printf "%.0f MiB", $1 / 1024}')"
for i in $(seq 1 "$n"); do vms_tenant_stop "$i"; done
echo "== tenants powered off; L1 powers off next"
