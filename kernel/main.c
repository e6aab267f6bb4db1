// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink: SPI metering ICs as /dev/meterN with timestamped readings.
 *
 * This file only orders probe, remove, init and exit.
 */
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/mod_devicetable.h>
#include <linux/of.h>
#include <linux/property.h>
#include <linux/regmap.h>
#include <linux/slab.h>
#include <linux/spi/spi.h>

#include "chip.h"
#include "meter.h"
#include "netlink.h"

static int meter_regmap_read(void *ctx, unsigned int reg, unsigned int *val)
{
	struct meter_dev *m = ctx;

	return m->chip->read(m->spi, reg, val);
}

static int meter_regmap_write(void *ctx, unsigned int reg, unsigned int val)
{
	struct meter_dev *m = ctx;

	return m->chip->write(m->spi, reg, val);
}

static bool meter_volatile(struct device *dev, unsigned int reg)
{
	return true;
}

static const struct meter_chip *meter_match(struct spi_device *spi)
{
	const struct spi_device_id *id;
	const void *data = device_get_match_data(&spi->dev);

	if (data)
		return data;
	id = spi_get_device_id(spi);
	return id ? (const struct meter_chip *)id->driver_data : NULL;
}

/* from the match, not from our state: regmap's debugfs may call these */
static bool meter_readable_reg(struct device *dev, unsigned int reg)
{
	return meter_match(to_spi_device(dev))->readable(reg);
}

static bool meter_precious_reg(struct device *dev, unsigned int reg)
{
	return meter_match(to_spi_device(dev))->precious(reg);
}

static int meter_probe(struct spi_device *spi)
{
	struct regmap_config cfg = {
		.reg_bits = 16,
		.val_bits = 32,
		.reg_read = meter_regmap_read,
		.reg_write = meter_regmap_write,
		.readable_reg = meter_readable_reg,
		.precious_reg = meter_precious_reg,
		.volatile_reg = meter_volatile,
		.cache_type = REGCACHE_NONE,
	};
	const struct meter_chip *chip = meter_match(spi);
	struct meter_dev *m;
	int ret;

	if (!chip)
		return -ENODEV;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	ret = meter_board_read(&spi->dev, dev_fwnode(&spi->dev), chip,
			       &m->scale.board);
	if (!ret)
		ret = meter_scaling_derive(&spi->dev, chip, &m->scale.board,
					   &m->scale);
	if (ret) {
		kfree(m);
		return ret;
	}
	m->chip = chip;
	m->spi = spi;
	m->irq = spi->irq;
	strscpy(m->bus_id, dev_name(&spi->dev), sizeof(m->bus_id));
	mutex_init(&m->lock);
	mutex_init(&m->io_lock);
	raw_spin_lock_init(&m->acq_lock);
	init_waitqueue_head(&m->wq);
	meter_nl_dev_init(m);
	m->calib.nr_phases = chip->nr_phases;
	ret = meter_chardev_add(m, &spi->dev);
	if (ret)
		goto err_put;
	spi_set_drvdata(spi, m);

	cfg.name = chip->name;
	cfg.max_register = chip->max_register;
	/*
	 * Not devm: the regmap's context is @m, which remove() frees, and
	 * devres would tear the regmap down only after remove() returned.
	 */
	m->regmap = regmap_init(&spi->dev, NULL, m, &cfg);
	if (IS_ERR(m->regmap)) {
		ret = dev_err_probe(&spi->dev, PTR_ERR(m->regmap),
				    "cannot set up regmap\n");
		goto err_put;
	}
	ret = chip->identify(m);
	if (ret)
		goto err_regmap;
	ret = chip->setup(m);
	if (ret) {
		dev_err_probe(&spi->dev, ret, "cannot set up the %s\n",
			      chip->name);
		goto err_regmap;
	}
	ret = meter_acq_init(m);
	if (ret)
		goto err_regmap;
	/* running before anyone can reach it, so no request races the start */
	meter_acq_start(m);
	ret = meter_chardev_publish(m);
	if (ret)
		goto err_acq;
	meter_debugfs_add(m);
	meter_nl_dev_added(m);
	dev_info(&spi->dev, "%s as %s, %s mode\n", chip->name,
		 dev_name(&m->classdev), m->irq ? "interrupt" : "polling");
	return 0;

err_acq:
	meter_acq_stop(m);
err_regmap:
	regmap_exit(m->regmap);
err_put:
	put_device(&m->classdev);
	return ret;
}

static void meter_remove(struct spi_device *spi)
{
	struct meter_dev *m = spi_get_drvdata(spi);

	meter_acq_stop(m);
	meter_nl_dev_removed(m);
	meter_debugfs_del(m);
	meter_chardev_del(m);
	regmap_exit(m->regmap);
	put_device(&m->classdev);
}

static const struct of_device_id meter_of_match[] = {
	{ .compatible = "adi,ade7953", .data = &meter_ade7953 },
	{ .compatible = "microchip,atm90e32", .data = &meter_atm90e32 },
	{ .compatible = "adi,ade9000", .data = &meter_ade9000 },
	{ }
};
MODULE_DEVICE_TABLE(of, meter_of_match);

static const struct spi_device_id meter_spi_ids[] = {
	{ "ade7953", (kernel_ulong_t)&meter_ade7953 },
	{ "atm90e32", (kernel_ulong_t)&meter_atm90e32 },
	{ "ade9000", (kernel_ulong_t)&meter_ade9000 },
	{ }
};
MODULE_DEVICE_TABLE(spi, meter_spi_ids);

static struct spi_driver meter_driver = {
	.driver = {
		.name = "meterlink",
		.of_match_table = meter_of_match,
	},
	.probe = meter_probe,
	.remove = meter_remove,
	.id_table = meter_spi_ids,
};

static int __init meter_init(void)
{
	int ret;

	ret = meter_chardev_init();
	if (ret)
		return ret;
	meter_debugfs_init();
	ret = meter_nl_init();
	if (ret)
		goto err_debugfs;
	ret = spi_register_driver(&meter_driver);
	if (ret)
		goto err_nl;
	return 0;

err_nl:
	meter_nl_exit();
err_debugfs:
	meter_debugfs_exit();
	meter_chardev_exit();
	return ret;
}

static void __exit meter_exit(void)
{
	spi_unregister_driver(&meter_driver);
	meter_nl_exit();
	meter_debugfs_exit();
	meter_chardev_exit();
}

module_init(meter_init);
module_exit(meter_exit);

MODULE_DESCRIPTION("SPI metering ICs as character devices with timestamped readings");
MODULE_AUTHOR("meterlink developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(METERLINK_VERSION);
