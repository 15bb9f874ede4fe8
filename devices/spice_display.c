/* SPICE "simple display" over the Bochs VGA framebuffer.
 *
 * Threads: the main (I/O) thread owns everything below except the update
 * queue, which libspice's display worker drains through get_command() and
 * frees through release_resource(). The comparison runs on the main
 * thread, on a libevent timer, not in the worker: surface create/destroy
 * are synchronous requests to the worker (they would deadlock there), the
 * mode and the client count are known on the main thread, and the vCPU
 * threads never take part (they write the framebuffer as plain memory).
 *
 * What the server has been sent is kept in a shadow copy; each tick
 * compares the framebuffer with it tile by tile and sends the changed
 * tiles, merged into rectangles, as QXL_DRAW_COPY of a bitmap taken from
 * the shadow (so what was sent and what is compared against never
 * differ, however the guest races with us). 30 times a second while a
 * display client is connected; once a second otherwise, which keeps the
 * server's copy of the screen (what a new client gets first) recent. */
#include "spice_display.h"

#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bochs_vga.h"
#include "log.h"
/* MIN and MAX come with <spice.h> (util.h's would clash with them). */

#define SPICE_DISPLAY_TILE      64
#define SPICE_DISPLAY_ACTIVE_MS 33
#define SPICE_DISPLAY_IDLE_MS   1000
/* Updates the worker has not taken yet: past this many, or this many
 * bytes of pixels, the client (or the worker) is behind, and comparing
 * again would only queue more. The changes wait in the framebuffer. */
#define SPICE_DISPLAY_MAX_QUEUED 64
#define SPICE_DISPLAY_MAX_QUEUED_BYTES (16u << 20)
/* More rectangles than this in one tick: send their bounding box. */
#define SPICE_DISPLAY_MAX_RECTS  32
/* Shown while the guest has no mode we can display. */
#define SPICE_DISPLAY_BLANK_W 640
#define SPICE_DISPLAY_BLANK_H 480

#define SPICE_DISPLAY_MEMSLOT_GROUP 0
#define SPICE_DISPLAY_SURFACE 0

/* One draw: the QXL structures libspice reads, and the pixels. Freed by
 * release_resource(), whose release_info.id points back here. */
struct spice_update {
	struct spice_update *next;
	size_t bytes;
	QXLDrawable drawable;
	QXLImage image;
	QXLCommandExt ext;
	uint8_t bitmap[];
};

struct spice_display {
	QXLInstance qxl;
	SpiceServer *server;
	struct bochs_vga *vga;
	struct event *tick;
	unsigned clients;
	bool full;

	bool have_primary;
	bool showing; /* the guest's mode, not the blank screen */
	uint32_t width, height;
	uint8_t *surface_mem; /* libspice's canvas of the primary surface */
	uint8_t *shadow;      /* width x height xRGB: what was sent */
	uint8_t *dirty;       /* one byte per tile */
	uint32_t image_id;

	pthread_mutex_t lock; /* the queue, shared with the worker */
	struct spice_update *head, **tail;
	unsigned queued;
	size_t queued_bytes;
};

static struct spice_display *
spice_display_of(QXLInstance *qin)
{
	return (struct spice_display *)((char *)qin -
					offsetof(struct spice_display, qxl));
}

/* ------------------------------------------------- worker callbacks --- */

static void
spice_display_attached_worker(QXLInstance *qin)
{
	(void)qin;
}

static void
spice_display_set_compression_level(QXLInstance *qin, int level)
{
	(void)qin;
	(void)level;
}

static void
spice_display_get_init_info(QXLInstance *qin, QXLDevInitInfo *info)
{
	(void)qin;
	memset(info, 0, sizeof(*info));
	/* One memory slot spanning the process: QXL addresses are plain
	 * pointers into our memory. */
	info->num_memslots_groups = 1;
	info->num_memslots = 1;
	info->memslot_gen_bits = 8;
	info->memslot_id_bits = 8;
	info->internal_groupslot_id = 0;
	info->qxl_ram_size = BOCHS_VGA_VRAM_SIZE;
	info->n_surfaces = 1;
}

static int
spice_display_get_command(QXLInstance *qin, struct QXLCommandExt *ext)
{
	struct spice_display *d = spice_display_of(qin);
	struct spice_update *u;

	pthread_mutex_lock(&d->lock);
	u = d->head;
	if (u) {
		d->head = u->next;
		if (!d->head)
			d->tail = &d->head;
		d->queued--;
		d->queued_bytes -= u->bytes;
		*ext = u->ext;
	}
	pthread_mutex_unlock(&d->lock);
	return u != NULL;
}

/* 1: nothing queued, wake me (spice_qxl_wakeup) when there is. */
static int
spice_display_req_cmd_notification(QXLInstance *qin)
{
	struct spice_display *d = spice_display_of(qin);
	int empty;

	pthread_mutex_lock(&d->lock);
	empty = d->head == NULL;
	pthread_mutex_unlock(&d->lock);
	return empty;
}

static void
spice_display_release_resource(QXLInstance *qin, struct QXLReleaseInfoExt ext)
{
	(void)qin;
	free((void *)(uintptr_t)ext.info->id);
}

static int
spice_display_get_cursor_command(QXLInstance *qin, struct QXLCommandExt *ext)
{
	(void)qin;
	(void)ext;
	return 0;
}

static int
spice_display_req_cursor_notification(QXLInstance *qin)
{
	(void)qin;
	return 1;
}

static void
spice_display_notify_update(QXLInstance *qin, uint32_t update_id)
{
	(void)qin;
	(void)update_id;
}

static int
spice_display_flush_resources(QXLInstance *qin)
{
	(void)qin;
	return 0;
}

static void
spice_display_async_complete(QXLInstance *qin, uint64_t cookie)
{
	(void)qin;
	(void)cookie;
}

static void
spice_display_update_area_complete(QXLInstance *qin, uint32_t surface_id,
				   struct QXLRect *rects, uint32_t n)
{
	(void)qin;
	(void)surface_id;
	(void)rects;
	(void)n;
}

static void
spice_display_set_client_capabilities(QXLInstance *qin, uint8_t present,
				      uint8_t caps[SPICE_CAPABILITIES_SIZE])
{
	(void)qin;
	(void)present;
	(void)caps;
}

static int
spice_display_client_monitors_config(QXLInstance *qin,
				     VDAgentMonitorsConfig *mc)
{
	(void)qin;
	(void)mc;
	return 0; /* one fixed monitor: the guest picks its mode */
}

static const QXLInterface spice_display_iface = {
	.base = {
		.type = SPICE_INTERFACE_QXL,
		.description = "vmd-vm bochs framebuffer",
		.major_version = SPICE_INTERFACE_QXL_MAJOR,
		.minor_version = SPICE_INTERFACE_QXL_MINOR,
	},
	.attached_worker = spice_display_attached_worker,
	.set_compression_level = spice_display_set_compression_level,
	.get_init_info = spice_display_get_init_info,
	.get_command = spice_display_get_command,
	.req_cmd_notification = spice_display_req_cmd_notification,
	.release_resource = spice_display_release_resource,
	.get_cursor_command = spice_display_get_cursor_command,
	.req_cursor_notification = spice_display_req_cursor_notification,
	.notify_update = spice_display_notify_update,
	.flush_resources = spice_display_flush_resources,
	.async_complete = spice_display_async_complete,
	.update_area_complete = spice_display_update_area_complete,
	.set_client_capabilities = spice_display_set_client_capabilities,
	.client_monitors_config = spice_display_client_monitors_config,
};

/* ------------------------------------------------------ main thread --- */

static void
spice_display_drop_queued(struct spice_display *d)
{
	struct spice_update *u, *next;

	pthread_mutex_lock(&d->lock);
	for (u = d->head; u; u = next) {
		next = u->next;
		free(u);
	}
	d->head = NULL;
	d->tail = &d->head;
	d->queued = 0;
	d->queued_bytes = 0;
	pthread_mutex_unlock(&d->lock);
}

/* A new primary surface of w x h (the old one goes, with the draws not
 * taken yet: they were for the old size). */
static int
spice_display_set_surface(struct spice_display *d, uint32_t w, uint32_t h)
{
	QXLDevSurfaceCreate s = { 0 };
	uint32_t tiles = ((w + SPICE_DISPLAY_TILE - 1) / SPICE_DISPLAY_TILE) *
			 ((h + SPICE_DISPLAY_TILE - 1) / SPICE_DISPLAY_TILE);
	size_t bytes = (size_t)w * h * 4;
	uint8_t *mem, *shadow, *dirty;

	mem = calloc(1, bytes);
	shadow = calloc(1, bytes);
	dirty = calloc(1, tiles);
	if (!mem || !shadow || !dirty) {
		free(mem);
		free(shadow);
		free(dirty);
		log_once(LOG_LVL_WARN, "spice: no memory for a %ux%u screen", w, h);
		return -ENOMEM;
	}
	spice_display_drop_queued(d);
	if (d->have_primary)
		spice_qxl_destroy_primary_surface(&d->qxl, SPICE_DISPLAY_SURFACE);
	free(d->surface_mem);
	free(d->shadow);
	free(d->dirty);
	d->surface_mem = mem;
	d->shadow = shadow;
	d->dirty = dirty;
	d->width = w;
	d->height = h;

	s.width = w;
	s.height = h;
	/* Negative stride: libspice's convention for a top-down canvas in
	 * memory it draws into itself. */
	s.stride = -(int32_t)(w * 4);
	s.format = SPICE_SURFACE_FMT_32_xRGB;
	s.mouse_mode = 1;
	s.mem = (uintptr_t)mem;
	s.group_id = SPICE_DISPLAY_MEMSLOT_GROUP;
	spice_qxl_create_primary_surface(&d->qxl, SPICE_DISPLAY_SURFACE, &s);
	d->have_primary = true;
	d->full = true;
	return 0;
}

/* Queues the shadow's rectangle [x0,x1) x [y0,y1) as one image draw. */
static void
spice_display_queue_rect(struct spice_display *d, uint32_t x0, uint32_t y0,
			 uint32_t x1, uint32_t y1)
{
	uint32_t bw = x1 - x0, bh = y1 - y0, y;
	struct spice_update *u;
	QXLDrawable *dr;
	QXLImage *img;

	u = calloc(1, sizeof(*u) + (size_t)bw * bh * 4);
	if (u)
		u->bytes = (size_t)bw * bh * 4;
	if (!u) {
		log_once(LOG_LVL_WARN, "spice: no memory for a screen update");
		d->full = true;
		return;
	}
	for (y = 0; y < bh; y++)
		memcpy(u->bitmap + (size_t)y * bw * 4,
		       d->shadow + ((size_t)(y0 + y) * d->width + x0) * 4,
		       (size_t)bw * 4);

	dr = &u->drawable;
	dr->release_info.id = (uintptr_t)u;
	dr->surface_id = SPICE_DISPLAY_SURFACE;
	dr->effect = QXL_EFFECT_OPAQUE;
	dr->type = QXL_DRAW_COPY;
	dr->bbox.left = (int32_t)x0;
	dr->bbox.top = (int32_t)y0;
	dr->bbox.right = (int32_t)x1;
	dr->bbox.bottom = (int32_t)y1;
	dr->clip.type = SPICE_CLIP_TYPE_NONE;
	dr->surfaces_dest[0] = dr->surfaces_dest[1] = dr->surfaces_dest[2] = -1;
	dr->u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
	dr->u.copy.src_bitmap = (uintptr_t)&u->image;
	dr->u.copy.src_area.right = (int32_t)bw;
	dr->u.copy.src_area.bottom = (int32_t)bh;

	img = &u->image;
	QXL_SET_IMAGE_ID(img, QXL_IMAGE_GROUP_DEVICE, d->image_id);
	d->image_id++;
	img->descriptor.type = SPICE_IMAGE_TYPE_BITMAP;
	img->descriptor.width = bw;
	img->descriptor.height = bh;
	img->bitmap.flags = QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN;
	img->bitmap.format = SPICE_BITMAP_FMT_32BIT;
	img->bitmap.x = bw;
	img->bitmap.y = bh;
	img->bitmap.stride = bw * 4;
	img->bitmap.data = (uintptr_t)u->bitmap;

	u->ext.cmd.type = QXL_CMD_DRAW;
	u->ext.cmd.data = (uintptr_t)dr;
	u->ext.group_id = SPICE_DISPLAY_MEMSLOT_GROUP;

	pthread_mutex_lock(&d->lock);
	*d->tail = u;
	d->tail = &u->next;
	d->queued++;
	d->queued_bytes += u->bytes;
	pthread_mutex_unlock(&d->lock);
}

/* Marks the tiles whose pixels differ from the shadow and brings the
 * shadow up to date for them. Returns how many changed. */
static unsigned
spice_display_compare(struct spice_display *d, const uint8_t *fb,
		      uint32_t stride, unsigned tw, unsigned th)
{
	unsigned tx, ty, n = 0;
	uint32_t x0, y0, w, h, y;

	for (ty = 0; ty < th; ty++) {
		for (tx = 0; tx < tw; tx++) {
			bool diff = d->full;

			x0 = tx * SPICE_DISPLAY_TILE;
			y0 = ty * SPICE_DISPLAY_TILE;
			w = MIN(SPICE_DISPLAY_TILE, d->width - x0);
			h = MIN(SPICE_DISPLAY_TILE, d->height - y0);
			for (y = y0; !diff && y < y0 + h; y++)
				diff = memcmp(fb + (size_t)y * stride + x0 * 4,
					      d->shadow + ((size_t)y * d->width + x0) * 4,
					      (size_t)w * 4) != 0;
			d->dirty[ty * tw + tx] = diff;
			if (!diff)
				continue;
			n++;
			for (y = y0; y < y0 + h; y++)
				memcpy(d->shadow + ((size_t)y * d->width + x0) * 4,
				       fb + (size_t)y * stride + x0 * 4,
				       (size_t)w * 4);
		}
	}
	return n;
}

/* Covers the dirty tiles with rectangles, greedily: a run to the right,
 * then as far down as the whole run stays dirty. */
static void
spice_display_send_dirty(struct spice_display *d, unsigned tw, unsigned th)
{
	struct { unsigned x0, y0, x1, y1; } r[SPICE_DISPLAY_MAX_RECTS];
	unsigned n = 0, tx, ty, x, y, i;
	unsigned bx0 = tw, by0 = th, bx1 = 0, by1 = 0;
	bool overflow = false;

	for (ty = 0; ty < th; ty++) {
		for (tx = 0; tx < tw; tx++) {
			unsigned x1, y1;
			bool whole;

			if (d->dirty[ty * tw + tx] != 1)
				continue;
			for (x1 = tx + 1; x1 < tw && d->dirty[ty * tw + x1] == 1; x1++)
				;
			for (y1 = ty + 1; y1 < th; y1++) {
				whole = true;
				for (x = tx; whole && x < x1; x++)
					whole = d->dirty[y1 * tw + x] == 1;
				if (!whole)
					break;
			}
			for (y = ty; y < y1; y++)
				for (x = tx; x < x1; x++)
					d->dirty[y * tw + x] = 2; /* covered */
			bx0 = MIN(bx0, tx);
			by0 = MIN(by0, ty);
			bx1 = MAX(bx1, x1);
			by1 = MAX(by1, y1);
			if (n == SPICE_DISPLAY_MAX_RECTS) {
				overflow = true;
				continue;
			}
			r[n].x0 = tx;
			r[n].y0 = ty;
			r[n].x1 = x1;
			r[n].y1 = y1;
			n++;
		}
	}
	if (overflow) {
		r[0].x0 = bx0;
		r[0].y0 = by0;
		r[0].x1 = bx1;
		r[0].y1 = by1;
		n = 1;
	}
	for (i = 0; i < n; i++)
		spice_display_queue_rect(d, r[i].x0 * SPICE_DISPLAY_TILE,
			r[i].y0 * SPICE_DISPLAY_TILE,
			MIN(r[i].x1 * SPICE_DISPLAY_TILE, d->width),
			MIN(r[i].y1 * SPICE_DISPLAY_TILE, d->height));
}

static void
spice_display_schedule(struct spice_display *d)
{
	uint32_t ms = d->clients ? SPICE_DISPLAY_ACTIVE_MS : SPICE_DISPLAY_IDLE_MS;
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };

	evtimer_add(d->tick, &tv);
}

static void
spice_display_refresh(struct spice_display *d)
{
	struct bochs_vga_mode m;
	bool show;
	unsigned tw, th;
	bool behind;

	/* Only 32 bpp xRGB, what Linux's bochs driver sets up, is shown. */
	show = bochs_vga_get_mode(d->vga, &m) && m.bpp == 32;
	if (show && (!d->have_primary || !d->showing || m.width != d->width ||
		     m.height != d->height)) {
		if (spice_display_set_surface(d, m.width, m.height))
			return;
		log_info("spice: display %ux%u", m.width, m.height);
		d->showing = true;
	} else if (!show && (!d->have_primary || d->showing)) {
		if (spice_display_set_surface(d, SPICE_DISPLAY_BLANK_W,
					      SPICE_DISPLAY_BLANK_H))
			return;
		d->showing = false;
	}
	if (!show)
		return;
	pthread_mutex_lock(&d->lock);
	behind = d->queued >= SPICE_DISPLAY_MAX_QUEUED ||
		 d->queued_bytes >= SPICE_DISPLAY_MAX_QUEUED_BYTES;
	pthread_mutex_unlock(&d->lock);
	if (behind)
		return; /* compare again next tick */

	tw = (d->width + SPICE_DISPLAY_TILE - 1) / SPICE_DISPLAY_TILE;
	th = (d->height + SPICE_DISPLAY_TILE - 1) / SPICE_DISPLAY_TILE;
	if (!spice_display_compare(d, bochs_vga_vram(d->vga) + m.offset,
				   m.stride, tw, th))
		return;
	d->full = false;
	spice_display_send_dirty(d, tw, th);
	spice_qxl_wakeup(&d->qxl);
}

static void
spice_display_tick(evutil_socket_t fd, short what, void *arg)
{
	struct spice_display *d = arg;

	(void)fd;
	(void)what;
	spice_display_refresh(d);
	spice_display_schedule(d);
}

void
spice_display_client(struct spice_display *d, bool connected)
{
	if (connected) {
		d->clients++;
		d->full = true;
	} else if (d->clients) {
		d->clients--;
	}
	/* Now, and then at the rate for the new client count. */
	evtimer_del(d->tick);
	event_active(d->tick, EV_TIMEOUT, 0);
}

struct spice_display *
spice_display_create(SpiceServer *server, struct event_base *base,
		     struct bochs_vga *vga, char *err, unsigned errlen)
{
	struct spice_display *d;
	QXLDevMemSlot slot = { 0 };

	d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "spice: out of memory");
		return NULL;
	}
	d->server = server;
	d->vga = vga;
	d->tail = &d->head;
	pthread_mutex_init(&d->lock, NULL);
	d->tick = evtimer_new(base, spice_display_tick, d);
	if (!d->tick) {
		snprintf(err, errlen, "spice: cannot create the display timer");
		spice_display_destroy(d);
		return NULL;
	}
	d->qxl.base.sif = &spice_display_iface.base;
	d->qxl.id = 0;
	if (spice_server_add_interface(server, &d->qxl.base)) {
		snprintf(err, errlen, "spice: the server refused the display interface");
		spice_display_destroy(d);
		return NULL;
	}
	slot.slot_group_id = SPICE_DISPLAY_MEMSLOT_GROUP;
	slot.slot_id = 0;
	slot.virt_start = 0;
	slot.virt_end = UINTPTR_MAX;
	spice_qxl_add_memslot(&d->qxl, &slot);
	spice_display_refresh(d);
	spice_display_schedule(d);
	return d;
}

void
spice_display_destroy(struct spice_display *d)
{
	if (!d)
		return;
	if (d->tick)
		event_free(d->tick);
	spice_display_drop_queued(d);
	free(d->surface_mem);
	free(d->shadow);
	free(d->dirty);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
