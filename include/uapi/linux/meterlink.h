/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * meterlink: character device ABI for SPI metering ICs.
 *
 * Each metering chip appears as /dev/meterN (class "meter"). read() returns
 * whole struct meterlink_reading records, never a partial one: a buffer
 * smaller than one record gets -EINVAL. Every open file has its own position
 * in a per-device ring of records. A reader that falls more than the ring
 * size behind loses the oldest records: it sees the gap in @seq, and the
 * number of records it lost in METER_IOC_GET_STATS (@overruns). The
 * producer never waits for a reader.
 *
 * Units are SI-derived integers: microvolts, microamperes, milliwatts,
 * millivar, millivoltampere, microwatt-hours, millihertz, and power factor
 * in millionths. No field is floating point.
 *
 * Record layout (240 bytes, every field naturally aligned, same on 32- and
 * 64-bit ABIs):
 *
 *   meterlink_reading
 *   +-- version, size, flags
 *   +-- seq                       per device, +1 per record, never reused
 *   +-- realtime_ns, boottime_ns  when the values were taken (see below)
 *   +-- uncertainty_ns            the values were latched in
 *   |                             [timestamp, timestamp + uncertainty_ns]
 *   +-- nr_phases                 1..METERLINK_MAX_PHASES valid entries
 *   +-- phase[METERLINK_MAX_PHASES]
 *       +-- energy_import_uwh     64-bit, kept by the driver, never wraps
 *       +-- energy_export_uwh
 *       +-- active_mw, reactive_mvar, apparent_mva
 *       +-- voltage_uv, current_ua, power_factor, frequency_mhz
 *
 * Timestamps. In interrupt mode the timestamp is taken in the hard-IRQ top
 * half on the chip's data-ready edge and uncertainty_ns spans from it to the
 * end of the SPI read. In polling mode the timestamp is the period boundary
 * the driver's timer was set for (boundaries are multiples of the period in
 * CLOCK_REALTIME) and uncertainty_ns spans from that boundary to the end of
 * the SPI read. boottime_ns is the same instant in CLOCK_BOOTTIME.
 */
#ifndef _UAPI_LINUX_METERLINK_H
#define _UAPI_LINUX_METERLINK_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define METERLINK_READING_VERSION	1
#define METERLINK_MAX_PHASES		3
#define METERLINK_NAME_LEN		16

/* struct meterlink_reading.flags */
#define METERLINK_F_IRQ		(1U << 0) /* taken in interrupt mode */
#define METERLINK_F_SPI_ERROR	(1U << 1) /* a register could not be read:
					   * values of this record are not
					   * valid; energy is carried over
					   */
#define METERLINK_F_CORRECTED	(1U << 2) /* a corrupted word was detected
					   * and corrected by re-reading
					   */
#define METERLINK_F_MISSED	(1U << 3) /* acquisition periods were skipped
					   * before this record
					   */
#define METERLINK_F_IRQ_FAULT	(1U << 4) /* IRQ storm or lost IRQ: the
					   * device fell back to polling
					   */
#define METERLINK_F_INVALID	(1U << 5) /* values not trustworthy (a word
					   * stayed inconsistent on re-read)
					   */
#define METERLINK_F_ALL		0x3fU

struct meterlink_phase {
	__u64 energy_import_uwh;
	__u64 energy_export_uwh;
	__s64 active_mw;
	__s64 reactive_mvar;
	__s64 apparent_mva;
	__u32 voltage_uv;
	__u32 current_ua;
	__s32 power_factor;	/* millionths, sign of active power */
	__u32 frequency_mhz;
	__u32 reserved[2];	/* zero */
};

struct meterlink_reading {
	__u16 version;		/* METERLINK_READING_VERSION */
	__u16 size;		/* sizeof(struct meterlink_reading) */
	__u32 flags;		/* METERLINK_F_* */
	__u64 seq;
	__s64 realtime_ns;
	__s64 boottime_ns;
	__u32 uncertainty_ns;
	__u32 nr_phases;
	__u32 reserved[2];	/* zero */
	struct meterlink_phase phase[METERLINK_MAX_PHASES];
};

/* chip identifiers, struct meterlink_info.chip */
enum meterlink_chip {
	METERLINK_CHIP_UNSPEC,
	METERLINK_CHIP_ADE7953,
	METERLINK_CHIP_ATM90E32,
	METERLINK_CHIP_ADE9000,
	__METERLINK_CHIP_MAX,
};

/* acquisition modes */
enum meterlink_mode {
	METERLINK_MODE_POLL,	/* hrtimer aligned to period boundaries */
	METERLINK_MODE_IRQ,	/* the chip's data-ready interrupt */
	__METERLINK_MODE_MAX,
};

/* struct meterlink_info.caps */
#define METERLINK_CAP_IRQ	(1U << 0) /* IRQ mode available on this board */

struct meterlink_info {
	__u32 chip;		/* enum meterlink_chip */
	__u32 nr_phases;
	char name[METERLINK_NAME_LEN];	/* "ade7953", NUL-terminated */
	__u32 caps;		/* METERLINK_CAP_* */
	__u32 mode;		/* enum meterlink_mode */
	__u64 period_ns;
	__u64 min_period_ns;
	__u64 max_period_ns;	/* the chip's: energy must not wrap */
	__u32 ring_records;	/* records the ring holds */
	__u32 record_size;	/* sizeof(struct meterlink_reading) */
	__u32 reserved[4];
};

/*
 * Calibration: per-phase gains in parts per million applied by the driver
 * on top of the board scaling. Range +-METERLINK_CALIB_MAX_PPM. Setting it
 * needs CAP_SYS_ADMIN. @flags and @reserved must be zero, @nr_phases must
 * equal the device's phase count.
 */
#define METERLINK_CALIB_MAX_PPM	200000

struct meterlink_phase_calib {
	__s32 voltage_ppm;
	__s32 current_ppm;
	__s32 power_ppm;	/* active, reactive, apparent power and energy */
	__u32 reserved;
};

struct meterlink_calibration {
	__u32 flags;
	__u32 nr_phases;
	struct meterlink_phase_calib phase[METERLINK_MAX_PHASES];
};

/* counters of the device and, for @overruns, of the calling file */
struct meterlink_stats {
	__u64 samples;		/* records produced */
	__u64 overruns;		/* records this file lost to ring overrun */
	__u64 spi_errors;	/* failed SPI transfers */
	__u64 corrected;	/* corrupted words detected and corrected */
	__u64 invalid;		/* records flagged METERLINK_F_INVALID */
	__u64 irqs;		/* data-ready interrupts taken */
	__u64 spurious_irqs;	/* interrupts without a data-ready status */
	__u64 missed_periods;	/* acquisition periods skipped */
	__u64 irq_faults;	/* fallbacks from IRQ to polling mode */
	__u64 nl_drops;		/* readings batches netlink could not deliver */
	__u64 acq_ns;		/* time spent reading samples from the chip */
	__u64 reserved[1];
};

#define METER_IOC_MAGIC		0xB7

#define METER_IOC_GET_INFO	_IOR(METER_IOC_MAGIC, 0x01, struct meterlink_info)
/* period in ns; range in info; needs the file open for writing */
#define METER_IOC_SET_PERIOD	_IOW(METER_IOC_MAGIC, 0x02, __u64)
/* enum meterlink_mode; needs the file open for writing */
#define METER_IOC_SET_MODE	_IOW(METER_IOC_MAGIC, 0x03, __u32)
#define METER_IOC_GET_CALIB	_IOR(METER_IOC_MAGIC, 0x04, struct meterlink_calibration)
#define METER_IOC_SET_CALIB	_IOW(METER_IOC_MAGIC, 0x05, struct meterlink_calibration)
#define METER_IOC_GET_STATS	_IOR(METER_IOC_MAGIC, 0x06, struct meterlink_stats)

/*
 * Generic netlink family "meterlink" (version 1). The spec, from which this
 * is written, is Documentation/netlink/specs/meterlink.yaml.
 *
 *   METERLINK_CMD_DEV_GET     do (METERLINK_A_DEV_ID) or dump; reply:
 *                             the device attributes below
 *   METERLINK_CMD_DEV_SET     METERLINK_A_DEV_ID and any of PERIOD_NS,
 *                             MODE, BATCH_COUNT, BATCH_NS (CAP_NET_ADMIN)
 *   METERLINK_CMD_CALIB_GET   METERLINK_A_DEV_ID; reply METERLINK_A_CALIB
 *   METERLINK_CMD_CALIB_SET   METERLINK_A_DEV_ID, METERLINK_A_CALIB
 *                             (CAP_NET_ADMIN)
 *   METERLINK_CMD_STATS_GET   do (METERLINK_A_DEV_ID) or dump; reply
 *                             METERLINK_A_DEV_ID, METERLINK_A_STATS
 *   METERLINK_CMD_READINGS    multicast "readings" (joining needs
 *                             CAP_NET_ADMIN): METERLINK_A_DEV_ID and one
 *                             METERLINK_A_READING per record, in seq order;
 *                             also a dump (CAP_NET_ADMIN) of the records
 *                             the device's ring still holds: request
 *                             METERLINK_A_DEV_ID and METERLINK_A_SEQ (the
 *                             first record wanted; default the oldest
 *                             held; beyond the next record is EINVAL),
 *                             replies like the multicast ones, up to the
 *                             newest record when the dump started. Records
 *                             overwritten meanwhile are skipped: their
 *                             seqs are missing
 *   METERLINK_CMD_DEV_ADD, METERLINK_CMD_DEV_DEL, METERLINK_CMD_FAULT,
 *   METERLINK_CMD_OVERRUN, METERLINK_CMD_CLOCK_STEP
 *                             multicast "events"; each carries
 *                             METERLINK_A_DEV_ID (CLOCK_STEP: of the meter
 *                             whose records showed the step)
 *
 *   METERLINK_A_DEV_ID            u32, N of /dev/meterN
 *   METERLINK_A_DEV_NAME          string, "meterN"
 *   METERLINK_A_DEV_CHIP          string, "ade7953"
 *   METERLINK_A_DEV_CHIP_ID       u32, enum meterlink_chip
 *   METERLINK_A_DEV_BUS_ID        string, the SPI device, "spi0.1"
 *   METERLINK_A_DEV_NR_PHASES     u32
 *   METERLINK_A_DEV_CAPS          u32, METERLINK_CAP_*
 *   METERLINK_A_DEV_MODE          u32, enum meterlink_mode
 *   METERLINK_A_DEV_PERIOD_NS     u64
 *   METERLINK_A_DEV_MIN_PERIOD_NS u64
 *   METERLINK_A_DEV_MAX_PERIOD_NS u64
 *   METERLINK_A_DEV_BATCH_COUNT   u32, records per readings message, 1..64
 *   METERLINK_A_DEV_BATCH_NS      u64, longest a record waits, 1 ms..10 s
 *   METERLINK_A_DEV_GENERATION    u32, changes when devices come and go
 *   METERLINK_A_CALIB             nest
 *     METERLINK_A_CALIB_PHASE     nest, one per phase, in phase order
 *       METERLINK_A_CALIB_PHASE_INDEX    u32
 *       METERLINK_A_CALIB_VOLTAGE_PPM    s32
 *       METERLINK_A_CALIB_CURRENT_PPM    s32
 *       METERLINK_A_CALIB_POWER_PPM      s32
 *   METERLINK_A_STATS             nest of u64 counters, METERLINK_A_STATS_*
 *   METERLINK_A_READING           binary, struct meterlink_reading
 *   METERLINK_A_FAULT             u32, enum meterlink_fault
 *   METERLINK_A_OVERRUN_COUNT     u64, records lost to netlink delivery
 *   METERLINK_A_CLOCK_STEP_NS     s64, how far CLOCK_REALTIME jumped
 *   METERLINK_A_SEQ               u64, a record's seq (readings dump)
 */
#define METERLINK_GENL_NAME		"meterlink"
#define METERLINK_GENL_VERSION		1
#define METERLINK_MCGRP_READINGS	"readings"
#define METERLINK_MCGRP_EVENTS		"events"
#define METERLINK_BATCH_MAX		64

enum meterlink_cmd {
	METERLINK_CMD_UNSPEC,
	METERLINK_CMD_DEV_GET,
	METERLINK_CMD_DEV_SET,
	METERLINK_CMD_CALIB_GET,
	METERLINK_CMD_CALIB_SET,
	METERLINK_CMD_STATS_GET,
	METERLINK_CMD_READINGS,
	METERLINK_CMD_DEV_ADD,
	METERLINK_CMD_DEV_DEL,
	METERLINK_CMD_FAULT,
	METERLINK_CMD_OVERRUN,
	METERLINK_CMD_CLOCK_STEP,
	__METERLINK_CMD_MAX,
};

#define METERLINK_CMD_MAX (__METERLINK_CMD_MAX - 1)

enum meterlink_attr {
	METERLINK_A_UNSPEC,
	METERLINK_A_PAD,
	METERLINK_A_DEV_ID,
	METERLINK_A_DEV_NAME,
	METERLINK_A_DEV_CHIP,
	METERLINK_A_DEV_CHIP_ID,
	METERLINK_A_DEV_BUS_ID,
	METERLINK_A_DEV_NR_PHASES,
	METERLINK_A_DEV_CAPS,
	METERLINK_A_DEV_MODE,
	METERLINK_A_DEV_PERIOD_NS,
	METERLINK_A_DEV_MIN_PERIOD_NS,
	METERLINK_A_DEV_MAX_PERIOD_NS,
	METERLINK_A_DEV_BATCH_COUNT,
	METERLINK_A_DEV_BATCH_NS,
	METERLINK_A_DEV_GENERATION,
	METERLINK_A_CALIB,
	METERLINK_A_STATS,
	METERLINK_A_READING,
	METERLINK_A_FAULT,
	METERLINK_A_OVERRUN_COUNT,
	METERLINK_A_CLOCK_STEP_NS,
	METERLINK_A_SEQ,
	__METERLINK_A_MAX,
};

#define METERLINK_A_MAX (__METERLINK_A_MAX - 1)

enum meterlink_calib_attr {
	METERLINK_A_CALIB_UNSPEC,
	METERLINK_A_CALIB_PHASE,
	__METERLINK_A_CALIB_MAX,
};

#define METERLINK_A_CALIB_MAX (__METERLINK_A_CALIB_MAX - 1)

enum meterlink_calib_phase_attr {
	METERLINK_A_CALIB_PHASE_UNSPEC,
	METERLINK_A_CALIB_PHASE_INDEX,
	METERLINK_A_CALIB_VOLTAGE_PPM,
	METERLINK_A_CALIB_CURRENT_PPM,
	METERLINK_A_CALIB_POWER_PPM,
	__METERLINK_A_CALIB_PHASE_MAX,
};

#define METERLINK_A_CALIB_PHASE_MAX (__METERLINK_A_CALIB_PHASE_MAX - 1)

enum meterlink_stats_attr {
	METERLINK_A_STATS_UNSPEC,
	METERLINK_A_STATS_PAD,
	METERLINK_A_STATS_SAMPLES,
	METERLINK_A_STATS_SPI_ERRORS,
	METERLINK_A_STATS_CORRECTED,
	METERLINK_A_STATS_INVALID,
	METERLINK_A_STATS_IRQS,
	METERLINK_A_STATS_SPURIOUS_IRQS,
	METERLINK_A_STATS_MISSED_PERIODS,
	METERLINK_A_STATS_IRQ_FAULTS,
	METERLINK_A_STATS_NL_DROPS,	/* readings messages not delivered */
	METERLINK_A_STATS_ACQ_NS,	/* time spent reading samples */
	__METERLINK_A_STATS_MAX,
};

#define METERLINK_A_STATS_MAX (__METERLINK_A_STATS_MAX - 1)

enum meterlink_fault {
	METERLINK_FAULT_UNSPEC,
	METERLINK_FAULT_SPI,		/* a sample could not be read */
	METERLINK_FAULT_CORRUPT,	/* a word stayed inconsistent */
	METERLINK_FAULT_IRQ_STORM,	/* fell back to polling */
	METERLINK_FAULT_IRQ_LOST,	/* fell back to polling */
	__METERLINK_FAULT_MAX,
};

#endif /* _UAPI_LINUX_METERLINK_H */
