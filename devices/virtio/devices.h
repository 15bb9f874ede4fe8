/* The virtio devices vmd-vm offers. Each create() returns a device on the
 * PCI bus (pci NULL: a bare device for tests and fuzzers); tear down with
 * virtio_dev_destroy(), then pci_destroy(), then virtio_dev_free(). */
#ifndef VMD_DEVICES_VIRTIO_DEVICES_H
#define VMD_DEVICES_VIRTIO_DEVICES_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "virtio/virtio.h"

struct vm;
struct pci;
struct event_base;
struct chardev;
struct vm_disk_config;
struct vm_net_config;

struct virtio_dev *virtio_rng_create(struct vm *vm, struct pci *pci,
				     struct event_base *base, char *err,
				     unsigned errlen);
struct virtio_dev *virtio_blk_create(struct vm *vm, struct pci *pci,
				     const struct vm_disk_config *cfg,
				     char *err, unsigned errlen);
struct virtio_dev *virtio_console_create(struct vm *vm, struct pci *pci,
					 struct event_base *base,
					 struct chardev *cd, char *err,
					 unsigned errlen);
struct virtio_dev *virtio_net_create(struct vm *vm, struct pci *pci,
				     struct event_base *base,
				     const struct vm_net_config *cfg,
				     char *err, unsigned errlen);
struct virtio_dev *virtio_balloon_create(struct vm *vm, struct pci *pci,
					 struct event_base *base, char *err,
					 unsigned errlen);
/* Control socket: new target (MiB of guest RAM to take away is
 * ram - target), and the guest's last statistics. Main thread. */
int virtio_balloon_set_target(struct virtio_dev *vd, uint64_t target_mib);
struct json_object;
struct json_object *virtio_balloon_stats(struct virtio_dev *vd);

#endif
