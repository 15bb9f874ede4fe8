/* virtio-blk (virtio 1.x, 5.2) on a raw image file. Requests run on the
 * device's own I/O thread: a slow disk stalls nobody else. */
#include "virtio/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "options.h"
#include "util.h"

#define VIRTIO_BLK_QUEUE_SIZE 256
#define VIRTIO_BLK_SECTOR 512ull
#define VIRTIO_BLK_HDR_LEN 16
#define VIRTIO_BLK_MAX_DISCARD_SEG 32
#define VIRTIO_BLK_MAX_DISCARD_SECTORS (1u << 22) /* 2 GiB per segment */
#define VIRTIO_BLK_ZERO_CHUNK (64u << 10)

struct virtio_blk {
	struct virtio_dev vd;
	int fd;
	bool readonly;
	bool direct; /* cache=none: fd is O_DIRECT, buffered_fd serves odd I/O */
	int buffered_fd;
	uint64_t sectors;
	char serial[VIRTIO_BLK_ID_BYTES];
	char path[64]; /* tail of the path, for logs */
	struct virtq_elem elem;
	struct iovec scratch[VIRTQ_MAX_SEGS];
	uint64_t reads, writes, flushes, discards, errors;
};

struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t ioprio;
	uint64_t sector;
};

static void
virtio_blk_get_config(struct virtio_dev *vd, uint8_t *out)
{
	struct virtio_blk *blk = vd->priv;
	struct virtio_blk_config c;

	memset(&c, 0, sizeof(c));
	c.capacity = blk->sectors;
	c.seg_max = VIRTIO_BLK_QUEUE_SIZE - 2;
	c.blk_size = VIRTIO_BLK_SECTOR;
	c.num_queues = 1;
	c.max_discard_sectors = VIRTIO_BLK_MAX_DISCARD_SECTORS;
	c.max_discard_seg = VIRTIO_BLK_MAX_DISCARD_SEG;
	c.discard_sector_alignment = 8; /* 4 KiB: what a hole can be */
	c.max_write_zeroes_sectors = VIRTIO_BLK_MAX_DISCARD_SECTORS;
	c.max_write_zeroes_seg = VIRTIO_BLK_MAX_DISCARD_SEG;
	c.write_zeroes_may_unmap = 1;
	memcpy(out, &c, sizeof(c));
}

/* Checks [sector, sector + len bytes) against the disk. */
static bool
virtio_blk_in_range(const struct virtio_blk *blk, uint64_t sector,
		    uint64_t len)
{
	return !(len % VIRTIO_BLK_SECTOR) && sector <= blk->sectors &&
	       len / VIRTIO_BLK_SECTOR <= blk->sectors - sector;
}

/* Copies iov, skipping skip bytes at the front and keeping len bytes. */
static unsigned
virtio_blk_trim(struct virtio_blk *blk, const struct iovec *iov, unsigned n,
		uint64_t skip, uint64_t len)
{
	unsigned i, out = 0;

	for (i = 0; i < n && len; i++) {
		uint64_t l = iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		blk->scratch[out].iov_base = (uint8_t *)iov[i].iov_base + skip;
		blk->scratch[out].iov_len = MIN(l - skip, len);
		len -= blk->scratch[out].iov_len;
		skip = 0;
		out++;
	}
	return out;
}

/* preadv/pwritev until done; a read past the end of the file gives
 * zeroes (the image may have shrunk under us). */
static int
virtio_blk_rw(struct virtio_blk *blk, unsigned n, uint64_t off, bool write)
{
	struct iovec *iov = blk->scratch;
	int fd = blk->fd;

	while (n) {
		ssize_t r = write ? pwritev(fd, iov, (int)MIN(n, 1024u), (off_t)off)
				  : preadv(fd, iov, (int)MIN(n, 1024u), (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EINVAL && fd != blk->buffered_fd &&
		    blk->direct) {
			/* O_DIRECT wants aligned buffers; the guest's are not. */
			fd = blk->buffered_fd;
			continue;
		}
		if (r < 0)
			return -errno;
		if (r == 0) {
			if (write)
				return -EIO;
			for (; n; n--, iov++)
				memset(iov->iov_base, 0, iov->iov_len);
			break;
		}
		off += (uint64_t)r;
		while (n && (uint64_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	if (write && fd != blk->fd && fdatasync(fd) < 0)
		return -errno;
	return 0;
}

static int
virtio_blk_write_zeroes(struct virtio_blk *blk, uint64_t off, uint64_t len)
{
	static const uint8_t zero[VIRTIO_BLK_ZERO_CHUNK];

	while (len) {
		size_t c = (size_t)MIN(len, sizeof(zero));
		ssize_t r = pwrite(blk->buffered_fd, zero, c, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		off += (uint64_t)r;
		len -= (uint64_t)r;
	}
	return 0;
}

/* DISCARD and WRITE_ZEROES: a list of {sector, num_sectors, flags}. A
 * punched hole reads back as zeroes, so both become holes; a file system
 * without holes gets real zeroes for WRITE_ZEROES and nothing for
 * DISCARD (a hint). */
static uint8_t
virtio_blk_discard(struct virtio_blk *blk, const struct virtq_elem *e,
		   bool zeroes)
{
	struct virtio_blk_discard_write_zeroes seg;
	uint64_t payload = e->out_len - VIRTIO_BLK_HDR_LEN, off;
	unsigned i, n = (unsigned)(payload / sizeof(seg));

	if (blk->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (payload % sizeof(seg) || !n || n > VIRTIO_BLK_MAX_DISCARD_SEG)
		return VIRTIO_BLK_S_UNSUPP;
	for (i = 0; i < n; i++) {
		uint64_t len;

		off = VIRTIO_BLK_HDR_LEN + i * sizeof(seg);
		virtq_iov_read(e->iov, e->nout, off, &seg, sizeof(seg));
		len = (uint64_t)seg.num_sectors * VIRTIO_BLK_SECTOR;
		if (seg.num_sectors > VIRTIO_BLK_MAX_DISCARD_SECTORS ||
		    !virtio_blk_in_range(blk, seg.sector, len) ||
		    (seg.flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))
			return VIRTIO_BLK_S_UNSUPP;
		if (!len)
			continue;
		if (!fallocate(blk->buffered_fd,
			       FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       (off_t)(seg.sector * VIRTIO_BLK_SECTOR), (off_t)len))
			continue;
		if (zeroes && virtio_blk_write_zeroes(blk,
				seg.sector * VIRTIO_BLK_SECTOR, len))
			return VIRTIO_BLK_S_IOERR;
	}
	blk->discards++;
	return VIRTIO_BLK_S_OK;
}

/* One request; returns the bytes written into the in-buffers (data and
 * status). */
static uint32_t
virtio_blk_request(struct virtio_blk *blk, const struct virtq_elem *e)
{
	struct virtio_blk_req_hdr h;
	uint64_t data_len = 0;
	uint8_t status = VIRTIO_BLK_S_OK;
	unsigned n;
	int r = 0;

	if (e->out_len < VIRTIO_BLK_HDR_LEN) {
		status = VIRTIO_BLK_S_IOERR;
		goto done;
	}
	virtq_iov_read(e->iov, e->nout, 0, &h, sizeof(h));
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
		data_len = e->in_len - 1;
		if (!virtio_blk_in_range(blk, h.sector, data_len)) {
			data_len = 0;
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		n = virtio_blk_trim(blk, e->iov + e->nout, e->nin, 0, data_len);
		r = virtio_blk_rw(blk, n, h.sector * VIRTIO_BLK_SECTOR, false);
		blk->reads++;
		break;
	case VIRTIO_BLK_T_OUT:
		data_len = e->out_len - VIRTIO_BLK_HDR_LEN;
		if (blk->readonly ||
		    !virtio_blk_in_range(blk, h.sector, data_len)) {
			status = VIRTIO_BLK_S_IOERR;
			data_len = 0;
			break;
		}
		n = virtio_blk_trim(blk, e->iov, e->nout, VIRTIO_BLK_HDR_LEN,
				    data_len);
		r = virtio_blk_rw(blk, n, h.sector * VIRTIO_BLK_SECTOR, true);
		data_len = 0; /* nothing written into the in-buffers */
		blk->writes++;
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (!blk->readonly && fdatasync(blk->fd) < 0)
			r = -errno;
		blk->flushes++;
		break;
	case VIRTIO_BLK_T_GET_ID:
		data_len = MIN(e->in_len - 1, (uint64_t)VIRTIO_BLK_ID_BYTES);
		virtq_iov_write(e->iov + e->nout, e->nin, 0, blk->serial,
				data_len);
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		status = virtio_blk_discard(blk, e,
					    h.type == VIRTIO_BLK_T_WRITE_ZEROES);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
	}
	if (r) {
		log_once(LOG_LVL_WARN, "virtio-blk %s: I/O error: %s", blk->path,
			 strerror(-r));
		status = VIRTIO_BLK_S_IOERR;
	}
done:
	if (status != VIRTIO_BLK_S_OK)
		blk->errors++;
	/* The status is the last byte the device may write. */
	virtq_iov_write(e->iov + e->nout, e->nin, e->in_len - 1, &status, 1);
	return (uint32_t)(data_len + 1);
}

static void
virtio_blk_kick(struct virtio_dev *vd, unsigned q)
{
	struct virtio_blk *blk = vd->priv;
	struct virtq_elem *e = &blk->elem;
	int r;

	for (;;) {
		r = virtio_pop(vd, q, e);
		if (r == 0 && virtq_arm(&vd->vqs[q]))
			continue;
		if (r <= 0)
			break;
		if (!e->in_len) {
			virtio_dev_fail(vd, "request without a status byte");
			break;
		}
		virtq_push(&vd->vqs[q], e, virtio_blk_request(blk, e));
		/* Requests are slow: complete each as it is done rather
		 * than hold finished ones until the queue is empty. */
		virtio_queue_notify(vd, q);
	}
}

static void
virtio_blk_free(struct virtio_dev *vd)
{
	struct virtio_blk *blk = vd->priv;

	if (blk->buffered_fd >= 0 && blk->buffered_fd != blk->fd)
		close(blk->buffered_fd);
	if (blk->fd >= 0)
		close(blk->fd);
	free(blk);
}

#define VIRTIO_BLK_FEATURES ((1ull << VIRTIO_BLK_F_SEG_MAX) | \
			     (1ull << VIRTIO_BLK_F_BLK_SIZE) | \
			     (1ull << VIRTIO_BLK_F_FLUSH))
#define VIRTIO_BLK_OPS(feat) {					\
	.name = "virtio-blk",					\
	.device_id = VIRTIO_ID_BLOCK,				\
	.class_code = 0x018000, /* mass storage, other */	\
	.nqueues = 1,						\
	.queue_size = VIRTIO_BLK_QUEUE_SIZE,			\
	.features = VIRTIO_BLK_FEATURES | (feat),		\
	.config_size = sizeof(struct virtio_blk_config),	\
	.own_thread = true,					\
	.get_config = virtio_blk_get_config,			\
	.queue_kick = virtio_blk_kick,				\
	.free = virtio_blk_free,				\
}

/* Read-write disks discard; read-only ones say so (and refuse writes). */
static const struct virtio_dev_ops virtio_blk_ops[2] = {
	VIRTIO_BLK_OPS((1ull << VIRTIO_BLK_F_DISCARD) |
		       (1ull << VIRTIO_BLK_F_WRITE_ZEROES)),
	VIRTIO_BLK_OPS(1ull << VIRTIO_BLK_F_RO),
};

static int
virtio_blk_open(struct virtio_blk *blk, const struct vm_disk_config *cfg,
		char *err, unsigned errlen)
{
	int flags = (cfg->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct flock lk = { .l_type = cfg->readonly ? F_RDLCK : F_WRLCK,
			    .l_whence = SEEK_SET };
	struct stat st;

	blk->fd = open(cfg->path, flags | (blk->direct ? O_DIRECT : 0));
	if (blk->fd < 0 && blk->direct && errno == EINVAL) {
		log_warn("--disk %s: no O_DIRECT here, cache=none acts as writeback",
			 cfg->path);
		blk->direct = false;
		blk->fd = open(cfg->path, flags);
	}
	if (blk->fd < 0) {
		snprintf(err, errlen, "--disk %s: %s", cfg->path, strerror(errno));
		return -errno;
	}
	blk->buffered_fd = blk->direct ? open(cfg->path, flags) : blk->fd;
	if (blk->buffered_fd < 0 || fstat(blk->fd, &st) < 0) {
		snprintf(err, errlen, "--disk %s: %s", cfg->path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(err, errlen, "--disk %s: not a file or block device",
			 cfg->path);
		return -EINVAL;
	}
	/* Two monitors writing one image corrupt it: refuse, as QEMU does. */
	if (fcntl(blk->fd, F_OFD_SETLK, &lk) < 0) {
		snprintf(err, errlen, "--disk %s: in use by another process (%s)",
			 cfg->path, strerror(errno));
		return -EBUSY;
	}
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(blk->fd, 0, SEEK_END);

		st.st_size = end < 0 ? 0 : end;
	}
	blk->sectors = (uint64_t)st.st_size / VIRTIO_BLK_SECTOR;
	return 0;
}

struct virtio_dev *
virtio_blk_create(struct vm *vm, struct pci *pci,
		  const struct vm_disk_config *cfg, char *err, unsigned errlen)
{
	struct virtio_blk *blk = calloc(1, sizeof(*blk));
	const char *tail;
	int ret;

	if (!blk) {
		snprintf(err, errlen, "virtio-blk: %s", strerror(ENOMEM));
		return NULL;
	}
	blk->vd.priv = blk;
	blk->fd = blk->buffered_fd = -1;
	blk->readonly = cfg->readonly;
	blk->direct = cfg->cache == VM_DISK_CACHE_NONE;
	tail = strlen(cfg->path) > sizeof(blk->path) - 1 ?
	       cfg->path + strlen(cfg->path) - (sizeof(blk->path) - 1) :
	       cfg->path;
	util_strlcpy(blk->path, tail, sizeof(blk->path));
	memcpy(blk->serial, cfg->serial, strnlen(cfg->serial, sizeof(blk->serial)));
	if (cfg->path[0]) {
		ret = virtio_blk_open(blk, cfg, err, errlen);
		if (ret) {
			virtio_blk_free(&blk->vd);
			return NULL;
		}
	}
	ret = virtio_dev_init(&blk->vd, vm, pci, NULL,
			      &virtio_blk_ops[cfg->readonly], blk);
	if (ret) {
		snprintf(err, errlen, "virtio-blk %s: %s", cfg->path,
			 strerror(-ret));
		virtio_dev_destroy(&blk->vd);
		virtio_blk_free(&blk->vd);
		return NULL;
	}
	return &blk->vd;
}
