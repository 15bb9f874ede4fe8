/* guestbench: the reference guest's disk and network benchmarks (busybox
 * has dd and nc but no fio, no iperf, and no clock finer than /proc/uptime).
 * Linked statically and copied into the initramfs by mkguest; run by /init
 * in vmd.mode=bench (bench/blk, bench/net on the host side).
 *
 *   guestbench disk DEV read|write|randread|randwrite BLOCK SECS
 *   guestbench send HOST PORT SECS     TCP: send for SECS, wait for the peer
 *                                      to close, report what it took
 *   guestbench recv PORT               TCP: listen, take one connection,
 *                                      read to EOF, report
 *
 * Each prints one line "VMDBENCH <name> <value> <unit>" on stdout (MB is
 * 10^6 bytes, as dd counts), or "VMDBENCH <name> error <why>" and status 1.
 * Disk I/O is O_DIRECT with one request in flight (queue depth 1): what it
 * measures is the round trip through the virtual device, not the guest's
 * page cache. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define GUESTBENCH_NET_CHUNK (128u << 10)
/* A connection that moves nothing for this long is stuck (it happens to
 * slirp on a starved host): give up with an error, not hang the round. */
#define GUESTBENCH_NET_STALL_SECS 20

static double
guestbench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
guestbench_fail(const char *name, const char *what)
{
	printf("VMDBENCH %s error %s:%s\n", name, what, strerror(errno));
	fflush(stdout);
	return 1;
}

static unsigned long
guestbench_number(const char *s, const char *what)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || !v) {
		fprintf(stderr, "guestbench: %s: want a positive number, got '%s'\n",
			what, s);
		exit(2);
	}
	return v;
}

static int
guestbench_stall_limit(int s)
{
	struct timeval tv = { .tv_sec = GUESTBENCH_NET_STALL_SECS };

	if (setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -1;
	return setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* xorshift64: offsets need to be spread, not unpredictable. */
static uint64_t
guestbench_next_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

static int
guestbench_disk(const char *dev, const char *mode, unsigned long bs,
		unsigned long secs)
{
	bool write = !strcmp(mode, "write") || !strcmp(mode, "randwrite");
	bool random = !strncmp(mode, "rand", 4);
	char name[32];
	uint64_t size, blocks, ops = 0, next = 0, seed = 0x9e3779b97f4a7c15ull;
	double start, end, now;
	void *buf;
	int fd;

	if (strcmp(mode, "read") && strcmp(mode, "write") && !random) {
		fprintf(stderr, "guestbench: disk mode: read, write, randread or randwrite\n");
		return 2;
	}
	snprintf(name, sizeof(name), "%s%s", random ? "rand-" : "seq-",
		 write ? "write" : "read");
	fd = open(dev, (write ? O_RDWR : O_RDONLY) | O_DIRECT);
	if (fd < 0)
		return guestbench_fail(name, dev);
	if (ioctl(fd, BLKGETSIZE64, &size) < 0)
		return guestbench_fail(name, "BLKGETSIZE64");
	blocks = size / bs;
	if (!blocks || posix_memalign(&buf, 4096, bs)) {
		errno = blocks ? ENOMEM : ENOSPC;
		return guestbench_fail(name, "buffer");
	}
	memset(buf, 0xa5, bs);
	start = now = guestbench_now();
	end = start + (double)secs;
	while (now < end) {
		uint64_t blk = random ? guestbench_next_random(&seed) % blocks
				      : next++ % blocks;
		off_t off = (off_t)(blk * bs);
		ssize_t r = write ? pwrite(fd, buf, bs, off)
				  : pread(fd, buf, bs, off);

		if (r != (ssize_t)bs) {
			if (r >= 0)
				errno = EIO;
			return guestbench_fail(name, write ? "pwrite" : "pread");
		}
		ops++;
		/* The clock costs a vDSO call, not an exit: read it each time. */
		now = guestbench_now();
	}
	if (write && fdatasync(fd) < 0)
		return guestbench_fail(name, "fdatasync");
	now = guestbench_now();
	if (random)
		printf("VMDBENCH %s %.0f IOPS\n", name, (double)ops / (now - start));
	else
		printf("VMDBENCH %s %.2f MB/s\n", name,
		       (double)ops * (double)bs / 1e6 / (now - start));
	close(fd);
	free(buf);
	return 0;
}

static int
guestbench_send(const char *host, unsigned long port, unsigned long secs)
{
	static char buf[GUESTBENCH_NET_CHUNK];
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	const char *name = "tcp-guest-to-host";
	uint64_t bytes = 0;
	double start, end;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "guestbench: send: '%s' is not an IPv4 address\n", host);
		return 2;
	}
	if (s < 0 || guestbench_stall_limit(s) < 0 ||
	    connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return guestbench_fail(name, "connect");
	memset(buf, 0x5a, sizeof(buf));
	start = guestbench_now();
	end = start + (double)secs;
	while (guestbench_now() < end) {
		ssize_t r = send(s, buf, sizeof(buf), 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return guestbench_fail(name, "send");
		bytes += (uint64_t)r;
	}
	/* Done when the peer has read everything and closed. */
	shutdown(s, SHUT_WR);
	for (;;) {
		ssize_t r = recv(s, buf, sizeof(buf), 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return guestbench_fail(name, "waiting-for-close");
		if (!r)
			break;
	}
	printf("VMDBENCH %s %.2f MB/s\n", name,
	       (double)bytes / 1e6 / (guestbench_now() - start));
	close(s);
	return 0;
}

static int
guestbench_recv(unsigned long port)
{
	static char buf[GUESTBENCH_NET_CHUNK];
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_ANY) };
	const char *name = "tcp-host-to-guest";
	uint64_t bytes = 0;
	double start = 0;
	int one = 1, c, s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t r;

	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 1) < 0)
		return guestbench_fail(name, "listen");
	printf("VMDBENCH %s listening %lu\n", name, port);
	fflush(stdout);
	c = accept(s, NULL, NULL);
	if (c < 0 || guestbench_stall_limit(c) < 0)
		return guestbench_fail(name, "accept");
	/* The clock starts at the first chunk (not counted): the connect
	 * goes through the forwarder's accept, which is not what is
	 * measured. */
	while ((r = recv(c, buf, sizeof(buf), 0)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return guestbench_fail(name, "recv");
		if (!start) {
			start = guestbench_now();
			continue;
		}
		bytes += (uint64_t)r;
	}
	if (!bytes) {
		errno = ENODATA;
		return guestbench_fail(name, "recv");
	}
	printf("VMDBENCH %s %.2f MB/s\n", name,
	       (double)bytes / 1e6 / (guestbench_now() - start));
	close(c);
	close(s);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "disk"))
		return guestbench_disk(argv[2], argv[3],
				       guestbench_number(argv[4], "BLOCK"),
				       guestbench_number(argv[5], "SECS"));
	if (argc == 5 && !strcmp(argv[1], "send"))
		return guestbench_send(argv[2], guestbench_number(argv[3], "PORT"),
				       guestbench_number(argv[4], "SECS"));
	if (argc == 3 && !strcmp(argv[1], "recv"))
		return guestbench_recv(guestbench_number(argv[2], "PORT"));
	fprintf(stderr,
		"usage: guestbench disk DEV read|write|randread|randwrite BLOCK SECS\n"
		"       guestbench send HOST PORT SECS\n"
		"       guestbench recv PORT\n");
	return 2;
}
