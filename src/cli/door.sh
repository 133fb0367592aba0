# shellcheck shell=sh disable=SC2034,SC2154
# Sourced by bin/gocpu (SC2154: its node, name, self and nargs; SC2034: it reads
# door_direct, died and status).
# The agent's door (src/agent/door.ts, door-caller.ts): a warm call without node.
# node's own start (~120 ms on the bench machine) was most of a warm call, and what
# node did there the agent learns from /proc: our arguments, our environment as go
# gave it, our directory, and our stdin, stdout and stderr, which it opens anew by
# their /proc links. We knock with "PID NAME NARGS", wait, pass signals on and end
# as told (door-caller.ts has the lines). No door yet: we start the agent (door_start)
# and knock then, so a cold call starts one node, not two. Anything unusual, and the
# call goes node's way below, which starts an agent too where none runs; door_direct=1
# tells node not to ask the agent again (we said why, in one line).
door_direct=
door_phase=
door_sigs=0
door_passed=
# shellcheck disable=SC2317 # called by the traps below
door_signal() {
	door_sigs=$((door_sigs + 1))
	if [ "$door_phase" = started ] && [ -z "$door_passed" ]; then
		door_passed=1
		printf '%s\n' "$1" >&6
		return
	fi
	# Before the test started, or a second time: stop now, as node's wrapper does
	# (src/agent/client.ts); the agent sees us go and takes the remote run down. We die
	# by the signal as the launcher dies by a test's (finish, in bin/gocpu: under bash and
	# busybox sh, SIGQUIT needs more than a kill).
	[ "$door_phase" = wait ] && rm -f "$down" "$up"
	died=1
	case $1 in HUP) status=1 ;; INT) status=2 ;; QUIT) status=3 ;; *) status=15 ;; esac
	finish
}
# shellcheck disable=SC2317
door_alarm() {
	door_sigs=$((door_sigs + 1)) # dash's read returns early for it too: not an EOF
	[ "$door_phase" = wait ] || return 0
	# A warm call's agent (its pid from door_served) that died after our knock.
	if [ -z "$cold" ] && ! door_agent_alive; then
		printf 'gone\n' >&4
	else
		printf 'late\n' >&4
	fi
}
# Our copies of stdin, stdout and stderr (3, 7, 8) and the fifos' descriptors go, and
# our traps: node's way (the launcher's own traps) or the end follows.
door_close() {
	exec 3<&- 4<&- 5<&- 6>&- 7>&- 8>&-
	trap - HUP INT QUIT TERM
}
# Given up before the agent accepted: our fifos go too.
door_undo() {
	rm -f "$down" "$up"
	door_close
	door_phase=
}
# Direct mode, said once: node is told not to ask the agent again.
door_direct_mode() {
	printf 'gocpu: local: warning: %s; running directly\n' "$1" >&2
	door_direct=1
}
# A cold call's agent, started as src/agent/start.ts starts it: in a session of its own,
# in /, on /dev/null, never holding go's pipes. It says "ready" on a pipe once its door
# and socket are in place (or once it found another agent serving them), else why not;
# a reader turns that word, or the pipe's end (it died first), into a line on c$$.d,
# where the timer's "late" reaches us as well. No word: direct mode, as node's way.
door_start() {
	(
		# By its physical path, as node names it (src/agent/agent-alive.ts knows an agent by it).
		main=$(cd "$root/dist/bundle/agent" && pwd -P)/main.js || exit
		cd / || exit
		setsid "$node" "$main" 3>&1 >/dev/null 4>&- | {
			said=
			read -r said
			printf 's %s\n' "${said:-it exited without a word}" >&4
		}
	) </dev/null >/dev/null 2>&1 &
	while :; do
		line=
		read -r line <&4
		case $line in
		's ready') return 0 ;;
		s\ *) why="could not start the gocpu agent (${line#s })" ;;
		late) why="the gocpu agent did not answer within $door_s s" ;;
		*) continue ;;
		esac
		door_undo
		door_direct_mode "$why"
		return 1
	done
}
# The directory ours and closed to others (ls -ld: not a link either). Else node's way
# says why (src/agent/socket-path.ts).
door_dir() {
	[ -O "$dir" ] || return 1
	case $(ls -ld "$dir" 2>/dev/null) in drwx------*) ;; *) return 1 ;; esac
}
# The door is ours (a file's owner is who made it: no other user can have put it there)
# and served by a live agent of this installation (another copy of it may be another
# version). With door_dir beside it: the directory still closed to others, as node's way
# checks it on every call (src/agent/socket-path.ts): where others could write, they could
# stand in for our fifos. 0: served; 1: not ours to use (node's way says why); 2: no live
# agent serves it (none yet, one leaving has hidden it, or one was killed): a cold call.
door_served() {
	if ! [ -p "$door" ]; then
		[ -e "$door" ] || [ -L "$door" ] || return 2
		return 1
	fi
	[ -O "$door" ] || return 1
	{ read -r apid aroot <"$door.owner"; } 2>/dev/null || return 2
	# shellcheck disable=SC3013 # -ef: as above
	[ "$aroot" -ef "$root" ] || return 1
	door_agent_alive || return 2
}
# The agent door_served found (apid) is alive, and not a zombie (kill -0 succeeds on one:
# where nothing reaps orphans).
door_agent_alive() {
	{ read -r astat <"/proc/$apid/stat"; } 2>/dev/null || return 1
	case ${astat##*) } in Z* | X*) return 1 ;; esac
}
# Holds the door open on fd 3 until the knock: an agent that goes idle meanwhile waits
# for our knock before it leaves (door.ts's drain). <> never blocks, but creates a file
# where the name has just gone: then we were too late, and that file is no door.
door_enter() {
	{ exec 3<>"$door"; } 2>/dev/null || return 1
	[ -p /dev/fd/3 ] && return 0
	# shellcheck disable=SC3013 # -ef: as above
	[ -f "$door" ] && [ "$door" -ef /dev/fd/3 ] && rm -f "$door"
	exec 3<&-
	return 1
}
door() {
	case ${GOCPU_AGENT-} in 0 | off) return 1 ;; esac
	case ${name##*/} in go_*_*_exec) ;; *) return 1 ;; esac
	[ -t 0 ] && return 1 # a terminal's stdin runs in direct mode (src/cli/entry.ts)
	root=${self%/*}/..
	{ read -r bid <"$root/dist/bundle/build-id"; } 2>/dev/null || return 1
	if [ -n "${GOCPU_AGENT_DIR-}" ]; then
		dir=$GOCPU_AGENT_DIR
	elif [ -n "${XDG_RUNTIME_DIR-}" ]; then
		dir=$XDG_RUNTIME_DIR/gocpu
	else
		uid=
		{ while read -r key val _; do
			[ "$key" = Uid: ] && uid=$val && break
		done </proc/self/status; } 2>/dev/null
		[ -n "$uid" ] || return 1
		dir=/tmp/gocpu-$uid
	fi
	door=$dir/door-$bid
	# No live agent of this build: we start it ourselves (below) rather than leave it to
	# node's way, which starts a node for us and then one for the agent.
	door_served
	served=$?
	if [ "$served" = 0 ]; then
		door_dir || return 1
		door_enter || served=2
	fi
	cold=
	if [ "$served" = 2 ]; then
		command -v setsid >/dev/null 2>&1 || return 1
		[ -d "$dir" ] || mkdir -m 700 "$dir" 2>/dev/null || return 1
		door_dir || return 1
		cold=1
	elif [ "$served" != 0 ]; then
		return 1
	fi
	down=$dir/c$$.d
	up=$dir/c$$.u
	# (A leftover of a killed launcher of our pid: node's way, this once.)
	mkfifo -m 600 "$down" "$up" 2>/dev/null || {
		rm -f "$down" "$up"
		exec 3<&-
		return 1
	}

	# A wedged agent must not hang us: after 3 s we go node's way (direct mode). The
	# alarm is a line of ours on the fifo we wait on, since bash (unlike dash) resumes a
	# read after a trap. The timer is never killed (a kill that lands between its fork
	# and its exec is lost, and waiting for it then took 3 s): it signals only while we
	# still wait, c$$.d still there (the agent unlinks it when we go on, door_undo
	# when we give up), and only us, its parent still (not a process that got our pid).
	door_phase='wait'
	trap door_alarm ALRM
	for s in HUP INT QUIT TERM; do
		# shellcheck disable=SC2064 # the name, now
		trap "door_signal $s" "$s"
	done
	# A cold call's agent has 5 s more to start, as node's way gives it (src/agent/start.ts).
	door_s=3
	[ -z "$cold" ] || door_s=8
	# It looks every quarter of a second: a warm call's agent that died after our knock
	# (kill -9, the OOM killer) then sends us on at once, not after door_s (as a
	# wedged one does). A warm call is answered before its first look.
	# shellcheck disable=SC2086 # the fields of /proc/self/stat after the name
	(
		i=0
		while sleep 0.25; do
			read -r st </proc/self/stat
			set -- ${st##*) }
			[ "$2" = $$ ] && [ -p "$down" ] || exit 0
			i=$((i + 1))
			if [ "$i" -ge $((door_s * 4)) ] || { [ -z "$cold" ] && ! door_agent_alive; }; then
				kill -s ALRM $$
				exit 0
			fi
		done
	) </dev/null >/dev/null 2>&1 3<&- &
	# Read-write: opening a fifo so never blocks.
	exec 4<>"$down"
	# The agent we start may find another one serving that is itself leaving: it says
	# "ready" and exits, and that one's door is hidden. A few more tries, then node's way.
	tries=0
	while [ -n "$cold" ]; do
		door_start || return 1
		# door_dir held before the start: only we can change the directory's mode.
		door_served
		served=$?
		[ "$served" = 0 ] && door_enter && break
		tries=$((tries + 1))
		if [ "$served" = 1 ] || [ "$tries" -ge 3 ]; then
			door_undo
			return 1
		fi
	done
	printf '%s %s %s\n' "$$" "${name##*/}" "$nargs" >&3
	# Our stdin, stdout and stderr, for the agent to open, on fds 3, 7 and 8: a builtin's
	# redirection (`read <&5`, `printf >&6`) puts another file on fd 0 or 1 while it runs.
	exec 3<&0 7>&1 8>&2
	while :; do
		line=
		read -r line <&4
		case $line in
		a) break ;;
		d)
			door_undo
			return 1
			;;
		late)
			door_undo
			door_direct_mode "the gocpu agent did not answer within $door_s s"
			return 1
			;;
		gone)
			door_undo
			door_direct_mode 'the gocpu agent went away before it answered'
			return 1
			;;
		esac
	done

	# Accepted. Read-only now, so that the agent's end is our EOF; c$$.u read-write, so
	# that opening it never blocks, and "go" tells the agent we are still here.
	door_phase=accepted
	exec 5<"$down" 4<&- 6<>"$up"
	printf 'go\n' >&6
	while :; do
		line=
		sigs=$door_sigs
		if read -r line <&5; then
			case $line in
			t) door_phase=started ;;
			d)
				# Not this one (door-caller.ts: a stdout it cannot write exactly, a login that needs a terminal).
				door_close
				door_phase=
				return 1
				;;
			e\ *)
				status=${line#e }
				break
				;;
			k\ *)
				status=${line#k }
				died=1
				break
				;;
			esac
		elif [ "$sigs" = "$door_sigs" ]; then
			# EOF, not a trap's interruption (dash's read returns early for one).
			door_close
			if [ "$door_phase" = started ]; then
				printf '%s\n' 'gocpu: local: the gocpu agent ended while the test ran, so its result is lost (run the test again; GOCPU_AGENT=0 runs without the agent)' >&2
				status=125
				return 0
			fi
			door_direct_mode 'the gocpu agent went away before the test started'
			rm -f "$down" "$up" # gone before our "go" (which takes them away)
			door_phase=
			return 1
		fi
	done
	door_close
	return 0
}
