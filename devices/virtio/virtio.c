/* The virtio core and its modern PCI transport (virtio 1.x, 4.1). */
#include "virtio/virtio.h"

#include <errno.h>
#include <event2/event.h>
#include <linux/kvm.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "vm.h"

#define VIRTIO_NO_VECTOR VIRTIO_MSI_NO_VECTOR
#define VIRTIO_ISR_QUEUE  0x1
#define VIRTIO_ISR_CONFIG 0x2
#define VIRTIO_COMMON_LEN 0x40
/* What the core itself offers on top of the device's bits. */
#define VIRTIO_CORE_FEATURES ((1ull << VIRTIO_F_VERSION_1) | \
			      (1ull << VIRTIO_RING_F_EVENT_IDX) | \
			      (1ull << VIRTIO_RING_F_INDIRECT_DESC))

static uint64_t
virtio_offered(const struct virtio_dev *vd)
{
	return vd->ops->features | VIRTIO_CORE_FEATURES;
}

bool
virtio_has_feature(const struct virtio_dev *vd, unsigned bit)
{
	return bit < 64 && (vd->driver_features & (1ull << bit));
}

bool
virtio_dev_ready(const struct virtio_dev *vd)
{
	return (vd->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(vd->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* ---------------------------------------------------------- interrupts --- */

static void
virtio_interrupt(struct virtio_dev *vd, uint16_t vector, uint8_t isr_bit)
{
	vd->interrupts++;
	if (vd->has_pci && pci_msix_enabled(&vd->pci)) {
		if (vector != VIRTIO_NO_VECTOR)
			pci_msix_notify(&vd->pci, vector);
		return;
	}
	vd->isr |= isr_bit;
	if (vd->has_pci)
		pci_intx_set(&vd->pci, true);
}

void
virtio_queue_notify(struct virtio_dev *vd, unsigned q)
{
	if (q < vd->ops->nqueues && virtq_should_notify(&vd->vqs[q]))
		virtio_interrupt(vd, vd->vqs[q].msix_vector, VIRTIO_ISR_QUEUE);
}

void
virtio_config_changed(struct virtio_dev *vd)
{
	vd->config_gen++;
	if (vd->status & VIRTIO_CONFIG_S_DRIVER_OK)
		virtio_interrupt(vd, vd->msix_config, VIRTIO_ISR_CONFIG);
}

void
virtio_dev_fail(struct virtio_dev *vd, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (vd->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!vd->error_logged)
		log_warn("%s: %s: device needs a reset", vd->ops->name, msg);
	vd->error_logged = true;
	vd->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	virtio_config_changed(vd);
}

int
virtio_pop(struct virtio_dev *vd, unsigned q, struct virtq_elem *e)
{
	int ret = virtq_pop(&vd->vqs[q], e);

	if (ret < 0)
		virtio_dev_fail(vd, "queue %u: %s", q, vd->vqs[q].error);
	return ret;
}

/* --------------------------------------------------------------- reset --- */

static void
virtio_reset(struct virtio_dev *vd)
{
	unsigned i;

	if (vd->ops->reset)
		vd->ops->reset(vd);
	for (i = 0; i < vd->ops->nqueues; i++)
		virtq_reset(&vd->vqs[i]);
	vd->status = 0;
	vd->isr = 0;
	vd->dfselect = vd->gfselect = 0;
	vd->driver_features = 0;
	vd->msix_config = VIRTIO_NO_VECTOR;
	vd->queue_sel = 0;
	vd->error_logged = false;
	if (vd->has_pci)
		pci_intx_set(&vd->pci, false);
}

static void
virtio_set_status(struct virtio_dev *vd, uint8_t status)
{
	uint8_t old = vd->status;
	unsigned i;

	if (!status) {
		virtio_reset(vd);
		return;
	}
	/* FEATURES_OK only sticks for a subset of what we offered that
	 * includes VERSION_1: the driver reads it back to know. */
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(old & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    ((vd->driver_features & ~virtio_offered(vd)) ||
	     !virtio_has_feature(vd, VIRTIO_F_VERSION_1)))
		status &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
	vd->status = (uint8_t)(status | (old & VIRTIO_CONFIG_S_NEEDS_RESET));
	if (!(status & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    (old & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	if (!(vd->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		virtio_dev_fail(vd, "DRIVER_OK without FEATURES_OK");
		return;
	}
	for (i = 0; i < vd->ops->nqueues; i++) {
		struct virtq *q = &vd->vqs[i];

		if (!q->enabled)
			continue;
		if (virtq_start(q, vd->vm,
				virtio_has_feature(vd, VIRTIO_RING_F_EVENT_IDX),
				virtio_has_feature(vd, VIRTIO_RING_F_INDIRECT_DESC))) {
			virtio_dev_fail(vd, "queue %u: %s", i, q->error);
			return;
		}
	}
	if (vd->ops->start)
		vd->ops->start(vd);
	/* Buffers the driver queued before DRIVER_OK get served now. */
	for (i = 0; i < vd->ops->nqueues; i++)
		if (vd->vqs[i].enabled && virtio_dev_ready(vd) &&
		    vd->ops->queue_kick)
			vd->ops->queue_kick(vd, i);
}

/* ------------------------------------------------------ common config --- */

static uint32_t
virtio_common_read(struct virtio_dev *vd, uint32_t off)
{
	struct virtq *q = vd->queue_sel < vd->ops->nqueues ?
			  &vd->vqs[vd->queue_sel] : NULL;

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT: return vd->dfselect;
	case VIRTIO_PCI_COMMON_DF:
		return vd->dfselect < 2 ?
		       (uint32_t)(virtio_offered(vd) >> (32 * vd->dfselect)) : 0;
	case VIRTIO_PCI_COMMON_GFSELECT: return vd->gfselect;
	case VIRTIO_PCI_COMMON_GF:
		return vd->gfselect < 2 ?
		       (uint32_t)(vd->driver_features >> (32 * vd->gfselect)) : 0;
	case VIRTIO_PCI_COMMON_MSIX: return vd->msix_config;
	case VIRTIO_PCI_COMMON_NUMQ: return vd->ops->nqueues;
	case VIRTIO_PCI_COMMON_STATUS: return vd->status;
	case VIRTIO_PCI_COMMON_CFGGENERATION: return vd->config_gen;
	case VIRTIO_PCI_COMMON_Q_SELECT: return vd->queue_sel;
	}
	if (!q)
		return 0;
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE: return q->size;
	case VIRTIO_PCI_COMMON_Q_MSIX: return q->msix_vector;
	case VIRTIO_PCI_COMMON_Q_ENABLE: return q->enabled;
	case VIRTIO_PCI_COMMON_Q_NOFF: return vd->queue_sel;
	case VIRTIO_PCI_COMMON_Q_DESCLO: return (uint32_t)q->desc_gpa;
	case VIRTIO_PCI_COMMON_Q_DESCHI: return (uint32_t)(q->desc_gpa >> 32);
	case VIRTIO_PCI_COMMON_Q_AVAILLO: return (uint32_t)q->avail_gpa;
	case VIRTIO_PCI_COMMON_Q_AVAILHI: return (uint32_t)(q->avail_gpa >> 32);
	case VIRTIO_PCI_COMMON_Q_USEDLO: return (uint32_t)q->used_gpa;
	case VIRTIO_PCI_COMMON_Q_USEDHI: return (uint32_t)(q->used_gpa >> 32);
	}
	return 0;
}

static void
virtio_set_lo(uint64_t *v, uint32_t val)
{
	*v = (*v & ~0xffffffffull) | val;
}

static void
virtio_set_hi(uint64_t *v, uint32_t val)
{
	*v = (*v & 0xffffffffull) | (uint64_t)val << 32;
}

static void
virtio_common_write(struct virtio_dev *vd, uint32_t off, uint32_t val)
{
	struct virtq *q = vd->queue_sel < vd->ops->nqueues ?
			  &vd->vqs[vd->queue_sel] : NULL;
	/* Queue layout is frozen once the queue is enabled (4.1.4.3.2). */
	bool frozen = !q || q->enabled;

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT: vd->dfselect = val; return;
	case VIRTIO_PCI_COMMON_GFSELECT: vd->gfselect = val; return;
	case VIRTIO_PCI_COMMON_GF:
		if (vd->gfselect < 2 &&
		    !(vd->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
			if (vd->gfselect)
				virtio_set_hi(&vd->driver_features, val);
			else
				virtio_set_lo(&vd->driver_features, val);
		}
		return;
	case VIRTIO_PCI_COMMON_MSIX:
		vd->msix_config = (uint16_t)val;
		return;
	case VIRTIO_PCI_COMMON_STATUS:
		virtio_set_status(vd, (uint8_t)val);
		return;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		vd->queue_sel = (uint16_t)val;
		return;
	}
	if (!q)
		return;
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_MSIX:
		q->msix_vector = (uint16_t)val;
		return;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (val == 1)
			q->enabled = true;
		return;
	}
	if (frozen)
		return;
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE: q->size = (uint16_t)val; break;
	case VIRTIO_PCI_COMMON_Q_DESCLO: virtio_set_lo(&q->desc_gpa, val); break;
	case VIRTIO_PCI_COMMON_Q_DESCHI: virtio_set_hi(&q->desc_gpa, val); break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO: virtio_set_lo(&q->avail_gpa, val); break;
	case VIRTIO_PCI_COMMON_Q_AVAILHI: virtio_set_hi(&q->avail_gpa, val); break;
	case VIRTIO_PCI_COMMON_Q_USEDLO: virtio_set_lo(&q->used_gpa, val); break;
	case VIRTIO_PCI_COMMON_Q_USEDHI: virtio_set_hi(&q->used_gpa, val); break;
	}
}

/* Width of each common-config field; other widths are ignored. */
static unsigned
virtio_common_width(uint32_t off)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_STATUS:
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		return 1;
	case VIRTIO_PCI_COMMON_MSIX: case VIRTIO_PCI_COMMON_NUMQ:
	case VIRTIO_PCI_COMMON_Q_SELECT: case VIRTIO_PCI_COMMON_Q_SIZE:
	case VIRTIO_PCI_COMMON_Q_MSIX: case VIRTIO_PCI_COMMON_Q_ENABLE:
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return 2;
	default:
		return off < VIRTIO_PCI_COMMON_Q_NDATA && !(off & 3) ? 4 : 0;
	}
}

static void
virtio_common_io(struct virtio_dev *vd, uint32_t off, uint8_t *data,
		 uint32_t len, bool is_write)
{
	uint32_t val = 0;

	if (len == 8 && off >= VIRTIO_PCI_COMMON_Q_DESCLO &&
	    off < VIRTIO_PCI_COMMON_Q_NDATA && !(off & 7)) {
		/* A 64-bit access to a queue address is two halves. */
		virtio_common_io(vd, off, data, 4, is_write);
		virtio_common_io(vd, off + 4, data + 4, 4, is_write);
		return;
	}
	if (virtio_common_width(off) != len) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (is_write) {
		memcpy(&val, data, len);
		virtio_common_write(vd, off, val);
	} else {
		val = virtio_common_read(vd, off);
		memcpy(data, &val, len);
	}
}

/* ------------------------------------------------------------- the BAR --- */

static void
virtio_kick_fd(struct virtio_dev *vd, unsigned q)
{
	uint64_t one = 1;

	if (vd->kick_fd[q] >= 0) {
		if (write(vd->kick_fd[q], &one, sizeof(one)) < 0)
			log_once(LOG_LVL_WARN, "%s: kick: %s", vd->ops->name,
				 strerror(errno));
	} else {
		virtio_dev_kick(vd, q);
	}
}

void
virtio_pci_bar_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
		  bool is_write)
{
	struct virtio_dev *vd = opaque;
	uint8_t cfg[512];

	if (off >= VIRTIO_BAR_NOTIFY) {
		/* Without ioeventfd (or for an odd width) notifies land here. */
		uint64_t q = (off - VIRTIO_BAR_NOTIFY) / VIRTIO_NOTIFY_MULTIPLIER;

		if (!is_write)
			memset(data, 0, len);
		else if (q < vd->ops->nqueues)
			virtio_kick_fd(vd, (unsigned)q);
		return;
	}
	pthread_mutex_lock(&vd->lock);
	if (off < VIRTIO_BAR_COMMON + VIRTIO_COMMON_LEN) {
		virtio_common_io(vd, (uint32_t)off, data, len, is_write);
	} else if (off >= VIRTIO_BAR_ISR && off < VIRTIO_BAR_ISR + 4) {
		/* Reading the ISR acknowledges the interrupt (4.1.4.5). */
		if (!is_write) {
			memset(data, 0, len);
			if (off == VIRTIO_BAR_ISR)
				data[0] = vd->isr;
			vd->isr = 0;
			if (vd->has_pci)
				pci_intx_set(&vd->pci, false);
		}
	} else if (off >= VIRTIO_BAR_DEVICE &&
		   off - VIRTIO_BAR_DEVICE + len <= vd->ops->config_size &&
		   vd->ops->config_size <= sizeof(cfg)) {
		uint32_t o = (uint32_t)(off - VIRTIO_BAR_DEVICE);

		if (is_write) {
			if (vd->ops->set_config)
				vd->ops->set_config(vd, o, data, len);
		} else {
			memset(cfg, 0, sizeof(cfg));
			vd->ops->get_config(vd, cfg);
			memcpy(data, cfg + o, len);
		}
	} else if (!is_write) {
		memset(data, 0, len);
	}
	pthread_mutex_unlock(&vd->lock);
}

/* The notify address moved: the ioeventfds follow it, so a kick is a
 * write to an eventfd inside KVM, not an exit to this process. */
static void
virtio_bar_mapped(struct pci_device *dev, unsigned bar, uint64_t addr,
		  bool mapped)
{
	struct virtio_dev *vd = dev->opaque;
	unsigned q;

	if (bar != 0)
		return;
	for (q = 0; q < vd->ops->nqueues; q++) {
		struct kvm_ioeventfd io = {
			.addr = addr + VIRTIO_BAR_NOTIFY +
				q * VIRTIO_NOTIFY_MULTIPLIER,
			.len = 2,
			.fd = vd->kick_fd[q],
			.flags = mapped ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
		};

		if (vd->kick_fd[q] < 0)
			continue;
		if (ioctl(vd->vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
			log_once(LOG_LVL_INFO,
				 "KVM_IOEVENTFD: %s (virtio kicks go through MMIO exits)",
				 strerror(errno));
	}
	vd->notify_addr = mapped ? addr + VIRTIO_BAR_NOTIFY : 0;
}

static const struct pci_device_ops virtio_pci_ops = {
	.bar_mapped = virtio_bar_mapped,
};

static void
virtio_add_cap(struct pci_device *dev, uint8_t type, uint32_t off,
	       uint32_t len, bool notify)
{
	uint8_t c = pci_device_add_cap(dev, PCI_CAP_ID_VNDR, notify ? 20 : 16);

	if (!c)
		return;
	dev->cfg[c + 2] = notify ? 20 : 16;
	dev->cfg[c + 3] = type;
	dev->cfg[c + 4] = 0; /* BAR0 */
	memcpy(&dev->cfg[c + 8], &off, 4);
	memcpy(&dev->cfg[c + 12], &len, 4);
	if (notify) {
		uint32_t m = VIRTIO_NOTIFY_MULTIPLIER;

		memcpy(&dev->cfg[c + 16], &m, 4);
	}
}

/* ---------------------------------------------------------- I/O thread --- */

void
virtio_dev_kick(struct virtio_dev *vd, unsigned q)
{
	pthread_mutex_lock(&vd->lock);
	vd->kicks++;
	if (q < vd->ops->nqueues && virtio_dev_ready(vd) &&
	    vd->vqs[q].enabled && !vd->vqs[q].broken && vd->ops->queue_kick)
		vd->ops->queue_kick(vd, q);
	pthread_mutex_unlock(&vd->lock);
}

static void
virtio_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct virtio_dev *vd = arg;
	uint64_t n;
	unsigned q;

	(void)what;
	if (read(fd, &n, sizeof(n)) < 0)
		return;
	for (q = 0; q < vd->ops->nqueues; q++)
		if (vd->kick_fd[q] == fd)
			virtio_dev_kick(vd, q);
}

static void *
virtio_thread(void *arg)
{
	struct virtio_dev *vd = arg;
	char name[16];

	snprintf(name, sizeof(name), "%.15s", vd->ops->name);
	pthread_setname_np(pthread_self(), name);
	event_base_loop(vd->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static int
virtio_setup_pci(struct virtio_dev *vd, struct pci *pci)
{
	struct pci_device *dev = &vd->pci;
	unsigned nvec = vd->ops->nqueues + 1;
	int ret;

	pci_device_init(dev, VIRTIO_PCI_VENDOR,
			(uint16_t)(VIRTIO_PCI_DEVICE_BASE + vd->ops->device_id),
			vd->ops->class_code, vd->ops->name);
	dev->cfg[0x08] = 1; /* revision 1: modern */
	pci_device_set_subsystem(dev, VIRTIO_PCI_VENDOR, vd->ops->device_id);
	dev->ops = &virtio_pci_ops;
	dev->opaque = vd;
	ret = pci_device_set_bar(dev, 0, VIRTIO_BAR_SIZE, virtio_pci_bar_io, vd);
	if (ret)
		return ret;
	virtio_add_cap(dev, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_BAR_COMMON,
		       VIRTIO_COMMON_LEN, false);
	virtio_add_cap(dev, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_BAR_ISR, 4, false);
	if (vd->ops->config_size)
		virtio_add_cap(dev, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_BAR_DEVICE,
			       vd->ops->config_size, false);
	virtio_add_cap(dev, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_BAR_NOTIFY,
		       vd->ops->nqueues * VIRTIO_NOTIFY_MULTIPLIER, true);
	ret = pci_msix_init(dev, 1, MIN(nvec, (unsigned)PCI_MSIX_MAX_VECTORS));
	if (ret)
		return ret;
	ret = pci_add_device(pci, dev);
	return ret < 0 ? ret : 0;
}

int
virtio_dev_init(struct virtio_dev *vd, struct vm *vm, struct pci *pci,
		struct event_base *main_base, const struct virtio_dev_ops *ops,
		void *priv)
{
	unsigned q;
	int ret;

	if (!ops->nqueues || ops->nqueues > VIRTIO_MAX_QUEUES ||
	    ops->queue_size > VIRTQ_MAX_SIZE)
		return -EINVAL;
	vd->ops = ops;
	vd->priv = priv;
	vd->vm = vm;
	pthread_mutex_init(&vd->lock, NULL);
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		vd->kick_fd[q] = -1;
		vd->vqs[q].max_size = ops->queue_size;
	}
	virtio_reset(vd);
	if (!pci)
		return 0;
	vd->base = ops->own_thread ? event_base_new() : main_base;
	if (!vd->base)
		return -ENOMEM;
	for (q = 0; q < ops->nqueues; q++) {
		vd->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vd->kick_fd[q] < 0)
			return -errno;
		vd->kick_ev[q] = event_new(vd->base, vd->kick_fd[q],
					   EV_READ | EV_PERSIST, virtio_kick_cb,
					   vd);
		if (!vd->kick_ev[q] || event_add(vd->kick_ev[q], NULL))
			return -ENOMEM;
	}
	ret = virtio_setup_pci(vd, pci);
	if (ret)
		return ret;
	vd->has_pci = true;
	if (ops->own_thread) {
		ret = pthread_create(&vd->thread, NULL, virtio_thread, vd);
		if (ret)
			return -ret;
		vd->thread_started = true;
	}
	return 0;
}

void
virtio_dev_destroy(struct virtio_dev *vd)
{
	unsigned q;

	if (!vd->ops)
		return;
	if (vd->thread_started) {
		event_base_loopbreak(vd->base);
		pthread_join(vd->thread, NULL);
		vd->thread_started = false;
	}
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		if (vd->kick_ev[q])
			event_free(vd->kick_ev[q]);
		vd->kick_ev[q] = NULL;
		if (vd->kick_fd[q] >= 0)
			close(vd->kick_fd[q]);
		vd->kick_fd[q] = -1;
	}
	if (vd->ops->own_thread && vd->base)
		event_base_free(vd->base);
	vd->base = NULL;
	pthread_mutex_destroy(&vd->lock);
}

void
virtio_dev_free(struct virtio_dev *vd)
{
	if (vd && vd->ops && vd->ops->free)
		vd->ops->free(vd);
}
