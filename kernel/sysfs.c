// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: attributes of /sys/class/meter/meterN.
 */
#include <linux/device.h>
#include <linux/sysfs.h>

#include "chip.h"
#include "meter.h"

static ssize_t chip_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", to_meter(dev)->chip->name);
}
static DEVICE_ATTR_RO(chip);

static ssize_t nr_phases_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", to_meter(dev)->chip->nr_phases);
}
static DEVICE_ATTR_RO(nr_phases);

static ssize_t period_ns_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(to_meter(dev)->period_ns));
}
static DEVICE_ATTR_RO(period_ns);

static ssize_t mode_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", READ_ONCE(to_meter(dev)->mode) ==
			  METERLINK_MODE_IRQ ? "irq" : "poll");
}
static DEVICE_ATTR_RO(mode);

static ssize_t counter_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct dev_ext_attribute *ea = container_of(attr, typeof(*ea), attr);

	return sysfs_emit(buf, "%llu\n",
			  meter_counter(to_meter(dev), (uintptr_t)ea->var));
}

static struct dev_ext_attribute dev_attr_samples = {
	__ATTR(samples, 0444, counter_show, NULL), (void *)METER_CNT_SAMPLES
};

static struct dev_ext_attribute dev_attr_spi_errors = {
	__ATTR(spi_errors, 0444, counter_show, NULL), (void *)METER_CNT_SPI_ERRORS
};

static struct dev_ext_attribute dev_attr_corrected = {
	__ATTR(corrected, 0444, counter_show, NULL), (void *)METER_CNT_CORRECTED
};

static struct dev_ext_attribute dev_attr_invalid = {
	__ATTR(invalid, 0444, counter_show, NULL), (void *)METER_CNT_INVALID
};

static struct dev_ext_attribute dev_attr_irqs = {
	__ATTR(irqs, 0444, counter_show, NULL), (void *)METER_CNT_IRQS
};

static struct dev_ext_attribute dev_attr_spurious_irqs = {
	__ATTR(spurious_irqs, 0444, counter_show, NULL), (void *)METER_CNT_SPURIOUS_IRQS
};

static struct dev_ext_attribute dev_attr_missed_periods = {
	__ATTR(missed_periods, 0444, counter_show, NULL), (void *)METER_CNT_MISSED_PERIODS
};

static struct dev_ext_attribute dev_attr_irq_faults = {
	__ATTR(irq_faults, 0444, counter_show, NULL), (void *)METER_CNT_IRQ_FAULTS
};

static struct dev_ext_attribute dev_attr_nl_drops = {
	__ATTR(nl_drops, 0444, counter_show, NULL), (void *)METER_CNT_NL_DROPS
};

static struct dev_ext_attribute dev_attr_acq_ns = {
	__ATTR(acq_ns, 0444, counter_show, NULL), (void *)METER_CNT_ACQ_NS
};

static struct attribute *meter_attrs[] = {
	&dev_attr_chip.attr,
	&dev_attr_nr_phases.attr,
	&dev_attr_period_ns.attr,
	&dev_attr_mode.attr,
	&dev_attr_samples.attr.attr,
	&dev_attr_spi_errors.attr.attr,
	&dev_attr_corrected.attr.attr,
	&dev_attr_invalid.attr.attr,
	&dev_attr_irqs.attr.attr,
	&dev_attr_spurious_irqs.attr.attr,
	&dev_attr_missed_periods.attr.attr,
	&dev_attr_irq_faults.attr.attr,
	&dev_attr_nl_drops.attr.attr,
	&dev_attr_acq_ns.attr.attr,
	NULL
};

static const struct attribute_group meter_group = {
	.attrs = meter_attrs,
};

/* scaling/: what the driver applies, read-only (Documentation/scaling.rst) */

static ssize_t source_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n", to_meter(dev)->scale.board.from_firmware ?
			  "firmware" : "reference");
}
static DEVICE_ATTR_RO(source);

/* one value per channel, space separated */
static ssize_t show_u32s(char *buf, const u32 *v, u32 n)
{
	int len = 0;
	u32 i;

	for (i = 0; i < n; i++)
		len += sysfs_emit_at(buf, len, "%s%u", i ? " " : "", v[i]);
	return len + sysfs_emit_at(buf, len, "\n");
}

static ssize_t voltage_divider_ratio_show(struct device *dev,
					  struct device_attribute *attr,
					  char *buf)
{
	const struct meter_board *b = &to_meter(dev)->scale.board;

	return show_u32s(buf, b->divider, b->nr_v);
}
static DEVICE_ATTR_RO(voltage_divider_ratio);

static ssize_t ct_ratio_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	const struct meter_board *b = &to_meter(dev)->scale.board;

	return show_u32s(buf, b->ct, b->nr_i);
}
static DEVICE_ATTR_RO(ct_ratio);

static ssize_t burden_micro_ohms_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	const struct meter_board *b = &to_meter(dev)->scale.board;

	return show_u32s(buf, b->burden_uohm, b->nr_i);
}
static DEVICE_ATTR_RO(burden_micro_ohms);

static ssize_t shunt_micro_ohms_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	const struct meter_board *b = &to_meter(dev)->scale.board;

	return show_u32s(buf, b->shunt_uohm, b->nr_i);
}
static DEVICE_ATTR_RO(shunt_micro_ohms);

/* per phase "num/den", against the chip's reference board */
static ssize_t show_gains(struct device *dev, char *buf,
			  const struct meter_ratio *g)
{
	u32 i, n = to_meter(dev)->chip->nr_phases;
	int len = 0;

	for (i = 0; i < n; i++)
		len += sysfs_emit_at(buf, len, "%s%llu/%llu", i ? " " : "",
				     g[i].num, g[i].den);
	return len + sysfs_emit_at(buf, len, "\n");
}

static ssize_t voltage_gain_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return show_gains(dev, buf, to_meter(dev)->scale.gain_v);
}
static DEVICE_ATTR_RO(voltage_gain);

static ssize_t current_gain_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return show_gains(dev, buf, to_meter(dev)->scale.gain_i);
}
static DEVICE_ATTR_RO(current_gain);

static ssize_t power_gain_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return show_gains(dev, buf, to_meter(dev)->scale.gain_p);
}
static DEVICE_ATTR_RO(power_gain);

static struct attribute *scaling_attrs[] = {
	&dev_attr_source.attr,
	&dev_attr_voltage_divider_ratio.attr,
	&dev_attr_ct_ratio.attr,
	&dev_attr_burden_micro_ohms.attr,
	&dev_attr_shunt_micro_ohms.attr,
	&dev_attr_voltage_gain.attr,
	&dev_attr_current_gain.attr,
	&dev_attr_power_gain.attr,
	NULL
};

static const struct attribute_group scaling_group = {
	.name = "scaling",
	.attrs = scaling_attrs,
};

const struct attribute_group *meter_groups[] = {
	&meter_group,
	&scaling_group,
	NULL
};
