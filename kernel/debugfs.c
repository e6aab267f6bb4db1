// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: /sys/kernel/debug/meterlink/meterN/registers, a dump of the
 * chip's named registers. Read-to-clear registers are left out: reading
 * them here would steal energy from the driver.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "chip.h"
#include "meter.h"

static struct dentry *meter_debugfs_root;

static int registers_show(struct seq_file *s, void *unused)
{
	struct meter_dev *m = s->private;
	const struct meter_named_reg *r;
	unsigned int val;
	int ret = 0;

	mutex_lock(&m->lock);
	if (m->dead) {
		ret = -ENODEV;
		goto out;
	}
	mutex_lock(&m->io_lock);
	for (r = m->chip->dump; r->name; r++) {
		if (m->chip->precious(r->reg))
			continue;
		if (meter_reg_read(m, r->reg, &val))
			seq_printf(s, "%-14s 0x%03x error\n", r->name, r->reg);
		else
			seq_printf(s, "%-14s 0x%03x 0x%08x\n", r->name, r->reg,
				   val);
	}
	mutex_unlock(&m->io_lock);
out:
	mutex_unlock(&m->lock);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(registers);

void meter_debugfs_add(struct meter_dev *m)
{
	m->debugfs = debugfs_create_dir(dev_name(&m->classdev),
					meter_debugfs_root);
	debugfs_create_file("registers", 0400, m->debugfs, m, &registers_fops);
}

void meter_debugfs_del(struct meter_dev *m)
{
	debugfs_remove(m->debugfs);
}

void meter_debugfs_init(void)
{
	meter_debugfs_root = debugfs_create_dir("meterlink", NULL);
}

void meter_debugfs_exit(void)
{
	debugfs_remove(meter_debugfs_root);
}
