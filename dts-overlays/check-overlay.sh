#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-overlay.sh DTBO COMPATIBLE BASE_DTB OUT_DIR [SCHEMA_JSON]
#
# Checks one meterlink Raspberry Pi overlay as built by "make dtbs":
#   - the overlay's own nodes and properties (fdtget): root compatible,
#     the chip node, its IRQ pin node, the spidev fragments, __fixups__
#     for spi0/gpio/spidev0/spidev1, and the exact bytes of each
#     __overrides__ entry (cs, irq_gpio, irq_type, speed);
#   - that it applies (fdtoverlay) to a stand-in base tree with the same
#     labels as the Raspberry Pi one, and what the result looks like;
#   - with SCHEMA_JSON, that the applied tree passes dt-validate, which
#     checks the chip node against its binding.
# Prints one line per overlay; exits non-zero on the first failure.

set -eu

dtbo=$1 compat=$2 base=$3 out=$4 schema=${5-}
name=$(basename "$dtbo" .dtbo)
chip=/fragment-3/__overlay__/adc@0

fail() {
	echo "check-dtbs: $name: $*" >&2
	exit 1
}

get() {
	fdtget "$@" 2>/dev/null || fail "missing: fdtget $*"
}

expect() { # expect WHAT GOT WANT
	[ "$2" = "$3" ] || fail "$1 is '$2', expected '$3'"
}

# the bytes of a __overrides__ entry, as fdtget -t bx prints them, from
# (phandle, string) pairs
override_bytes() {
	while [ $# -gt 0 ]; do
		printf '%08x' "$1" | sed 's/../& /g'
		printf '%s' "$2" | od -An -v -tx1
		echo 00
		shift 2
	done | tr -s ' \n' '\n\n' | sed '/^$/d; s/^0\(.\)$/\1/' | paste -sd' '
}

expect "/ compatible" "$(get "$dtbo" / compatible)" "brcm,bcm2835"
expect "chip compatible" "$(get "$dtbo" $chip compatible)" "$compat"
expect "chip reg" "$(get "$dtbo" $chip reg)" "0"
get "$dtbo" $chip spi-max-frequency >/dev/null
get "$dtbo" $chip interrupt-names >/dev/null
set -- $(get "$dtbo" $chip interrupts)
[ $# -eq 2 ] || fail "interrupts has $# cells, expected 2"
irq_pin=$1
pins=$(get "$dtbo" /fragment-2/__overlay__ -l | head -n1)
pins_node=/fragment-2/__overlay__/$pins
expect "IRQ pin" "$(get "$dtbo" "$pins_node" brcm,pins)" "$irq_pin"
expect "IRQ pin function" "$(get "$dtbo" "$pins_node" brcm,function)" "0"
expect "spidev0 fragment status" \
	"$(get "$dtbo" /fragment-0/__overlay__ status)" "disabled"
expect "spidev1 fragment status" \
	"$(get "$dtbo" /fragment-1/__dormant__ status)" "disabled"
expect "spi0 fragment status" \
	"$(get "$dtbo" /fragment-3/__overlay__ status)" "okay"

fixups=$(get "$dtbo" /__fixups__ -p | sort | paste -sd' ')
expect "__fixups__" "$fixups" "gpio spi0 spidev0 spidev1"
expect "spi0 fixup" "$(get "$dtbo" /__fixups__ spi0)" "/fragment-3:target:0"
expect "spidev0 fixup" "$(get "$dtbo" /__fixups__ spidev0)" \
	"/fragment-0:target:0"
expect "spidev1 fixup" "$(get "$dtbo" /__fixups__ spidev1)" \
	"/fragment-1:target:0"

ph_chip=$(get "$dtbo" $chip phandle)
ph_pins=$(get "$dtbo" "$pins_node" phandle)
check_override() { # NAME PHANDLE STRING ...
	o=$1
	shift
	expect "__overrides__/$o" "$(get "$dtbo" /__overrides__ "$o" -t bx)" \
		"$(override_bytes "$@")"
}
check_override cs "$ph_chip" "reg:0" 0 "!0=1"
check_override irq_gpio "$ph_pins" "brcm,pins:0" "$ph_chip" "interrupts:0"
check_override irq_type "$ph_chip" "interrupts:4"
check_override speed "$ph_chip" "spi-max-frequency:0"

# apply it to the stand-in base tree
merged=$out/$name.applied.dtb
fdtoverlay -i "$base" -o "$merged" "$dtbo" || fail "fdtoverlay failed"
spi=/soc/spi@7e204000
expect "applied chip compatible" "$(get "$merged" $spi/adc@0 compatible)" \
	"$compat"
expect "applied spi0 status" "$(get "$merged" $spi status)" "okay"
expect "applied spidev@0 status" "$(get "$merged" $spi/spidev@0 status)" \
	"disabled"
fdtget "$merged" $spi/spidev@1 status >/dev/null 2>&1 &&
	fail "spidev@1 should be untouched with cs=0"
expect "applied IRQ pin" \
	"$(get "$merged" "/soc/gpio@7e200000/$pins" brcm,pins)" "$irq_pin"
gpio_ph=$(get "$merged" /soc/gpio@7e200000 phandle)
expect "applied interrupt-parent" \
	"$(get "$merged" $spi/adc@0 interrupt-parent)" "$gpio_ph"

if [ -n "$schema" ]; then
	log=$out/$name.validate.log
	dt-validate -s "$schema" "$merged" >"$log" 2>&1 || true
	[ ! -s "$log" ] || { cat "$log" >&2; fail "dt-validate found problems"; }
	echo "check-dtbs: $name: ok (nodes, __fixups__, __overrides__, fdtoverlay, dt-validate)"
else
	echo "check-dtbs: $name: ok (nodes, __fixups__, __overrides__, fdtoverlay)"
fi
