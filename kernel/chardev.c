// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: /dev/meterN.
 *
 * The file keeps the device structure alive (through the cdev's reference
 * on the class device), never the SPI device: once the chip is gone every
 * call returns -ENODEV, as spidev does with -ESHUTDOWN.
 */
#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "chip.h"
#include "meter.h"

#define METER_MINORS		256
#define METER_READ_BATCH	16

struct meter_file {
	struct meter_dev *m;
	struct mutex lock;	/* serialises reads on this file */
	u64 pos;		/* seq of the next record for this reader */
	u64 lost;		/* records overwritten before we read them */
	struct meterlink_reading buf[METER_READ_BATCH];
};

static unsigned int ring_records = 1024;
module_param(ring_records, uint, 0444);
MODULE_PARM_DESC(ring_records,
		 "records each meter's ring holds (power of two, 16..65536, default 1024)");

static dev_t meter_devt;
static struct class meter_class = {
	.name = "meter",
};

/* id -> device; a NULL entry is an id taken by a device not (or no longer) live */
static DEFINE_IDR(meter_idr);
static DEFINE_MUTEX(meter_idr_lock);
static u32 meter_gen = 1;	/* changes whenever a device comes or goes */

static int meter_open(struct inode *inode, struct file *file)
{
	struct meter_dev *m = container_of(inode->i_cdev, struct meter_dev, cdev);
	struct meter_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_lock(&m->lock);
	if (m->dead) {
		mutex_unlock(&m->lock);
		kfree(f);
		return -ENODEV;
	}
	mutex_unlock(&m->lock);
	f->m = m;
	mutex_init(&f->lock);
	f->pos = meter_ring_head(&m->ring);
	file->private_data = f;
	return stream_open(inode, file);
}

static int meter_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static bool meter_readable(struct meter_dev *m, struct meter_file *f)
{
	return READ_ONCE(m->dead) || meter_ring_head(&m->ring) != f->pos;
}

static ssize_t meter_read(struct file *file, char __user *buf, size_t count,
			  loff_t *ppos)
{
	struct meter_file *f = file->private_data;
	struct meter_dev *m = f->m;
	const size_t sz = sizeof(struct meterlink_reading);
	size_t done = 0;
	int ret = 0;

	if (count < sz)
		return -EINVAL;
	if (mutex_lock_interruptible(&f->lock))
		return -ERESTARTSYS;
	while (done + sz <= count) {
		unsigned int n;

		if (READ_ONCE(m->dead)) {
			ret = -ENODEV;
			break;
		}
		n = min_t(size_t, (count - done) / sz, METER_READ_BATCH);
		n = meter_ring_copy(&m->ring, &f->pos, &f->lost, f->buf, n);
		if (!n) {
			if (done)
				break;
			if (file->f_flags & O_NONBLOCK) {
				ret = -EAGAIN;
				break;
			}
			/* wait without the file's lock: GET_STATS may want it */
			mutex_unlock(&f->lock);
			ret = wait_event_interruptible(m->wq,
						       meter_readable(m, f));
			if (ret)
				return ret;
			if (mutex_lock_interruptible(&f->lock))
				return -ERESTARTSYS;
			continue;
		}
		if (copy_to_user(buf + done, f->buf, n * sz)) {
			ret = -EFAULT;
			break;
		}
		done += n * sz;
	}
	mutex_unlock(&f->lock);
	return done ? done : ret;
}

static __poll_t meter_poll(struct file *file, poll_table *wait)
{
	struct meter_file *f = file->private_data;
	struct meter_dev *m = f->m;

	poll_wait(file, &m->wq, wait);
	if (READ_ONCE(m->dead))
		return EPOLLERR | EPOLLHUP;
	if (meter_ring_head(&m->ring) != READ_ONCE(f->pos))
		return EPOLLIN | EPOLLRDNORM;
	return 0;
}

static int meter_get_info(struct meter_dev *m, void __user *arg)
{
	struct meterlink_info info = {
		.chip = m->chip->id,
		.nr_phases = m->chip->nr_phases,
		.caps = m->irq ? METERLINK_CAP_IRQ : 0,
		.min_period_ns = METER_MIN_PERIOD_NS,
		.max_period_ns = m->chip->max_period_ns,
		.ring_records = m->ring.size,
		.record_size = sizeof(struct meterlink_reading),
	};

	strscpy(info.name, m->chip->name, sizeof(info.name));
	mutex_lock(&m->lock);
	info.mode = m->mode;
	info.period_ns = m->period_ns;
	mutex_unlock(&m->lock);
	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static bool ppm_ok(s32 ppm)
{
	return ppm >= -METERLINK_CALIB_MAX_PPM && ppm <= METERLINK_CALIB_MAX_PPM;
}

static int meter_check_calib(struct meter_dev *m,
			     const struct meterlink_calibration *c)
{
	unsigned int i;

	if (c->flags || c->nr_phases != m->chip->nr_phases)
		return -EINVAL;
	for (i = 0; i < METERLINK_MAX_PHASES; i++) {
		const struct meterlink_phase_calib *p = &c->phase[i];

		if (p->reserved)
			return -EINVAL;
		if (i >= c->nr_phases &&
		    (p->voltage_ppm || p->current_ppm || p->power_ppm))
			return -EINVAL;
		if (!ppm_ok(p->voltage_ppm) || !ppm_ok(p->current_ppm) ||
		    !ppm_ok(p->power_ppm))
			return -EINVAL;
	}
	return 0;
}

/* shared by the ioctl and netlink: checks and applies in one step */
int meter_calib_set(struct meter_dev *m, const struct meterlink_calibration *c)
{
	int ret = meter_check_calib(m, c);

	if (ret)
		return ret;
	raw_spin_lock_irq(&m->acq_lock);
	m->calib = *c;
	raw_spin_unlock_irq(&m->acq_lock);
	return 0;
}

void meter_calib_get(struct meter_dev *m, struct meterlink_calibration *c)
{
	raw_spin_lock_irq(&m->acq_lock);
	*c = m->calib;
	raw_spin_unlock_irq(&m->acq_lock);
}

static int meter_set_calib(struct meter_dev *m, void __user *arg)
{
	struct meterlink_calibration c;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&c, arg, sizeof(c)))
		return -EFAULT;
	return meter_calib_set(m, &c);
}

static int meter_get_calib(struct meter_dev *m, void __user *arg)
{
	struct meterlink_calibration c;

	meter_calib_get(m, &c);
	return copy_to_user(arg, &c, sizeof(c)) ? -EFAULT : 0;
}

static int meter_get_stats(struct meter_dev *m, struct meter_file *f,
			   void __user *arg)
{
	struct meterlink_stats s = {
		.samples = meter_counter(m, METER_CNT_SAMPLES),
		.spi_errors = meter_counter(m, METER_CNT_SPI_ERRORS),
		.corrected = meter_counter(m, METER_CNT_CORRECTED),
		.invalid = meter_counter(m, METER_CNT_INVALID),
		.irqs = meter_counter(m, METER_CNT_IRQS),
		.spurious_irqs = meter_counter(m, METER_CNT_SPURIOUS_IRQS),
		.missed_periods = meter_counter(m, METER_CNT_MISSED_PERIODS),
		.irq_faults = meter_counter(m, METER_CNT_IRQ_FAULTS),
		.nl_drops = meter_counter(m, METER_CNT_NL_DROPS),
		.acq_ns = meter_counter(m, METER_CNT_ACQ_NS),
	};

	if (mutex_lock_interruptible(&f->lock))
		return -ERESTARTSYS;
	/* a reader that has fallen behind learns it before its next read */
	s.overruns = f->lost + meter_ring_behind(&m->ring, f->pos);
	mutex_unlock(&f->lock);
	return copy_to_user(arg, &s, sizeof(s)) ? -EFAULT : 0;
}

static long meter_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct meter_file *f = file->private_data;
	struct meter_dev *m = f->m;
	void __user *uarg = (void __user *)arg;
	u64 period;
	u32 mode;

	if (READ_ONCE(m->dead))
		return -ENODEV;
	switch (cmd) {
	case METER_IOC_GET_INFO:
		return meter_get_info(m, uarg);
	case METER_IOC_SET_PERIOD:
		if (!(file->f_mode & FMODE_WRITE))
			return -EBADF;
		if (get_user(period, (u64 __user *)uarg))
			return -EFAULT;
		return meter_reconfigure(m, NULL, &period);
	case METER_IOC_SET_MODE:
		if (!(file->f_mode & FMODE_WRITE))
			return -EBADF;
		if (get_user(mode, (u32 __user *)uarg))
			return -EFAULT;
		return meter_reconfigure(m, &mode, NULL);
	case METER_IOC_GET_CALIB:
		return meter_get_calib(m, uarg);
	case METER_IOC_SET_CALIB:
		return meter_set_calib(m, uarg);
	case METER_IOC_GET_STATS:
		return meter_get_stats(m, f, uarg);
	}
	return -ENOTTY;
}

static const struct file_operations meter_fops = {
	.owner = THIS_MODULE,
	.open = meter_open,
	.release = meter_release,
	.read = meter_read,
	.poll = meter_poll,
	.unlocked_ioctl = meter_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

static void meter_dev_release(struct device *dev)
{
	struct meter_dev *m = to_meter(dev);

	if (m->id >= 0) {
		mutex_lock(&meter_idr_lock);
		idr_remove(&meter_idr, m->id);
		mutex_unlock(&meter_idr_lock);
	}
	meter_ring_free(&m->ring);
	kfree(m);
}

/* Makes @m a refcounted device; from here on it is freed by put_device(). */
int meter_chardev_add(struct meter_dev *m, struct device *parent)
{
	int ret;

	m->id = -1;
	device_initialize(&m->classdev);
	m->classdev.class = &meter_class;
	m->classdev.parent = parent;
	m->classdev.groups = meter_groups;
	m->classdev.release = meter_dev_release;
	mutex_lock(&meter_idr_lock);
	ret = idr_alloc(&meter_idr, NULL, 0, METER_MINORS, GFP_KERNEL);
	mutex_unlock(&meter_idr_lock);
	if (ret < 0)
		return ret;
	m->id = ret;
	m->classdev.devt = MKDEV(MAJOR(meter_devt), m->id);
	ret = dev_set_name(&m->classdev, "meter%d", m->id);
	if (!ret)
		ret = meter_ring_init(&m->ring, ring_records);
	if (ret)
		return ret;
	cdev_init(&m->cdev, &meter_fops);
	m->cdev.owner = THIS_MODULE;
	return 0;
}

int meter_chardev_publish(struct meter_dev *m)
{
	int ret = cdev_device_add(&m->cdev, &m->classdev);

	if (ret)
		return ret;
	mutex_lock(&meter_idr_lock);
	idr_replace(&meter_idr, m, m->id);
	meter_gen++;
	mutex_unlock(&meter_idr_lock);
	return 0;
}

void meter_chardev_del(struct meter_dev *m)
{
	mutex_lock(&meter_idr_lock);
	idr_replace(&meter_idr, NULL, m->id);
	meter_gen++;
	mutex_unlock(&meter_idr_lock);
	wake_up_interruptible_all(&m->wq);
	cdev_device_del(&m->cdev, &m->classdev);
}

/* The live device with the lowest id >= *@id, with a reference; or NULL. */
struct meter_dev *meter_next(u32 *id)
{
	struct meter_dev *m;
	int i = *id;

	mutex_lock(&meter_idr_lock);
	m = idr_get_next(&meter_idr, &i);
	if (m) {
		get_device(&m->classdev);
		*id = i;
	}
	mutex_unlock(&meter_idr_lock);
	return m;
}

struct meter_dev *meter_find(u32 id)
{
	struct meter_dev *m;

	mutex_lock(&meter_idr_lock);
	m = idr_find(&meter_idr, id);
	if (m)
		get_device(&m->classdev);
	mutex_unlock(&meter_idr_lock);
	return m;
}

u32 meter_generation(void)
{
	u32 gen;

	mutex_lock(&meter_idr_lock);
	gen = meter_gen;
	mutex_unlock(&meter_idr_lock);
	return gen;
}

int meter_chardev_init(void)
{
	int ret;

	if (!is_power_of_2(ring_records) || ring_records < 16 ||
	    ring_records > 65536) {
		pr_err("meterlink: ring_records=%u is not a power of two in 16..65536\n",
		       ring_records);
		return -EINVAL;
	}
	ret = alloc_chrdev_region(&meter_devt, 0, METER_MINORS, "meter");
	if (ret)
		return ret;
	ret = class_register(&meter_class);
	if (ret)
		unregister_chrdev_region(meter_devt, METER_MINORS);
	return ret;
}

void meter_chardev_exit(void)
{
	class_unregister(&meter_class);
	unregister_chrdev_region(meter_devt, METER_MINORS);
}
