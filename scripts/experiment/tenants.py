"""The virtualized server (L1) and its tenants, in the two architectures the
papers compare, and the two ways of imposing QoS.

Architectures:
  "vf"  proposed: each tenant owns a qosvnic VF; the device classifies and
        admits its frames; L1 only forwards interrupts (vfio).
  "br"  existing: each tenant has a virtio-net NIC (vhost-net) on a tap of
        a Linux bridge in L1 whose uplink is the qosvnic PF, so that L1 is
        the driver domain every frame crosses (Xen's IDD in the papers).
Tenants are VMs of their own (mode "vm", L2 under KVM in L1) or, in the
quick mode, network namespaces of L1 (mode "ns") with their server pinned
to a vCPU of their own; the rest of the code does not care which.

L1 has three vCPUs in the experiments: vCPU 0 is the server's own (the
driver-domain role: PF interrupts, bridge, vhost), tenant i runs on vCPU i,
as the papers pinned IDD, VM1 and VM2 to separate cores.
"""
import shlex

HTTP_ROOT = "/srv/www"
PAGE = "page"


class Tenant:
    def __init__(self, server, index, arch):
        self.server, self.i, self.arch = server, index, arch
        self.mode = server.mode
        base = {"vf": 20, "br": 40}[arch]
        self.ip = "10.77.0.%d" % (base + index)
        self.mac = "52:54:00:%02x:00:%02x" % ({"vf": 0x51, "br": 0x52}[arch], index)
        self.port = {"vf": 7500, "br": 7510}[arch] + index
        prefix = {("vm", "vf"): "vm", ("vm", "br"): "vmb",
                  ("ns", "vf"): "t", ("ns", "br"): "tb"}[(self.mode, arch)]
        self.name = "%s%d" % (prefix, index)
        self.vf = index - 1             # the VF it owns ("vf") or none
        self.cpu = index                # its vCPU of L1
        self.port_dev = "br%d" % index  # its bridge port in L1 ("br")
        self.label = "VM%d" % index

    def sh(self, cmd, timeout=120, check=True):
        l1 = self.server.l1
        if self.mode == "vm":
            return l1.tenant_sh(self.port, cmd, timeout, check)
        return l1.sh("ip netns exec %s bash -c %s" % (self.name, shlex.quote(cmd)),
                     timeout, check)


class Server:
    """L1 as the virtualized server, with two tenants in one architecture
    at a time."""

    def __init__(self, l1, qmp, mode, page_bytes, log):
        self.l1, self.qmp, self.mode, self.page_bytes = l1, qmp, mode, page_bytes
        self.log = log
        self.arch = None
        self.tenants = []
        self.prepared = False

    # ------------------------------------------------------------ set-up
    def prepare(self):
        if self.prepared:
            return
        self.log("L1: host root, KVM and vfio, qosvnic.ko on the PF with 2 VFs")
        kvm = "l1_kvm" if self.mode == "vm" else "true"
        self.l1.sh("l1_sysroot && %s && l1_pf_setup 2 && "
                   "for i in 0 1; do ip link set $(l1_pfdev) vf $i mac 52:54:00:51:00:0$((i + 1)); done && "
                   # The PF's interrupts on vCPU 0, the server's own.
                   "for irq in $(ls /sys/bus/pci/devices/$(l1_pf)/msi_irqs); do "
                   "  echo 1 > /proc/irq/$irq/smp_affinity 2>/dev/null; done; true" % kvm)
        self.prepared = True

    def use(self, arch):
        """Bring up the two tenants of @arch (taking down the other's)."""
        if self.arch == arch:
            return self.tenants
        self.prepare()
        self.down()
        self.log("tenants: two in architecture '%s' (%s mode)" % (arch, self.mode))
        self.tenants = [Tenant(self, i, arch) for i in (1, 2)]
        if arch == "br":
            self.l1.sh("l1_bridge_up")
        for t in self.tenants:
            self._start(t)
        for t in self.tenants:
            self._wait(t)
        for t in self.tenants:
            t.sh("head -c %d /dev/zero > %s/%s" % (self.page_bytes, HTTP_ROOT, PAGE))
        self.arch = arch
        return self.tenants

    def _start(self, t):
        if t.arch == "vf":
            bind = "l1_vf_to_vfio %d" % t.vf if t.mode == "vm" else "l1_vf_to_driver %d" % t.vf
            self.l1.sh(bind)
        if t.mode == "vm":
            nic = t.vf if t.arch == "vf" else "tap:%s:%s" % (t.port_dev, t.mac)
            if t.arch == "br":
                self.l1.sh("l1_bridge_port %s" % t.port_dev)
            self.l1.sh("L1_TENANT_CPUS=%d l1_tenant_start %s %d %s %s/24"
                       % (t.cpu, t.name, t.port, nic, t.ip))
            return
        # A namespace of L1 with the VF's netdev, or a veth on the bridge.
        if t.arch == "vf":
            dev = "$(ls /sys/bus/pci/devices/$(l1_vf_pci %d)/net)" % t.vf
        else:
            self.l1.sh("l1_bridge_port %s veth" % t.port_dev)
            dev = "%s-ns" % t.port_dev
        self.l1.sh("l1_ns_tenant %s %s %s/24 %s %d" % (t.name, dev, t.ip, t.mac, t.cpu))

    def _wait(self, t):
        if t.mode == "vm":
            self.l1.sh("l1_tenant_wait %s 300" % t.name, timeout=330)
            if t.arch == "br":
                # vhost-net's worker threads do the driver domain's work.
                self.l1.sh("for p in $(pgrep vhost-); do taskset -p 1 $p >/dev/null; done; true")

    def down(self):
        for t in self.tenants:
            if t.mode == "vm":
                self.l1.sh("l1_tenant_stop %s %d kill" % (t.name, t.port), check=False)
                if t.arch == "br":
                    self.l1.sh("ip link del %s" % t.port_dev, check=False)
            else:
                self.l1.sh("l1_ns_tenant_stop %s" % t.name, check=False)
                if t.arch == "br":
                    self.l1.sh("ip link del %s" % t.port_dev, check=False)
        if self.arch == "br":
            self.l1.sh("l1_bridge_down", check=False)
        self.tenants, self.arch = [], None

    def tenant_qemu_pids(self):
        if self.mode != "vm":
            return {}
        out = self.l1.sh("for n in %s; do echo $n $(l1_tenant_pid $n); done"
                         % " ".join(t.name for t in self.tenants))
        pids = {}
        for line in out.splitlines():
            f = line.split()
            if len(f) == 2:
                pids[f[0]] = int(f[1])
        return pids

    # --------------------------------------------------------------- QoS
    def qos_clear(self):
        for vf in (0, 1):
            self.qmp.set_vf(vf, limit=False, rx_rate=0, rx_burst=0, tx_max_rate=0)
        pf = "$(l1_pfdev)"
        cmds = ["tc qdisc del dev %s root" % pf]
        cmds += ["tc qdisc del dev %s clsact" % t.port_dev for t in self.tenants if t.arch == "br"]
        self.l1.sh("; ".join(c + " 2>/dev/null" for c in cmds) + "; true")

    def qos_device(self, t, ingress_bps=None, burst=None, egress_mbps=None):
        """The constraint at the device, set by the host (QMP)."""
        args = {}
        if ingress_bps is not None:
            args.update(rx_rate=int(ingress_bps), rx_burst=int(burst))
        if egress_mbps is not None:
            args.update(tx_max_rate=int(egress_mbps))
        self.qmp.set_vf(t.vf, **args)

    def qos_software(self, t, egress_bps, burst, ingress_bps=None, ingress_burst=None):
        """The papers' Xen set-up in L1: an htb class with a tbf qdisc on the
        tenant's outgoing traffic at the uplink (burst: 10 packets), and
        optionally tc police on its incoming traffic at its bridge port, i.e.
        after the frame crossed the device and the bridge."""
        pf = "$(l1_pfdev)"
        rate = "%dbit" % int(egress_bps)
        c = ["tc qdisc add dev %s root handle 1: htb default 10" % pf,
             "tc class add dev %s parent 1: classid 1:1 htb rate 10gbit" % pf,
             "tc class add dev %s parent 1:1 classid 1:10 htb rate 10gbit" % pf,
             "tc class add dev %s parent 1:1 classid 1:20 htb rate %s ceil %s burst %d"
             % (pf, rate, rate, burst),
             "tc qdisc add dev %s parent 1:20 handle 20: tbf rate %s burst %d limit %d"
             % (pf, rate, burst, burst),
             "tc filter add dev %s parent 1: protocol ip prio 1 u32 match ip src %s/32 flowid 1:20"
             % (pf, t.ip)]
        if ingress_bps is not None:
            c += ["tc qdisc add dev %s clsact" % t.port_dev,
                  "tc filter add dev %s egress protocol ip prio 1 u32 match ip dst %s/32 "
                  "action police rate %dbit burst %d drop"
                  % (t.port_dev, t.ip, int(ingress_bps), ingress_burst)]
        self.l1.sh(" && ".join(c))
