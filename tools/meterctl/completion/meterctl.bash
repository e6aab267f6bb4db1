# SPDX-License-Identifier: GPL-2.0
# bash completion for meterctl(8)

_meterctl_devs()
{
	local d
	for d in /sys/class/meter/meter*; do
		[[ -e $d ]] && printf '%s\n' "${d##*/}"
	done
}

_meterctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local cmds='list show watch set calibrate stats events'
	local i cmd='' ci=0

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]} ci=$i; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '-j --json -h --help' -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
		fi
		return
	fi

	# the position after the command and its device
	local n=$((COMP_CWORD - ci))
	case $cmd in
	show | stats)
		((n == 1)) && COMPREPLY=($(compgen -W "$(_meterctl_devs)" -- "$cur"))
		;;
	watch | events)
		if [[ $prev == -n ]]; then
			return
		elif [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '-n' -- "$cur"))
		elif [[ $cmd == watch ]]; then
			COMPREPLY=($(compgen -W "$(_meterctl_devs)" -- "$cur"))
		fi
		;;
	set)
		if ((n == 1)); then
			COMPREPLY=($(compgen -W "$(_meterctl_devs)" -- "$cur"))
		elif [[ $prev == mode ]]; then
			COMPREPLY=($(compgen -W 'poll irq' -- "$cur"))
		elif [[ $prev == period ]]; then
			COMPREPLY=($(compgen -W '10ms 100ms 1s' -- "$cur"))
		elif [[ $prev != batch ]]; then
			COMPREPLY=($(compgen -W 'period mode batch' -- "$cur"))
		fi
		;;
	calibrate)
		if ((n == 1)); then
			COMPREPLY=($(compgen -W "$(_meterctl_devs)" -- "$cur"))
		elif ((n == 2)); then
			COMPREPLY=($(compgen -W 'show phase voltage current power' -- "$cur"))
		elif [[ $prev == phase ]]; then
			COMPREPLY=($(compgen -W '0 1 2' -- "$cur"))
		elif [[ $prev != @(voltage|current|power) && ${COMP_WORDS[ci + 2]} != show ]]; then
			COMPREPLY=($(compgen -W 'phase voltage current power' -- "$cur"))
		fi
		;;
	esac
}

complete -F _meterctl meterctl
