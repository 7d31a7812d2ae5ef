/*
 * TEMPORARY scaffold so the skeleton links while the datapath files are
 * written. Each definition here is deleted when its real implementation
 * lands in the file named next to it. Nothing here is a feature.
 */
#include "qemu/osdep.h"
#include "migration/vmstate.h"
#include "qosvnic.h"

/* qosvnic-tx.c */
void qosvnic_tx_kick(QosvnicState *s) { }
void qosvnic_tx_bh(void *opaque) { }
void qosvnic_tx_timer_cb(void *opaque) { }

/* qosvnic-mbx.c */
void qosvnic_mbx_vf_write(QvFunc *f, uint32_t val) { }
void qosvnic_mbx_pf_write(QvFunc *f, uint32_t val) { }
uint32_t qosvnic_mbx_pf_ctrl(QvFunc *f) { return 0; }
