// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink_sim from the device tree: a "meterlink,sim-spi" node is the
 * simulated controller, each child node a chip at chip select "reg",
 * answered by the emulator its compatible names ("adi,ade7953" -> the
 * ade7953 emulator). The SPI core makes the chips' devices from the same
 * nodes. Binding: Documentation/devicetree/bindings/spi/meterlink,sim-spi.yaml.
 */
#include <linux/device.h>
#include <linux/mod_devicetable.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/string.h>

#include "sim.h"

const struct of_device_id sim_of_match[] = {
	{ .compatible = "meterlink,sim-spi" },
	{ }
};
MODULE_DEVICE_TABLE(of, sim_of_match);

bool sim_of_present(void)
{
	struct device_node *np;
	bool found = false;

	for_each_compatible_node(np, NULL, sim_of_match[0].compatible)
		if (of_device_is_available(np))
			found = true;
	return found;
}

/* the emulator's name is the compatible's part after the vendor prefix */
static int sim_of_add_chip(struct device *dev, struct device_node *child)
{
	const char *compat, *emul;
	u32 cs;
	int ret;

	ret = of_property_read_u32(child, "reg", &cs);
	if (ret)
		return dev_err_probe(dev, ret, "%pOF: no chip select (reg)\n",
				     child);
	ret = of_property_read_string(child, "compatible", &compat);
	if (ret)
		return dev_err_probe(dev, ret, "%pOF: no compatible\n", child);
	if (cs >= SIM_NUM_CS)
		return dev_err_probe(dev, -EINVAL,
				     "%pOF: chip select %u is not 0..%u\n",
				     child, cs, SIM_NUM_CS - 1);
	emul = strchr(compat, ',');
	emul = emul ? emul + 1 : compat;
	ret = sim_add_of_chip(cs, emul, of_fwnode_handle(child));
	if (ret == -EINVAL)
		return dev_err_probe(dev, ret, "%pOF: no emulator for \"%s\"\n",
				     child, compat);
	if (ret == -EBUSY)
		return dev_err_probe(dev, ret,
				     "%pOF: chip select %u is taken by another node\n",
				     child, cs);
	if (ret)
		return dev_err_probe(dev, ret, "%pOF: cannot add the chip\n",
				     child);
	return 0;
}

/* before the controller registers: its chips must answer from the start */
int sim_of_add_chips(struct device *dev)
{
	struct device_node *child;
	int ret;

	for_each_available_child_of_node(dev->of_node, child) {
		ret = sim_of_add_chip(dev, child);
		if (ret) {
			of_node_put(child);
			return ret;
		}
	}
	return 0;
}
