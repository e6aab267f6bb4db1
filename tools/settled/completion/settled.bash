# SPDX-License-Identifier: GPL-2.0
# bash completion for settled(8)

_settled()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local opts='-c --config -f --foreground --check-config --version --help'
	local i

	case $prev in
	-c | --config)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	esac
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-c | --config) ((i++)) ;;
		prove) return ;;	# BUS_ID SEQ: nothing to offer
		esac
	done
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	else
		COMPREPLY=($(compgen -W 'prove keys' -- "$cur"))
	fi
}
complete -F _settled settled
