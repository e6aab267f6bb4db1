// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: when samples are taken.
 *
 * Polling mode: samples are taken on multiples of the period in wall-clock
 * time, but the hrtimer runs on CLOCK_MONOTONIC: each expiry is the next
 * wall-clock boundary converted to monotonic time when the timer is armed.
 * A step of the wall clock (NTP at boot, an administrator's `date -s`)
 * therefore neither stalls sampling (a realtime timer set before a step
 * back waits out the whole step) nor invents missed periods (after a step
 * forward): the sample after a step is taken when it was due and stamped
 * with the wall-clock time of that instant, and the timer re-aligns to the
 * new boundaries from then on. The timer notes the instant it was set for
 * and queues the SPI work; a boundary that passes while the previous
 * sample is still being read is counted as missed, and the next record
 * says so (the work sees the boot-time distance to the sample before).
 *
 * Interrupt mode: the hard-IRQ top half takes the timestamps, the threaded
 * half acknowledges the chip and reads the sample. The same hrtimer then
 * serves as a watchdog: an interrupt that stops coming, or one that storms
 * without a data-ready status, makes the device fall back to polling. An
 * interrupt that arrives is never taken for a lost one: the top half marks
 * its arrival, and the fallback work, which runs after the watchdog fired,
 * keeps interrupt mode when one arrived meanwhile (a stalled CPU delays
 * the interrupt and its handling, not only the watchdog).
 */
#include <linux/interrupt.h>
#include <linux/math64.h>
#include <linux/timekeeping.h>

#include "chip.h"
#include "meter.h"
#include "netlink.h"

#define METER_STORM_LIMIT	32	/* consecutive IRQs without data */
#define METER_WATCHDOG_PERIODS	4

/*
 * CLOCK_REALTIME and CLOCK_BOOTTIME of one instant: both from a single
 * monotonic reading, so a stall between two clock reads cannot skew them.
 */
static void meter_clocks(s64 *rt, s64 *bt)
{
	ktime_t mono = ktime_get();

	*rt = ktime_to_ns(ktime_mono_to_real(mono));
	*bt = ktime_to_ns(ktime_mono_to_any(mono, TK_OFFS_BOOT));
}

/* The next wall-clock multiple of @period after now, as monotonic time. */
static ktime_t meter_next_boundary(u64 period)
{
	ktime_t mono = ktime_get();
	s64 rt = ktime_to_ns(ktime_mono_to_real(mono));

	return ktime_add_ns(mono, (div64_u64(rt, period) + 1) * period - rt);
}

static enum hrtimer_restart meter_timer_fn(struct hrtimer *t)
{
	struct meter_dev *m = container_of(t, struct meter_dev, timer);
	ktime_t due = hrtimer_get_expires(t);
	bool fallback = false, poll;

	raw_spin_lock(&m->acq_lock);
	poll = m->mode == METERLINK_MODE_POLL;
	if (poll) {
		m->due_rt = ktime_to_ns(ktime_mono_to_real(due));
		m->due_bt = ktime_to_ns(ktime_mono_to_any(due, TK_OFFS_BOOT));
		queue_work(system_highpri_wq, &m->work);
	} else {
		fallback = !m->irq_seen && !m->irq_arrived;
		m->irq_seen = false;
		m->irq_arrived = false;
		m->fallback_wanted |= fallback;
	}
	raw_spin_unlock(&m->acq_lock);

	if (fallback) {
		queue_work(system_highpri_wq, &m->fallback_work);
		return HRTIMER_NORESTART;
	}
	if (poll)
		hrtimer_set_expires(t, meter_next_boundary(m->timer_period));
	else
		hrtimer_forward_now(t, ns_to_ktime(m->timer_period));
	return HRTIMER_RESTART;
}

static u32 take_pending_flags(struct meter_dev *m)
{
	u32 flags = 0;

	if (m->missed)
		flags |= METERLINK_F_MISSED;
	if (m->fault_pending)
		flags |= METERLINK_F_IRQ_FAULT;
	m->missed = false;
	m->fault_pending = false;
	return flags;
}

static void meter_work_fn(struct work_struct *w)
{
	struct meter_dev *m = container_of(w, struct meter_dev, work);
	s64 rt, bt;
	u32 flags;

	raw_spin_lock_irq(&m->acq_lock);
	rt = m->due_rt;
	bt = m->due_bt;
	/*
	 * The timer may have moved on while this work was being queued or
	 * was starting: the newest boundary is the one to sample, once, and
	 * the boundaries that passed unsampled are missed periods. Boot time
	 * measures that distance: wall-clock steps are not periods.
	 */
	if (bt == m->last_bt) {
		raw_spin_unlock_irq(&m->acq_lock);
		return;
	}
	if (m->last_bt && bt - m->last_bt > (s64)m->period_ns * 3 / 2) {
		m->missed = true;
		atomic64_add(div64_s64(bt - m->last_bt + m->period_ns / 2,
				       m->period_ns) - 1,
			     &m->cnt[METER_CNT_MISSED_PERIODS]);
	}
	m->last_bt = bt;
	flags = take_pending_flags(m);
	raw_spin_unlock_irq(&m->acq_lock);

	mutex_lock(&m->io_lock);
	meter_sample(m, rt, bt, flags);
	mutex_unlock(&m->io_lock);
}

static irqreturn_t meter_irq_top(int irq, void *data)
{
	struct meter_dev *m = data;
	s64 rt, bt;

	meter_clocks(&rt, &bt);
	WRITE_ONCE(m->irq_rt, rt);
	WRITE_ONCE(m->irq_bt, bt);
	raw_spin_lock(&m->acq_lock);	/* hard-IRQ context */
	m->irq_arrived = true;
	raw_spin_unlock(&m->acq_lock);
	return IRQ_WAKE_THREAD;
}

/* Disables the IRQ once, whoever (thread or fallback work) gets here first. */
static void meter_irq_off(struct meter_dev *m, bool nosync)
{
	bool was;

	raw_spin_lock_irq(&m->acq_lock);
	was = m->irq_enabled;
	m->irq_enabled = false;
	raw_spin_unlock_irq(&m->acq_lock);
	if (!was)
		return;
	if (nosync)
		disable_irq_nosync(m->irq);
	else
		disable_irq(m->irq);
}

static irqreturn_t meter_irq_thread(int irq, void *data)
{
	struct meter_dev *m = data;
	s64 rt = READ_ONCE(m->irq_rt), bt = READ_ONCE(m->irq_bt);
	bool ready = false;
	u32 flags;
	int ret;

	mutex_lock(&m->io_lock);
	ret = m->chip->irq_ack(m, &ready);
	if (ret || !ready) {
		meter_count(m, METER_CNT_SPURIOUS_IRQS);
		if (++m->spurious_run >= METER_STORM_LIMIT) {
			m->spurious_run = 0;
			meter_irq_off(m, true);
			raw_spin_lock_irq(&m->acq_lock);
			m->fallback_wanted = true;
			raw_spin_unlock_irq(&m->acq_lock);
			queue_work(system_highpri_wq, &m->fallback_work);
		}
		mutex_unlock(&m->io_lock);
		return ret ? IRQ_HANDLED : IRQ_NONE;
	}
	m->spurious_run = 0;
	meter_count(m, METER_CNT_IRQS);
	raw_spin_lock_irq(&m->acq_lock);
	m->irq_seen = true;
	flags = take_pending_flags(m) | METERLINK_F_IRQ;
	raw_spin_unlock_irq(&m->acq_lock);
	meter_sample(m, rt, bt, flags);
	mutex_unlock(&m->io_lock);
	return IRQ_HANDLED;
}

/* Called with m->lock held. */
static void meter_timer_start(struct meter_dev *m)
{
	u64 p = m->period_ns;

	if (m->mode == METERLINK_MODE_POLL) {
		m->timer_period = p;
		hrtimer_start(&m->timer, meter_next_boundary(p), HRTIMER_MODE_ABS);
	} else {
		m->timer_period = p * METER_WATCHDOG_PERIODS;
		hrtimer_start(&m->timer, ns_to_ktime(m->timer_period),
			      HRTIMER_MODE_REL);
	}
}

/* Called with m->lock held: stop whatever is running. */
static void meter_quiesce(struct meter_dev *m)
{
	u64 dummy = 0;

	hrtimer_cancel(&m->timer);
	flush_work(&m->work);
	if (m->mode == METERLINK_MODE_IRQ) {
		meter_irq_off(m, false);
		mutex_lock(&m->io_lock);
		m->chip->irq_config(m, &dummy, false);
		mutex_unlock(&m->io_lock);
	}
}

/* Called with m->lock held, acquisition quiesced. */
static int meter_go(struct meter_dev *m, u32 mode, u64 period)
{
	int ret = 0;

	if (mode == METERLINK_MODE_IRQ) {
		mutex_lock(&m->io_lock);
		ret = m->chip->irq_config(m, &period, true);
		m->spurious_run = 0;
		mutex_unlock(&m->io_lock);
		if (ret)
			return ret;
	}
	raw_spin_lock_irq(&m->acq_lock);
	m->mode = mode;
	m->fallback_wanted = false;	/* a queued fallback is now stale */
	m->last_bt = 0;
	m->irq_seen = true;	/* the watchdog's first look is a grace */
	m->irq_arrived = false;
	m->irq_enabled = mode == METERLINK_MODE_IRQ;
	raw_spin_unlock_irq(&m->acq_lock);
	m->period_ns = period;
	if (mode == METERLINK_MODE_IRQ)
		enable_irq(m->irq);
	meter_timer_start(m);
	return 0;
}

static void meter_fallback_fn(struct work_struct *w)
{
	struct meter_dev *m = container_of(w, struct meter_dev, fallback_work);
	bool wanted, storm, late;

	mutex_lock(&m->lock);
	raw_spin_lock_irq(&m->acq_lock);
	wanted = m->fallback_wanted;
	storm = !m->irq_enabled;	/* the IRQ thread turned it off */
	/* the watchdog cleared it when it fired: this one came since */
	late = !storm && m->irq_arrived;
	if (wanted && late)
		m->fallback_wanted = false;
	raw_spin_unlock_irq(&m->acq_lock);
	if (!m->dead && m->mode == METERLINK_MODE_IRQ && wanted && late) {
		meter_timer_start(m);	/* late, not lost: watch on */
	} else if (!m->dead && m->mode == METERLINK_MODE_IRQ && wanted) {
		meter_quiesce(m);
		meter_count(m, METER_CNT_IRQ_FAULTS);
		raw_spin_lock_irq(&m->acq_lock);
		m->fault_pending = true;
		if (!storm) {	/* the watchdog saw these periods pass empty */
			m->missed = true;
			atomic64_add(METER_WATCHDOG_PERIODS,
				     &m->cnt[METER_CNT_MISSED_PERIODS]);
		}
		raw_spin_unlock_irq(&m->acq_lock);
		dev_warn(&m->spi->dev, "interrupt %d %s; falling back to polling\n",
			 m->irq, storm ? "storms without data-ready" :
			 "stopped coming");
		meter_go(m, METERLINK_MODE_POLL, m->period_ns);
		meter_nl_fault(m, storm ? METERLINK_FAULT_IRQ_STORM :
			       METERLINK_FAULT_IRQ_LOST);
	}
	mutex_unlock(&m->lock);
}

int meter_acq_init(struct meter_dev *m)
{
	int ret;

	hrtimer_init(&m->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	m->timer.function = meter_timer_fn;
	INIT_WORK(&m->work, meter_work_fn);
	INIT_WORK(&m->fallback_work, meter_fallback_fn);
	m->period_ns = METER_DEFAULT_PERIOD_NS;
	m->mode = METERLINK_MODE_POLL;
	if (m->irq <= 0 || !m->chip->irq_config) {
		m->irq = 0;
		return 0;
	}
	ret = request_threaded_irq(m->irq, meter_irq_top, meter_irq_thread,
				   IRQF_ONESHOT | IRQF_NO_AUTOEN,
				   dev_name(&m->classdev), m);
	if (ret)
		return dev_err_probe(&m->spi->dev, ret, "cannot get IRQ %d\n",
				     m->irq);
	return 0;
}

void meter_acq_start(struct meter_dev *m)
{
	u32 mode = m->irq ? METERLINK_MODE_IRQ : METERLINK_MODE_POLL;

	mutex_lock(&m->lock);
	if (meter_go(m, mode, m->period_ns)) {
		dev_warn(&m->spi->dev, "interrupt mode unavailable; polling\n");
		meter_go(m, METERLINK_MODE_POLL, m->period_ns);
	}
	mutex_unlock(&m->lock);
}

/* The device is gone (or going): nothing may touch it after this. */
void meter_acq_stop(struct meter_dev *m)
{
	mutex_lock(&m->lock);
	m->dead = true;
	mutex_unlock(&m->lock);
	if (m->irq)
		free_irq(m->irq, m);
	hrtimer_cancel(&m->timer);
	cancel_work_sync(&m->work);
	cancel_work_sync(&m->fallback_work);
	hrtimer_cancel(&m->timer);
}

/*
 * Mode and period in one step, all or nothing: on failure the device runs
 * as before (or polls, if even that fails). A NULL @mode or @period_ns
 * keeps the current value.
 */
int meter_reconfigure(struct meter_dev *m, const u32 *mode,
		      const u64 *period_ns)
{
	u32 old_mode;
	u64 old_period;
	int ret;

	if (period_ns && (*period_ns < METER_MIN_PERIOD_NS ||
			  *period_ns > m->chip->max_period_ns))
		return -EINVAL;
	if (mode && *mode >= __METERLINK_MODE_MAX)
		return -EINVAL;
	if (mode && *mode == METERLINK_MODE_IRQ && !m->irq)
		return -EOPNOTSUPP;
	mutex_lock(&m->lock);
	if (m->dead) {
		mutex_unlock(&m->lock);
		return -ENODEV;
	}
	old_mode = m->mode;
	old_period = m->period_ns;
	meter_quiesce(m);
	ret = meter_go(m, mode ? *mode : old_mode,
		       period_ns ? *period_ns : old_period);
	if (ret && meter_go(m, old_mode, old_period))
		meter_go(m, METERLINK_MODE_POLL, old_period);
	mutex_unlock(&m->lock);
	return ret;
}
