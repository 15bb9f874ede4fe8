/* MC146818 CMOS RTC at 0x70 (index; bit 7 is the NMI mask, ignored) and
 * 0x71 (data). The clock registers show the host's UTC time at the moment
 * of each read, plus an offset the guest sets by writing the clock.
 *
 * No interrupts: periodic, alarm and update-ended IRQs are not modelled
 * (Linux keeps time with the TSC/kvmclock and only reads the RTC), so
 * register C always reads 0 and IRQ 8 stays low.
 *
 * Locking: one mutex; vCPU threads are the only callers after create. */
#include "rtc.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"
#include "vm.h"

#define RTC_PORT 0x70

enum {
	RTC_SEC = 0x00, RTC_MIN = 0x02, RTC_HOUR = 0x04, RTC_DOW = 0x06,
	RTC_DAY = 0x07, RTC_MON = 0x08, RTC_YEAR = 0x09,
	RTC_REG_A = 0x0a, RTC_REG_B = 0x0b, RTC_REG_C = 0x0c, RTC_REG_D = 0x0d,
	RTC_CENTURY = 0x32, /* the FADT's CENTURY field points here */
};

#define RTC_A_UIP  0x80
#define RTC_B_SET  0x80
#define RTC_B_DM   0x04 /* 1 = binary, 0 = BCD */
#define RTC_B_2412 0x02 /* 1 = 24 hour */
#define RTC_D_VRT  0x80
#define RTC_HOUR_PM 0x80

/* Real chips set UIP 244 us before the once-a-second update; doing the
 * same at the end of each host second lets a guest that waits for UIP to
 * drop read a stable second, and UIP can never stay stuck. */
#define RTC_UIP_NS 244000

struct rtc {
	struct vm *vm;
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t ram[128];
	int64_t offset;   /* guest time - host time, seconds */
	struct tm frozen; /* the clock while register B's SET bit is on */
};

static int
rtc_to_bcd(int v)
{
	return (v / 10) << 4 | (v % 10);
}

static int
rtc_from_bcd(int v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static bool
rtc_is_clock_reg(uint8_t reg)
{
	return reg == RTC_SEC || reg == RTC_MIN || reg == RTC_HOUR ||
	       reg == RTC_DOW || reg == RTC_DAY || reg == RTC_MON ||
	       reg == RTC_YEAR || reg == RTC_CENTURY;
}

/* The guest's current broken-down time (UTC + offset). */
static void
rtc_now(struct rtc *rtc, struct tm *tm, long *nsec)
{
	struct timespec ts;
	time_t t;

	if (rtc->ram[RTC_REG_B] & RTC_B_SET) {
		*tm = rtc->frozen;
		*nsec = 0;
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec + rtc->offset;
	gmtime_r(&t, tm);
	*nsec = ts.tv_nsec;
}

static uint8_t
rtc_encode(const struct rtc *rtc, int v)
{
	return (rtc->ram[RTC_REG_B] & RTC_B_DM) ? v : rtc_to_bcd(v);
}

static int
rtc_decode(const struct rtc *rtc, uint8_t v)
{
	return (rtc->ram[RTC_REG_B] & RTC_B_DM) ? v : rtc_from_bcd(v);
}

static uint8_t
rtc_read_clock(struct rtc *rtc, uint8_t reg, const struct tm *tm)
{
	int h;

	switch (reg) {
	case RTC_SEC:
		return rtc_encode(rtc, tm->tm_sec);
	case RTC_MIN:
		return rtc_encode(rtc, tm->tm_min);
	case RTC_HOUR:
		if (rtc->ram[RTC_REG_B] & RTC_B_2412)
			return rtc_encode(rtc, tm->tm_hour);
		h = tm->tm_hour % 12;
		return rtc_encode(rtc, h ? h : 12) |
		       (tm->tm_hour >= 12 ? RTC_HOUR_PM : 0);
	case RTC_DOW:
		return rtc_encode(rtc, tm->tm_wday + 1); /* 1 = Sunday */
	case RTC_DAY:
		return rtc_encode(rtc, tm->tm_mday);
	case RTC_MON:
		return rtc_encode(rtc, tm->tm_mon + 1);
	case RTC_YEAR:
		return rtc_encode(rtc, tm->tm_year % 100);
	default: /* RTC_CENTURY */
		return rtc_encode(rtc, (tm->tm_year + 1900) / 100);
	}
}

static void
rtc_write_clock(struct rtc *rtc, uint8_t reg, uint8_t v, struct tm *tm)
{
	int h;

	switch (reg) {
	case RTC_SEC:
		tm->tm_sec = rtc_decode(rtc, v);
		break;
	case RTC_MIN:
		tm->tm_min = rtc_decode(rtc, v);
		break;
	case RTC_HOUR:
		if (rtc->ram[RTC_REG_B] & RTC_B_2412) {
			tm->tm_hour = rtc_decode(rtc, v);
			break;
		}
		h = rtc_decode(rtc, v & ~RTC_HOUR_PM) % 12;
		tm->tm_hour = h + ((v & RTC_HOUR_PM) ? 12 : 0);
		break;
	case RTC_DOW:
		break; /* derived from the date */
	case RTC_DAY:
		tm->tm_mday = rtc_decode(rtc, v);
		break;
	case RTC_MON:
		tm->tm_mon = rtc_decode(rtc, v) - 1;
		break;
	case RTC_YEAR:
		tm->tm_year = (tm->tm_year + 1900) / 100 * 100 +
			      rtc_decode(rtc, v) - 1900;
		break;
	default: /* RTC_CENTURY */
		tm->tm_year = rtc_decode(rtc, v) * 100 +
			      (tm->tm_year % 100) - 1900;
		break;
	}
}

/* Turn a guest-edited broken-down time into the offset from host time. */
static void
rtc_set_offset(struct rtc *rtc, struct tm *tm)
{
	struct timespec ts;
	time_t t = timegm(tm);

	if (t == (time_t)-1) {
		log_once(LOG_LVL_WARN, "rtc: guest wrote an invalid date "
			 "(ignored)");
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	rtc->offset = (int64_t)t - ts.tv_sec;
}

static uint8_t
rtc_read(struct rtc *rtc)
{
	uint8_t reg = rtc->index, v;
	struct tm tm;
	long nsec;

	if (rtc_is_clock_reg(reg)) {
		rtc_now(rtc, &tm, &nsec);
		return rtc_read_clock(rtc, reg, &tm);
	}
	switch (reg) {
	case RTC_REG_A:
		rtc_now(rtc, &tm, &nsec);
		v = rtc->ram[RTC_REG_A] & ~RTC_A_UIP;
		if (!(rtc->ram[RTC_REG_B] & RTC_B_SET) &&
		    nsec >= 1000000000L - RTC_UIP_NS)
			v |= RTC_A_UIP;
		return v;
	case RTC_REG_C:
		v = rtc->ram[RTC_REG_C];
		rtc->ram[RTC_REG_C] = 0; /* read clears */
		return v;
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		return rtc->ram[reg];
	}
}

static void
rtc_write(struct rtc *rtc, uint8_t v)
{
	uint8_t reg = rtc->index;
	struct tm tm;
	long nsec;

	if (rtc_is_clock_reg(reg)) {
		rtc_now(rtc, &tm, &nsec);
		rtc_write_clock(rtc, reg, v, &tm);
		/* While SET is on the guest is loading the clock field by
		 * field; the offset is taken when it lets go. */
		if (rtc->ram[RTC_REG_B] & RTC_B_SET)
			rtc->frozen = tm;
		else
			rtc_set_offset(rtc, &tm);
		return;
	}
	switch (reg) {
	case RTC_REG_A:
		rtc->ram[RTC_REG_A] = v & ~RTC_A_UIP;
		break;
	case RTC_REG_B:
		if ((v & RTC_B_SET) && !(rtc->ram[RTC_REG_B] & RTC_B_SET)) {
			rtc_now(rtc, &tm, &nsec);
			rtc->frozen = tm;
		} else if (!(v & RTC_B_SET) &&
			   (rtc->ram[RTC_REG_B] & RTC_B_SET)) {
			rtc_set_offset(rtc, &rtc->frozen);
		}
		if (v & 0x70)
			log_once(LOG_LVL_INFO, "rtc: guest enabled RTC "
				 "interrupts, which are not emulated");
		rtc->ram[RTC_REG_B] = v;
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break; /* read-only */
	default:
		rtc->ram[reg] = v;
		break;
	}
}

static void
rtc_io(void *dev, uint64_t offset, uint8_t *data, uint32_t len,
       bool is_write)
{
	struct rtc *rtc = dev;
	uint32_t i;

	pthread_mutex_lock(&rtc->lock);
	for (i = 0; i < len; i++) {
		if (offset + i == 0) {
			if (is_write)
				rtc->index = data[i] & 0x7f; /* bit 7: NMI */
			else
				data[i] = rtc->index;
		} else if (is_write) {
			rtc_write(rtc, data[i]);
		} else {
			data[i] = rtc_read(rtc);
		}
	}
	pthread_mutex_unlock(&rtc->lock);
}

/* The memory sizes BIOSes leave in CMOS (SeaBIOS reads them, Linux does
 * not): 0x15/0x16 base KiB, 0x17/0x18 and 0x30/0x31 KiB above 1 MiB,
 * 0x34/0x35 64 KiB units above 16 MiB, 0x5b-0x5d 64 KiB units above
 * 4 GiB, 0x5f CPUs - 1. */
static void
rtc_set_memory(struct rtc *rtc, const struct vm *vm)
{
	uint64_t low = vm->low_ram, high = vm->ram_size - vm->low_ram, v;

	rtc->ram[0x15] = 640 & 0xff;
	rtc->ram[0x16] = 640 >> 8;
	v = low > (1 << 20) ? MIN((low - (1 << 20)) >> 10, 0xffff) : 0;
	rtc->ram[0x17] = rtc->ram[0x30] = v & 0xff;
	rtc->ram[0x18] = rtc->ram[0x31] = v >> 8;
	v = low > (16 << 20) ? MIN((low - (16 << 20)) >> 16, 0xffff) : 0;
	rtc->ram[0x34] = v & 0xff;
	rtc->ram[0x35] = v >> 8;
	v = MIN(high >> 16, 0xffffff);
	rtc->ram[0x5b] = v & 0xff;
	rtc->ram[0x5c] = (v >> 8) & 0xff;
	rtc->ram[0x5d] = v >> 16;
	rtc->ram[0x5f] = vm->ncpus ? vm->ncpus - 1 : 0;
}

struct rtc *
rtc_create(struct vm *vm)
{
	struct rtc *rtc = calloc(1, sizeof(*rtc));
	int ret;

	if (!rtc)
		return NULL;
	rtc->vm = vm;
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->ram[RTC_REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz rate */
	rtc->ram[RTC_REG_B] = RTC_B_2412; /* BCD, 24 hour, no interrupts */
	rtc_set_memory(rtc, vm);
	ret = bus_register(&vm->pio, RTC_PORT, 2, rtc_io, rtc, "rtc");
	if (ret < 0) {
		log_error("rtc: cannot register ports 0x70-0x71: %s",
			  strerror(-ret));
		pthread_mutex_destroy(&rtc->lock);
		free(rtc);
		return NULL;
	}
	return rtc;
}

void
rtc_destroy(struct rtc *rtc)
{
	if (!rtc)
		return;
	bus_unregister(&rtc->vm->pio, RTC_PORT);
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}
