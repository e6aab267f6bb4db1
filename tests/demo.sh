#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo: a QEMU guest with simulated meters of three homes, read live.
#   home 1: a PV exporter      (ATM90E32, three phases, exporting)
#   home 2: a consumer         (ADE7953 with its data-ready IRQ)
#   home 3: a home battery     (ADE7953, channel A charging, channel B loads)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export METERLINK_BUILD=${METERLINK_BUILD:-$repo/build}
guest=$(mktemp "$METERLINK_BUILD/demo-guest.XXXXXX")
trap 'rm -f "$guest"' EXIT
cat > "$guest" <<GUEST
#!/bin/sh
set -e
S=/sys/kernel/debug/meterlink_sim
dump=$METERLINK_BUILD/tools/meterdump
echo "atm90e32 0" > \$S/new_device
echo "ade7953 1 irq" > \$S/new_device
echo "ade7953 2" > \$S/new_device
for p in 0 1 2; do echo "\$p 231000000 12000000 180000 50000" > \$S/cs0/model; done
echo "0 229500000 9500000 25842 50000" > \$S/cs1/model
echo "0 230200000 16000000 0 50000" > \$S/cs2/model
echo "1 230200000 3000000 36870 50000" > \$S/cs2/model
sleep 1
for cs in 0 1 2; do
	for m in /sys/class/meter/meter*; do
		case \$(readlink \$m/device) in *.\$cs) dev=/dev/\${m##*/} ;; esac
	done
	echo "== home \$((cs + 1)): \$dev (\$(cat /sys/class/meter/\${dev##*/}/chip))"
	\$dump -n 3 \$dev
done
GUEST
chmod +x "$guest"
echo "demo: booting a QEMU guest (Debian's kernel, TCG) with meterlink and three simulated homes..."
tests/qemu/run-guest --timeout 300 --log "$METERLINK_BUILD/qemu/demo.log" \
	--insmod kernel/meterlink_sim.ko --insmod kernel/meterlink.ko -- "$guest"
echo "demo: done (guest console log: $METERLINK_BUILD/qemu/demo.log)"
