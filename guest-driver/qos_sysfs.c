// SPDX-License-Identifier: GPL-2.0
/*
 * qosvnic: per-function receive QoS knobs that no standard uAPI covers.
 *
 *   /sys/bus/pci/devices/<PF>/qos/{pf,vf0,vf1,...}/
 *     rx_rate       ingress policer rate, bit/s (0 = none)  QV_MG_RX_RATE
 *     rx_burst      ingress bucket depth, bytes             QV_MG_RX_BURST
 *     prio          DMA priority class, 0 = highest         QV_MG_PRIO
 *     weight        DRR weight within the class, 1..1024    QV_MG_WEIGHT
 *     host_limits   RO: fields the host (QMP) caps          QV_MG_HOST_LIMITS
 *
 * Buffer reserve/alpha are devlink shared-buffer thresholds (devlink.c),
 * egress rates are "ip link set PF vf N max_tx_rate/min_tx_rate".
 */
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "qosvnic.h"

struct qv_qos_kobj {
	struct kobject kobj;
	struct qv_pf *pf;
	unsigned int fn;
};

struct qv_qos_attr {
	struct kobj_attribute attr;
	u32 reg;
	u64 min;
	u64 max;
	bool is64;
};

static struct qv_qos_kobj *to_qos(struct kobject *kobj)
{
	return container_of(kobj, struct qv_qos_kobj, kobj);
}

static ssize_t qv_qos_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	struct qv_qos_attr *qa = container_of(attr, struct qv_qos_attr, attr);
	struct qv_qos_kobj *q = to_qos(kobj);
	void __iomem *mg = qv_mgmt(q->pf, q->fn);

	if (qa->is64)
		return sysfs_emit(buf, "%llu\n", qv_rd64(mg, qa->reg));
	return sysfs_emit(buf, "%u\n", qv_rd32(mg, qa->reg));
}

static ssize_t qv_qos_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	struct qv_qos_attr *qa = container_of(attr, struct qv_qos_attr, attr);
	struct qv_qos_kobj *q = to_qos(kobj);
	void __iomem *mg = qv_mgmt(q->pf, q->fn);
	u64 val, rb;
	int err;

	err = kstrtou64(buf, 0, &val);
	if (err)
		return err;
	if (val < qa->min || val > qa->max)
		return -ERANGE;

	mutex_lock(&q->pf->cfg_lock);
	if (qa->is64) {
		qv_wr64(mg, qa->reg, val);
		rb = qv_rd64(mg, qa->reg);
	} else {
		qv_wr32(mg, qa->reg, val);
		rb = qv_rd32(mg, qa->reg);
	}
	mutex_unlock(&q->pf->cfg_lock);
	if (rb != val) {
		dev_warn(&q->pf->pdev->dev,
			 "fn %u: %s %llu capped by the host to %llu\n", q->fn,
			 attr->attr.name, val, rb);
		return -EPERM;
	}
	return count;
}

static ssize_t host_limits_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct qv_qos_kobj *q = to_qos(kobj);

	return sysfs_emit(buf, "%#x\n",
			  qv_rd32(qv_mgmt(q->pf, q->fn), QV_MG_HOST_LIMITS));
}

#define QV_QOS_ATTR(_name, _reg, _min, _max, _is64)			\
	static struct qv_qos_attr qv_qos_##_name = {			\
		.attr = __ATTR(_name, 0644, qv_qos_show, qv_qos_store),	\
		.reg = _reg,						\
		.min = _min,						\
		.max = _max,						\
		.is64 = _is64,						\
	}

QV_QOS_ATTR(rx_rate, QV_MG_RX_RATE_LO, 0, U64_MAX, true);
QV_QOS_ATTR(rx_burst, QV_MG_RX_BURST, 0, U32_MAX, false);
QV_QOS_ATTR(prio, QV_MG_PRIO, 0, QV_PRIO_CLASSES - 1, false);
QV_QOS_ATTR(weight, QV_MG_WEIGHT, QV_WEIGHT_MIN, QV_WEIGHT_MAX, false);
static struct kobj_attribute qv_qos_host_limits = __ATTR_RO(host_limits);

static struct attribute *qv_qos_attrs[] = {
	&qv_qos_rx_rate.attr.attr,
	&qv_qos_rx_burst.attr.attr,
	&qv_qos_prio.attr.attr,
	&qv_qos_weight.attr.attr,
	&qv_qos_host_limits.attr,
	NULL,
};
ATTRIBUTE_GROUPS(qv_qos);

static void qv_qos_release(struct kobject *kobj)
{
	kfree(to_qos(kobj));
}

static const struct kobj_type qv_qos_ktype = {
	.release = qv_qos_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = qv_qos_groups,
};

static struct kobject *qv_qos_add(struct qv_pf *pf, unsigned int fn)
{
	struct qv_qos_kobj *q;
	int err;

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return ERR_PTR(-ENOMEM);
	q->pf = pf;
	q->fn = fn;
	if (fn)
		err = kobject_init_and_add(&q->kobj, &qv_qos_ktype, pf->qos_kobj,
					   "vf%u", fn - 1);
	else
		err = kobject_init_and_add(&q->kobj, &qv_qos_ktype, pf->qos_kobj,
					   "pf");
	if (err) {
		kobject_put(&q->kobj);
		return ERR_PTR(err);
	}
	return &q->kobj;
}

int qv_qos_sysfs_init(struct qv_pf *pf)
{
	struct kobject *k;

	pf->qos_kobj = kobject_create_and_add("qos", &pf->pdev->dev.kobj);
	if (!pf->qos_kobj)
		return -ENOMEM;
	k = qv_qos_add(pf, 0);
	if (IS_ERR(k)) {
		kobject_put(pf->qos_kobj);
		pf->qos_kobj = NULL;
		return PTR_ERR(k);
	}
	pf->pf_qos_kobj = k;
	return 0;
}

void qv_qos_sysfs_fini(struct qv_pf *pf)
{
	if (!pf->qos_kobj)
		return;
	kobject_put(pf->pf_qos_kobj);
	kobject_put(pf->qos_kobj);
	pf->pf_qos_kobj = NULL;
	pf->qos_kobj = NULL;
}

int qv_qos_sysfs_vfs_add(struct qv_pf *pf)
{
	struct kobject *k;
	int i;

	for (i = 0; i < pf->num_vfs; i++) {
		k = qv_qos_add(pf, i + 1);
		if (IS_ERR(k)) {
			while (i--) {
				kobject_put(pf->vfs[i].kobj);
				pf->vfs[i].kobj = NULL;
			}
			return PTR_ERR(k);
		}
		pf->vfs[i].kobj = k;
	}
	return 0;
}

void qv_qos_sysfs_vfs_del(struct qv_pf *pf)
{
	int i;

	for (i = 0; i < pf->num_vfs; i++) {
		kobject_put(pf->vfs[i].kobj);
		pf->vfs[i].kobj = NULL;
	}
}
