/* The SPICE display of a running domain: which port it gets, where its
 * password goes, and the URI a viewer connects to.
 *
 * The URI is kept in <run_dir>/<name>/display rather than only in memory
 * so that a vmd restarted while the VM runs (reattach) still knows the
 * port autoport picked. The password goes to vmd-vm through a 0600 file,
 * never through argv, which every local user can read in /proc. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "domain.h"
#include "log.h"
#include "vmd.h"

/* libvirt's autoport range starts here too. */
#define DISPLAY_PORT_MIN 5900
#define DISPLAY_PORT_MAX 65535

/* Can a server bind listen:port now? SO_REUSEADDR as spice-server sets
 * it, so a port in TIME_WAIT counts as free, as it is for spice-server. */
static bool
display_port_free(const char *listen, int port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *res, *ai;
	char service[8];
	bool ok = false;

	snprintf(service, sizeof(service), "%d", port);
	if (getaddrinfo(listen, service, &hints, &res))
		return false;
	for (ai = res; ai; ai = ai->ai_next) {
		int one = 1;
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
				ai->ai_protocol);

		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		ok = bind(fd, ai->ai_addr, ai->ai_addrlen) == 0;
		close(fd);
		if (ok)
			break;
	}
	freeaddrinfo(res);
	return ok;
}

/* The port in a running domain's display file, 0 if none. */
static int
display_port_of(const struct vmd_domain *d)
{
	char uri[300], *colon;

	if (display_uri(d, uri, sizeof(uri)))
		return 0;
	colon = strrchr(uri, ':');
	return colon ? atoi(colon + 1) : 0;
}

/* Ports held by the other running domains, read from their display
 * files once per start (not once per candidate port). */
struct display_ports {
	uint8_t bits[(DISPLAY_PORT_MAX + 1) / 8];
};

static void
display_ports_taken(const struct vmd_domain *self, struct display_ports *p)
{
	const struct vmd_domain *d;
	int port;

	memset(p, 0, sizeof(*p));
	for (d = self->vmd->domains; d; d = d->next) {
		if (d == self || !vmd_domain_active(d))
			continue;
		port = display_port_of(d);
		if (port > 0 && port <= DISPLAY_PORT_MAX)
			p->bits[port / 8] |= (uint8_t)(1u << (port % 8));
	}
}

static bool
display_port_in(const struct display_ports *p, int port)
{
	return p->bits[port / 8] & (1u << (port % 8));
}

static int
display_pick_port(const struct vmd_domain *d, const struct display_ports *taken,
		  char *err, size_t errlen)
{
	const struct domain_graphics *g = &d->def->graphics;
	int port;

	for (port = DISPLAY_PORT_MIN; port <= DISPLAY_PORT_MAX; port++)
		if (!display_port_in(taken, port) && display_port_free(g->listen, port))
			return port;
	snprintf(err, errlen, "%s: no free SPICE port on %s from %d up",
		 d->def->name, g->listen, DISPLAY_PORT_MIN);
	return -EADDRINUSE;
}

/* Viewers cannot connect to a wildcard address; say localhost, as virsh
 * domdisplay does. IPv6 literals need brackets in a URI. */
static void
display_format_uri(const char *listen, int port, char *uri, size_t len)
{
	if (!strcmp(listen, "0.0.0.0") || !strcmp(listen, "::"))
		snprintf(uri, len, "spice://localhost:%d", port);
	else if (strchr(listen, ':'))
		snprintf(uri, len, "spice://[%s]:%d", listen, port);
	else
		snprintf(uri, len, "spice://%s:%d", listen, port);
}

static int
display_write_file(const char *path, const char *data, mode_t mode,
		   char *err, size_t errlen)
{
	size_t len = strlen(data);
	int fd, ret = 0;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		ret = -errno;
	if (fd >= 0 && close(fd) && !ret)
		ret = -errno;
	if (ret)
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-ret));
	return ret;
}

int
display_prepare(struct vmd_domain *d, char *opt, size_t optlen, char *err,
		size_t errlen)
{
	const struct domain_graphics *g = &d->def->graphics;
	struct display_ports taken;
	char path[4096], uri[300];
	int port, n, ret;

	opt[0] = '\0';
	if (!g->present)
		return 0;
	display_ports_taken(d, &taken);
	if (g->autoport) {
		port = display_pick_port(d, &taken, err, errlen);
		if (port < 0)
			return port;
	} else {
		port = g->port;
		if (display_port_in(&taken, port)) {
			snprintf(err, errlen, "%s: SPICE port %d is used by another "
				 "running domain", d->def->name, port);
			return -EADDRINUSE;
		}
	}
	n = snprintf(opt, optlen, "port=%d,addr=%s", port, g->listen);
	if (g->passwd) {
		if (supervisor_path(d->vmd, d->def->name, "spice.pass", path,
				    sizeof(path)))
			return -ENAMETOOLONG;
		ret = display_write_file(path, g->passwd, 0600, err, errlen);
		if (ret)
			return ret;
		n += snprintf(opt + n, optlen - (size_t)n, ",password-file=%s", path);
	}
	if (n < 0 || (size_t)n >= optlen) {
		snprintf(err, errlen, "%s: SPICE option too long", d->def->name);
		return -ENAMETOOLONG;
	}
	display_format_uri(g->listen, port, uri, sizeof(uri));
	strcat(uri, "\n");
	if (supervisor_path(d->vmd, d->def->name, "display", path, sizeof(path)))
		return -ENAMETOOLONG;
	return display_write_file(path, uri, 0644, err, errlen);
}

int
display_uri(const struct vmd_domain *d, char *uri, size_t len)
{
	char path[4096];
	ssize_t n;
	int fd;

	if (!d->def->graphics.present || !vmd_domain_active(d))
		return -ENOENT;
	if (supervisor_path(d->vmd, d->def->name, "display", path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, uri, len - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	uri[n] = '\0';
	uri[strcspn(uri, "\n")] = '\0';
	return 0;
}
