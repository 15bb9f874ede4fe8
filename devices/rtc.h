/* MC146818 CMOS RTC at 0x70/0x71 (IRQ 8), showing the host's time. */
#ifndef VMD_DEVICES_RTC_H
#define VMD_DEVICES_RTC_H

struct vm;
struct rtc;

struct rtc *rtc_create(struct vm *vm);
void rtc_destroy(struct rtc *rtc);

#endif
