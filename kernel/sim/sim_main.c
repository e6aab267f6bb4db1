// SPDX-License-Identifier: GPL-2.0
/*
 * meterlink_sim: the simulated SPI controller, its interrupt domain, and
 * the debugfs interface through which tests create chips, set the physical
 * model and inject faults (Documentation/simulator.rst).
 */
#include <linux/debugfs.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/spi/spi.h>
#include <linux/uaccess.h>

#include "sim.h"

#define SIM_FRAME_MAX	64

struct sim_slot {
	struct sim_chip *chip;
	struct spi_device *spi;
	struct dentry *dir;
	bool claimed;		/* someone is tearing it down */
	struct work_struct remove_work;
};

struct sim_ctlr {
	struct spi_controller *ctlr;
	struct irq_domain *domain;
	struct mutex lock;	/* slots */
	struct sim_slot slot[SIM_NUM_CS];
	struct dentry *dir;
	struct dentry *new_file, *delete_file;
};

static struct platform_device *sim_pdev;	/* when no device tree node */
static struct sim_ctlr *sim;

static const struct sim_emul *sim_emuls[] = {
	&sim_ade7953, &sim_atm90e32, &sim_ade9000,
};

static const struct sim_emul *sim_emul_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sim_emuls); i++)
		if (!strcmp(name, sim_emuls[i]->name))
			return sim_emuls[i];
	return NULL;
}

/* ---- interrupt line ---- */

void sim_irq_update(struct sim_chip *c)
{
	bool on;

	if (!c->virq || c->dying)
		return;
	on = c->storm || (!c->stuck && c->emul->irq_asserted(c));
	if (on && !c->masked && !c->queued) {
		c->queued = true;
		irq_work_queue(&c->irq_work);
	}
}

/* hard-IRQ context (IRQ_WORK_INIT_HARD), like an interrupt controller's handler */
static void sim_irq_work(struct irq_work *w)
{
	struct sim_chip *c = container_of(w, struct sim_chip, irq_work);
	bool fire;

	raw_spin_lock(&c->lock);
	c->queued = false;
	fire = !c->dying && !c->masked &&
	       (c->storm || (!c->stuck && c->emul->irq_asserted(c)));
	if (fire)
		c->irqs++;
	raw_spin_unlock(&c->lock);
	if (fire)
		generic_handle_irq(c->virq);
}

static void sim_irq_mask(struct irq_data *d)
{
	struct sim_chip *c = irq_data_get_irq_chip_data(d);
	unsigned long flags;

	raw_spin_lock_irqsave(&c->lock, flags);
	c->masked = true;
	raw_spin_unlock_irqrestore(&c->lock, flags);
}

static void sim_irq_unmask(struct irq_data *d)
{
	struct sim_chip *c = irq_data_get_irq_chip_data(d);
	unsigned long flags;

	raw_spin_lock_irqsave(&c->lock, flags);
	c->masked = false;
	sim_irq_update(c);	/* a level still asserted fires again */
	raw_spin_unlock_irqrestore(&c->lock, flags);
}

/* the emulated line is a level; its polarity is only a matter of wiring */
static int sim_irq_set_type(struct irq_data *d, unsigned int type)
{
	return type & IRQ_TYPE_LEVEL_MASK ? 0 : -EINVAL;
}

static struct irq_chip sim_irq_chip = {
	.name = "meterlink-sim",
	.irq_mask = sim_irq_mask,
	.irq_unmask = sim_irq_unmask,
	.irq_set_type = sim_irq_set_type,
};

/*
 * hwirq N is the IRQ output of the chip at chip select N. Mappings are made
 * by new_device (with sim->lock held) or, from a device tree "interrupts"
 * property, when the SPI core probes the chip's driver.
 */
static int sim_irq_map(struct irq_domain *d, unsigned int virq,
		       irq_hw_number_t hw)
{
	struct sim_chip *c = hw < SIM_NUM_CS ? sim->slot[hw].chip : NULL;

	if (!c)
		return -ENXIO;
	c->virq = virq;
	irq_set_chip_data(virq, c);
	irq_set_chip_and_handler(virq, &sim_irq_chip, handle_level_irq);
	return 0;
}

static const struct irq_domain_ops sim_irq_ops = {
	.map = sim_irq_map,
	.xlate = irq_domain_xlate_onetwocell,
};

static enum hrtimer_restart sim_tick_fn(struct hrtimer *t)
{
	struct sim_chip *c = container_of(t, struct sim_chip, tick);
	unsigned long flags;
	u64 ns;

	raw_spin_lock_irqsave(&c->lock, flags);
	ns = c->emul->tick_ns(c);
	if (ns && !c->dying)
		c->emul->tick(c);
	/* sim_tick_restart() may have queued it again meanwhile */
	if (!ns || c->dying || hrtimer_is_queued(t)) {
		raw_spin_unlock_irqrestore(&c->lock, flags);
		return HRTIMER_NORESTART;
	}
	hrtimer_forward_now(t, ns_to_ktime(ns));
	raw_spin_unlock_irqrestore(&c->lock, flags);
	return HRTIMER_RESTART;
}

/* with c->lock held: the emulator changed its tick period */
void sim_tick_restart(struct sim_chip *c)
{
	u64 ns = c->emul->tick_ns(c);

	if (ns && !c->dying)
		hrtimer_start(&c->tick, ns_to_ktime(ns), HRTIMER_MODE_REL);
}

/* ---- SPI ---- */

static int sim_transfer(struct spi_controller *ctlr, struct spi_message *msg)
{
	struct sim_chip *c = sim->slot[spi_get_chipselect(msg->spi, 0)].chip;
	u8 tx[SIM_FRAME_MAX], rx[SIM_FRAME_MAX];
	struct spi_transfer *x, *first;
	unsigned int len = 0, off;
	unsigned long flags;
	bool corrupt = false;
	int status = 0;

	msg->actual_length = 0;
	if (!c) {
		status = -ENODEV;
		goto out;
	}
	raw_spin_lock_irqsave(&c->lock, flags);
	c->messages++;
	if (c->err_in && !--c->err_in) {
		c->injected_errors++;
		status = -EIO;
	}
	if (c->corrupt_in && !--c->corrupt_in) {
		c->injected_corruptions++;
		corrupt = true;
	}
	raw_spin_unlock_irqrestore(&c->lock, flags);
	if (status)
		goto out;

	/* gather one chip-select window, answer it, scatter the reply */
	first = list_first_entry(&msg->transfers, struct spi_transfer,
				 transfer_list);
	list_for_each_entry(x, &msg->transfers, transfer_list) {
		bool end = list_is_last(&x->transfer_list, &msg->transfers) ||
			   x->cs_change;

		if (len + x->len > SIM_FRAME_MAX) {
			status = -EMSGSIZE;
			goto out;
		}
		if (x->tx_buf)
			memcpy(tx + len, x->tx_buf, x->len);
		else
			memset(tx + len, 0, x->len);
		len += x->len;
		if (!end)
			continue;
		memset(rx, 0, len);
		raw_spin_lock_irqsave(&c->lock, flags);
		if (!c->absent)
			c->emul->frame(c, tx, rx, len);
		raw_spin_unlock_irqrestore(&c->lock, flags);
		if (corrupt && len > 1) {
			rx[len - 1] ^= 0x10;	/* one bit flipped on MISO */
			corrupt = false;
		}
		for (off = 0; ; first = list_next_entry(first, transfer_list)) {
			if (first->rx_buf)
				memcpy(first->rx_buf, rx + off, first->len);
			off += first->len;
			msg->actual_length += first->len;
			if (first == x)
				break;
		}
		first = list_next_entry(x, transfer_list);
		len = 0;
	}
out:
	msg->status = status;
	spi_finalize_current_message(ctlr);
	return 0;
}

/* ---- chips ---- */

static struct sim_chip *sim_chip_new(const struct sim_emul *e)
{
	struct sim_chip *c;
	unsigned int p;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return NULL;
	c->priv = kzalloc(e->priv_size, GFP_KERNEL);
	if (!c->priv) {
		kfree(c);
		return NULL;
	}
	c->emul = e;
	raw_spin_lock_init(&c->lock);
	c->masked = true;
	/* hard: generic_handle_irq() wants hard-IRQ context, on PREEMPT_RT too */
	c->irq_work = IRQ_WORK_INIT_HARD(sim_irq_work);
	hrtimer_init(&c->tick, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	c->tick.function = sim_tick_fn;
	for (p = 0; p < SIM_MAX_PHASES; p++) {
		c->model[p].v_uv = 230000000;
		c->model[p].f_mhz = 50000;
		c->v_q32[p] = SIM_Q32_ONE;
		c->i_q32[p] = SIM_Q32_ONE;
	}
	c->last = ktime_get();
	e->reset(c);
	return c;
}

static void sim_chip_free(struct sim_chip *c)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&c->lock, flags);
	c->dying = true;
	raw_spin_unlock_irqrestore(&c->lock, flags);
	hrtimer_cancel(&c->tick);
	irq_work_sync(&c->irq_work);
	if (c->virq)
		irq_dispose_mapping(c->virq);
	kfree(c->priv);
	kfree(c);
}

/* Tears down the chip at @cs unless someone else already is. */
static int sim_delete(unsigned int cs)
{
	struct sim_slot *s = &sim->slot[cs];
	struct sim_chip *c;

	mutex_lock(&sim->lock);
	if (!s->chip || s->claimed) {
		mutex_unlock(&sim->lock);
		return -ENODEV;
	}
	s->claimed = true;
	mutex_unlock(&sim->lock);

	debugfs_remove(s->dir);
	spi_unregister_device(s->spi);

	mutex_lock(&sim->lock);
	c = s->chip;
	s->chip = NULL;
	s->spi = NULL;
	s->dir = NULL;
	s->claimed = false;
	mutex_unlock(&sim->lock);
	sim_chip_free(c);
	return 0;
}

/* a surprise removal; the chip now at this chip select may be a new one */
static void sim_remove_work(struct work_struct *w)
{
	struct sim_slot *s = container_of(w, struct sim_slot, remove_work);
	bool absent;

	mutex_lock(&sim->lock);
	absent = s->chip && s->chip->absent;
	mutex_unlock(&sim->lock);
	if (absent)
		sim_delete(s - sim->slot);
}

static ssize_t model_read(struct file *f, char __user *ubuf, size_t n,
			  loff_t *ppos)
{
	struct sim_chip *c = f->private_data;
	char buf[256];
	unsigned long flags;
	int len = 0;
	unsigned int p;

	raw_spin_lock_irqsave(&c->lock, flags);
	for (p = 0; p < c->emul->nr_phases; p++)
		len += scnprintf(buf + len, sizeof(buf) - len,
				 "%u %u %u %u %u\n", p, c->model[p].v_uv,
				 c->model[p].i_ua, c->model[p].angle_mdeg,
				 c->model[p].f_mhz);
	raw_spin_unlock_irqrestore(&c->lock, flags);
	return simple_read_from_buffer(ubuf, n, ppos, buf, len);
}

static ssize_t model_write(struct file *f, const char __user *ubuf, size_t n,
			   loff_t *ppos)
{
	struct sim_chip *c = f->private_data;
	struct sim_phase ph;
	unsigned long flags;
	unsigned int p;
	char buf[128];

	if (n >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, n))
		return -EFAULT;
	buf[n] = '\0';
	if (sscanf(buf, "%u %u %u %u %u", &p, &ph.v_uv, &ph.i_ua,
		   &ph.angle_mdeg, &ph.f_mhz) != 5)
		return -EINVAL;
	if (p >= c->emul->nr_phases || ph.v_uv > 1000000000 ||
	    ph.i_ua > 100000000 || ph.angle_mdeg >= 360000 ||
	    ph.f_mhz < 1000 || ph.f_mhz > 1000000)
		return -EINVAL;
	raw_spin_lock_irqsave(&c->lock, flags);
	sim_advance(c);		/* energy so far flowed at the old power */
	c->model[p] = ph;
	raw_spin_unlock_irqrestore(&c->lock, flags);
	return n;
}

static const struct file_operations model_fops = {
	.open = simple_open,
	.read = model_read,
	.write = model_write,
	.llseek = default_llseek,
};

static ssize_t fault_write(struct file *f, const char __user *ubuf, size_t n,
			   loff_t *ppos)
{
	struct sim_chip *c = f->private_data;
	char buf[64], what[16];
	unsigned long flags;
	unsigned int arg = 0, cs;
	int ret = n;

	if (n >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, n))
		return -EFAULT;
	buf[n] = '\0';
	if (sscanf(buf, "%15s %u", what, &arg) < 1)
		return -EINVAL;

	raw_spin_lock_irqsave(&c->lock, flags);
	if (!strcmp(what, "spi_error") && arg) {
		c->err_in = arg;
	} else if (!strcmp(what, "corrupt") && arg) {
		c->corrupt_in = arg;
	} else if (!strcmp(what, "irq_storm") && arg <= 1) {
		c->storm = arg;
		sim_irq_update(c);
	} else if (!strcmp(what, "irq_stuck") && arg <= 1) {
		c->stuck = arg;
	} else if (!strcmp(what, "remove")) {
		c->absent = true;
	} else {
		ret = -EINVAL;
	}
	raw_spin_unlock_irqrestore(&c->lock, flags);

	if (ret > 0 && !strcmp(what, "remove")) {
		mutex_lock(&sim->lock);
		for (cs = 0; cs < SIM_NUM_CS; cs++)
			if (sim->slot[cs].chip == c)
				schedule_work(&sim->slot[cs].remove_work);
		mutex_unlock(&sim->lock);
	}
	return ret;
}

static const struct file_operations fault_fops = {
	.open = simple_open,
	.write = fault_write,
	.llseek = default_llseek,
};

static int stats_show(struct seq_file *s, void *unused)
{
	struct sim_chip *c = s->private;
	u64 v[4], e[SIM_MAX_PHASES][2];
	unsigned long flags;
	unsigned int p, n;

	raw_spin_lock_irqsave(&c->lock, flags);
	v[0] = c->messages;
	v[1] = c->injected_errors;
	v[2] = c->injected_corruptions;
	v[3] = c->irqs;
	memcpy(e, c->energy_nj, sizeof(e));
	n = c->emul->nr_phases;
	raw_spin_unlock_irqrestore(&c->lock, flags);
	seq_printf(s, "messages %llu\ninjected_errors %llu\ninjected_corruptions %llu\nirqs %llu\n",
		   v[0], v[1], v[2], v[3]);
	for (p = 0; p < n; p++)
		seq_printf(s, "energy_import_nj_p%u %llu\nenergy_export_nj_p%u %llu\n",
			   p, e[p][0], p, e[p][1]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

/* A new chip answering as @e at @cs, with its debugfs files; sim->lock held. */
static struct sim_chip *sim_attach(unsigned int cs, const struct sim_emul *e)
{
	struct sim_slot *s = &sim->slot[cs];
	struct sim_chip *c;
	char name[8];

	if (s->chip)
		return ERR_PTR(-EBUSY);
	c = sim_chip_new(e);
	if (!c)
		return ERR_PTR(-ENOMEM);
	s->chip = c;
	snprintf(name, sizeof(name), "cs%u", cs);
	s->dir = debugfs_create_dir(name, sim->dir);
	debugfs_create_file("model", 0600, s->dir, c, &model_fops);
	debugfs_create_file("fault", 0200, s->dir, c, &fault_fops);
	debugfs_create_file("stats", 0400, s->dir, c, &stats_fops);
	return c;
}

/* undoes sim_attach() for a chip that never got its SPI device */
static void sim_detach(unsigned int cs)
{
	struct sim_slot *s = &sim->slot[cs];

	debugfs_remove(s->dir);
	sim_chip_free(s->chip);
	s->chip = NULL;
	s->dir = NULL;
}

/*
 * A chip for a device tree node; its SPI device comes from the SPI core. The
 * emulator sees the model through the board the node describes, as the
 * driver will.
 */
int sim_add_of_chip(unsigned int cs, const char *emul,
		    const struct fwnode_handle *board)
{
	const struct sim_emul *e = sim_emul_find(emul);
	struct sim_chip *c;

	if (cs >= SIM_NUM_CS || !e)
		return -EINVAL;
	mutex_lock(&sim->lock);
	c = sim_attach(cs, e);
	if (!IS_ERR(c))
		sim_board_apply(c, board);
	mutex_unlock(&sim->lock);
	return PTR_ERR_OR_ZERO(c);
}

static int sim_create(const char *alias, unsigned int cs, bool irq,
		      const char *as, const struct sim_board_args *board)
{
	struct spi_board_info info = {
		.max_speed_hz = 1000000,
		.mode = SPI_MODE_3,
		.chip_select = cs,
	};
	const struct sim_emul *e = sim_emul_find(as);
	struct sim_slot *s = &sim->slot[cs];
	struct fwnode_handle *fw;
	struct sim_chip *c;
	int ret = 0;

	if (!e || strlen(alias) >= SPI_NAME_SIZE)
		return -EINVAL;
	strscpy(info.modalias, alias, sizeof(info.modalias));
	/* the board, for the emulator and, as firmware would, for the driver */
	fw = sim_board_node(board);
	if (IS_ERR(fw))
		return PTR_ERR(fw);
	info.swnode = to_software_node(fw);

	mutex_lock(&sim->lock);
	c = sim_attach(cs, e);	/* the driver's probe talks to it at once */
	if (IS_ERR(c)) {
		ret = PTR_ERR(c);
		goto out;
	}
	sim_board_apply(c, fw);
	if (irq) {
		info.irq = irq_create_mapping(sim->domain, cs);
		if (!info.irq) {
			ret = -ENOSPC;
			goto err;
		}
	}
	s->spi = spi_new_device(sim->ctlr, &info);
	if (!s->spi) {
		ret = -EIO;
		goto err;
	}
	goto out;
err:
	sim_detach(cs);
out:
	mutex_unlock(&sim->lock);
	fwnode_remove_software_node(fw);	/* the device holds its own */
	return ret;
}

/* "<modalias> <cs> [irq] [as=<emulator>] [<board>=<v>[,<v>...]]..." */
static ssize_t new_device_write(struct file *f, const char __user *ubuf,
				size_t n, loff_t *ppos)
{
	struct sim_board_args board = { };
	char buf[192], *p, *alias, *w;
	const char *as = NULL;
	bool irq = false;
	unsigned int cs;
	int ret;

	if (n >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, n))
		return -EFAULT;
	buf[n] = '\0';
	p = strim(buf);
	alias = strsep(&p, " ");
	w = strsep(&p, " ");
	if (!*alias || !w || kstrtouint(w, 10, &cs) || cs >= SIM_NUM_CS)
		return -EINVAL;
	while ((w = strsep(&p, " "))) {
		if (!*w)
			continue;
		if (!strcmp(w, "irq"))
			irq = true;
		else if (!strncmp(w, "as=", 3))
			as = w + 3;
		else if (sim_board_arg(&board, w))
			return -EINVAL;
	}
	ret = sim_create(alias, cs, irq, as ? as : alias, &board);
	return ret ? ret : n;
}

static const struct file_operations new_device_fops = {
	.open = simple_open,
	.write = new_device_write,
	.llseek = default_llseek,
};

static ssize_t delete_device_write(struct file *f, const char __user *ubuf,
				   size_t n, loff_t *ppos)
{
	unsigned int cs;
	int ret;

	ret = kstrtouint_from_user(ubuf, n, 0, &cs);
	if (ret)
		return ret;
	if (cs >= SIM_NUM_CS)
		return -EINVAL;
	ret = sim_delete(cs);
	return ret ? ret : n;
}

static const struct file_operations delete_device_fops = {
	.open = simple_open,
	.write = delete_device_write,
	.llseek = default_llseek,
};

static int bus_num_show(struct seq_file *s, void *unused)
{
	seq_printf(s, "%d\n", sim->ctlr->bus_num);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bus_num);

/* the SPI devices the SPI core made for device tree chips */
static int sim_find_spi(struct device *dev, void *unused)
{
	struct spi_device *spi = to_spi_device(dev);
	struct sim_slot *s;

	if (dev->bus != &spi_bus_type)
		return 0;
	s = &sim->slot[spi_get_chipselect(spi, 0)];
	if (s->chip && !s->spi)
		s->spi = spi;
	return 0;
}

static int sim_probe(struct platform_device *pdev)
{
	struct device_node *np = pdev->dev.of_node;
	struct spi_controller *ctlr;
	unsigned int cs;
	int ret;

	if (sim)
		return dev_err_probe(&pdev->dev, -EBUSY,
				     "only one simulated SPI controller\n");
	ctlr = spi_alloc_master(&pdev->dev, sizeof(*sim));
	if (!ctlr)
		return -ENOMEM;
	sim = spi_controller_get_devdata(ctlr);
	sim->ctlr = ctlr;
	mutex_init(&sim->lock);
	for (cs = 0; cs < SIM_NUM_CS; cs++)
		INIT_WORK(&sim->slot[cs].remove_work, sim_remove_work);
	ctlr->bus_num = -1;
	ctlr->num_chipselect = SIM_NUM_CS;
	ctlr->mode_bits = SPI_CPOL | SPI_CPHA;
	ctlr->bits_per_word_mask = SPI_BPW_MASK(8);
	ctlr->max_speed_hz = 20000000;
	ctlr->transfer_one_message = sim_transfer;
	ctlr->dev.of_node = np;

	sim->domain = irq_domain_add_linear(np, SIM_NUM_CS, &sim_irq_ops, sim);
	if (!sim->domain) {
		ret = -ENOMEM;
		goto err_ctlr;
	}
	sim->dir = debugfs_create_dir("meterlink_sim", NULL);
	ret = sim_of_add_chips(&pdev->dev);
	if (ret)
		goto err_chips;
	ret = spi_register_controller(ctlr);
	if (ret)
		goto err_chips;
	device_for_each_child(&ctlr->dev, NULL, sim_find_spi);

	sim->new_file = debugfs_create_file("new_device", 0200, sim->dir, NULL,
					    &new_device_fops);
	sim->delete_file = debugfs_create_file("delete_device", 0200, sim->dir,
					       NULL, &delete_device_fops);
	debugfs_create_file("bus_num", 0400, sim->dir, NULL, &bus_num_fops);
	return 0;

err_chips:
	for (cs = 0; cs < SIM_NUM_CS; cs++)
		if (sim->slot[cs].chip)
			sim_detach(cs);
	debugfs_remove(sim->dir);
	irq_domain_remove(sim->domain);
err_ctlr:
	spi_controller_put(ctlr);
	sim = NULL;
	return ret;
}

static int sim_remove(struct platform_device *pdev)
{
	struct spi_controller *ctlr = sim->ctlr;
	struct irq_domain *domain = sim->domain;
	unsigned int cs;

	/* no new chips, then no chips, then no work that could find one */
	debugfs_remove(sim->new_file);
	debugfs_remove(sim->delete_file);
	for (cs = 0; cs < SIM_NUM_CS; cs++) {
		sim_delete(cs);
		cancel_work_sync(&sim->slot[cs].remove_work);
	}
	debugfs_remove(sim->dir);
	spi_unregister_controller(ctlr);	/* frees sim */
	sim = NULL;
	irq_domain_remove(domain);
	return 0;
}

static struct platform_driver sim_driver = {
	.driver = {
		.name = "meterlink_sim",
		.of_match_table = sim_of_match,
	},
	.probe = sim_probe,
	.remove = sim_remove,
};

/*
 * With a device tree node (sim_of.c) the controller is that node's device;
 * otherwise a bare platform device of our own. Either way it probes before
 * this returns, so a module that loaded has its controller.
 */
static int __init sim_init(void)
{
	int ret;

	ret = platform_driver_register(&sim_driver);
	if (ret)
		return ret;
	if (!sim_of_present()) {
		sim_pdev = platform_device_register_simple("meterlink_sim", -1,
							   NULL, 0);
		if (IS_ERR(sim_pdev)) {
			ret = PTR_ERR(sim_pdev);
			goto err_driver;
		}
	}
	if (!sim) {
		ret = -ENODEV;	/* the probe said why */
		goto err_pdev;
	}
	return 0;

err_pdev:
	if (!IS_ERR_OR_NULL(sim_pdev))
		platform_device_unregister(sim_pdev);
err_driver:
	platform_driver_unregister(&sim_driver);
	return ret;
}

static void __exit sim_exit(void)
{
	if (sim_pdev)
		platform_device_unregister(sim_pdev);
	platform_driver_unregister(&sim_driver);
}

module_init(sim_init);
module_exit(sim_exit);

MODULE_DESCRIPTION("Simulated SPI bus with metering IC emulators for meterlink");
MODULE_AUTHOR("meterlink developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(METERLINK_VERSION);
