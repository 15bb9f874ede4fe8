/* User-mode networking for virtio-net: libslirp (a TCP/IP stack in the
 * monitor: DHCP, DNS, NAT to the host's sockets) driven from the monitor's
 * libevent loop. Everything here runs on that loop's thread. */
#ifndef VMD_DEVICES_VIRTIO_SLIRP_H
#define VMD_DEVICES_VIRTIO_SLIRP_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct vm_net_config;
struct net_slirp;

/* Frames slirp sends to the guest (an Ethernet frame, no virtio header). */
typedef void (*net_slirp_rx_fn)(void *opaque, const uint8_t *frame,
				size_t len);

struct net_slirp *net_slirp_create(struct event_base *base,
				   const struct vm_net_config *cfg,
				   net_slirp_rx_fn rx, void *opaque,
				   char *err, unsigned errlen);
/* A frame from the guest. rx may be called before this returns. */
void net_slirp_input(struct net_slirp *s, const uint8_t *frame, size_t len);
void net_slirp_destroy(struct net_slirp *s);

#endif
