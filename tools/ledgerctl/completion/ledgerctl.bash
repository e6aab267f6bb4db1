# SPDX-License-Identifier: GPL-2.0
# bash completion for ledgerctl(8)

_ledgerctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local cmds='key status balance transfer order cancel orders trades
		settlements meters dispatch validators blocks verify report'
	local gopts='-j --json -d --db -s --socket -k --key -p --passphrase-file -h --help'
	local i cmd='' ci=0

	case $prev in
	-d | --db | -k | --key | -p | --passphrase-file | -s | --socket | \
	-o | --output | --html | --scratch)
		COMPREPLY=($(compgen -f -- "$cur"))
		[[ $prev == --scratch ]] && COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	esac
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-d | --db | -k | --key | -p | --passphrase-file | -s | --socket)
			((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]} ci=$i; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$gopts" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
		fi
		return
	fi

	local n=$((COMP_CWORD - ci)) sub=${COMP_WORDS[ci + 1]:-}
	case $cmd in
	key)
		if ((n == 1)); then
			COMPREPLY=($(compgen -W 'create show export' -- "$cur"))
		elif [[ $prev == --kdf ]]; then
			COMPREPLY=($(compgen -W 'interactive moderate sensitive' -- "$cur"))
		elif [[ $cur == -* && $sub == create ]]; then
			COMPREPLY=($(compgen -W '--kdf' -- "$cur"))
		else
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		;;
	order)
		((n == 1)) && COMPREPLY=($(compgen -W 'bid ask' -- "$cur"))
		;;
	orders | trades | settlements)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W '--account --interval' -- "$cur"))
		;;
	meters)
		((n == 1)) && COMPREPLY=($(compgen -W 'list register' -- "$cur"))
		;;
	dispatch)
		if ((n == 1)); then
			COMPREPLY=($(compgen -W 'list send ack' -- "$cur"))
		elif [[ $sub == send ]] && ((n == 3)); then
			COMPREPLY=($(compgen -W 'import-limit export-limit battery curtail' -- "$cur"))
		elif [[ $sub == ack ]] && ((n == 3)); then
			COMPREPLY=($(compgen -W 'accept reject' -- "$cur"))
		fi
		;;
	validators)
		if ((n == 1)); then
			COMPREPLY=($(compgen -W 'list propose' -- "$cur"))
		elif [[ $sub == propose ]] && ((n == 2)); then
			COMPREPLY=($(compgen -W 'add remove' -- "$cur"))
		fi
		;;
	blocks)
		if ((n == 1)); then
			COMPREPLY=($(compgen -W 'show export' -- "$cur"))
		elif [[ $prev == --format ]]; then
			COMPREPLY=($(compgen -W 'bin json' -- "$cur"))
		elif [[ $cur == -* && $sub == export ]]; then
			COMPREPLY=($(compgen -W '--format --output -o' -- "$cur"))
		fi
		;;
	verify)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W '--scratch' -- "$cur"))
		;;
	report)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W '--from --to --html --day' -- "$cur"))
		;;
	esac
}
complete -F _ledgerctl ledgerctl
