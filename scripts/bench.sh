#!/usr/bin/env bash
# make bench: the end-to-end walk benchmark. For each N it times
# `snmpbulkwalk -v2c -Cr50 -On` of ifTable and ifXTable through snmpd against
#   agent:  vppsim with N interfaces + snmpd + bin/vpp-snmp-agent
#   native: snmpd's own IF-MIB for N Linux interfaces in a network namespace
#   floor:  snmpd + bench/floor, a minimal AgentX responder (a precomputed table)
# alternating the configurations run by run, and prints the median seconds and
# µs per varbind of each, the ratios agent/native and agent/floor against the
# targets (DESIGN.md section 4), and the CPU and memory each process used. It
# also runs the Go benchmarks of agentx, mib and statsread. It is a measurement:
# it exits 0 whatever the ratios, and 1 only when a walk failed or was wrong.
#
# Environment:
#   BENCH_N="1000 10000"   interface counts
#   BENCH_RUNS=R           timed runs per configuration and table (default 5 for
#                          N <= 1000, 3 above)
#   BENCH_PIN="none 0"     CPU placements, each measured in turn: "none" lets the
#                          kernel place processes; a CPU list (e.g. "0") pins
#                          snmpd, the subagent and the client to it (see below)
#   BENCH_CONFIGS="agent native floor"
#   BENCH_GO=1             run the Go benchmarks (0 to skip); BENCH_GOTIME=1s
#   BENCH_KEEP=1           keep the temporary directory (logs, walk outputs)
#   BIN=bin                where make build put vpp-snmp-agent and vppsim
#
# Why pin: snmpd turns every varbind into an AgentX round trip, so a walk is
# tens of thousands of sleep/wake pairs between snmpd and the subagent. When
# they sit on different CPUs each wake-up is an inter-processor interrupt,
# which on a virtual machine costs tens of µs and swamps everything else; on
# one CPU it is a plain context switch. Both placements are real deployments.
#
# Isolation: the machine has few cores, so while one configuration is walked
# the processes of the others are stopped (SIGSTOP) and resumed (SIGCONT)
# for their own walks: snmpd's native IF-MIB re-reads 10,000 interfaces every
# few seconds even when idle, and the agent polls its counters.
#
# Everything runs on loopback and unix sockets in a temporary directory and
# in two network namespaces created here; all is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${BIN:-bin}
BENCH_N=${BENCH_N:-"1000 10000"}
BENCH_PIN=${BENCH_PIN:-"none 0"}
BENCH_CONFIGS=${BENCH_CONFIGS:-"agent native floor"}
BENCH_GO=${BENCH_GO:-1}
BENCH_GOTIME=${BENCH_GOTIME:-1s}
export MIBS= # numeric OIDs only; Debian ships no MIB files by default

ALLCPUS="0-$(($(nproc) - 1))"
CPUS=$ALLCPUS # the placement being measured
CLK_TCK=$(getconf CLK_TCK)
IFTABLE=1.3.6.1.2.1.2.2
IFXTABLE=1.3.6.1.2.1.31.1.1
TARGET_NATIVE=3.0
TARGET_FLOOR=1.15

DIR=$(mktemp -d /tmp/vpp-snmp-bench.XXXXXX)
NS=vppsnmpbench-$$    # the N Linux interfaces and the native snmpd
NSX=vppsnmpbench-$$-x # loopback only: the snmpds of the agent and the floor
pids=()               # every process started, for cleanup
stopped=()            # processes currently SIGSTOPped
failed=0

cleanup() {
	local p
	for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	ip netns del "$NSX" 2>/dev/null || true
	if [ "${BENCH_KEEP:-}" = 1 ]; then echo "bench: kept $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*"; }
die() { say "bench: $*" >&2; exit 1; }

# cpu_ticks PID: utime+stime of the whole process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# median of the arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{ if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2 }'; }

wait_for_file() { # PATH WHAT LOG
	local i
	for i in $(seq 1 150); do [ -e "$1" ] && return 0; sleep 0.1; done
	die "$2 did not come up (no $1); log: $(tail -5 "$3" 2>/dev/null)"
}

# ---------------------------------------------------------------- Go benchmarks
go_benchmarks() {
	local pkgs=() p
	for p in agentx mib statsread; do
		if [ -d "$p" ] && grep -qs '^func Benchmark' "$p"/*_test.go; then pkgs+=("./$p/"); fi
	done
	say "== Go benchmarks (go test -run '^\$' -bench . -benchmem -benchtime $BENCH_GOTIME ${pkgs[*]:-})"
	if [ ${#pkgs[@]} = 0 ]; then say "   (no package has benchmarks yet)"; return; fi
	if ! go test -run '^$' -bench . -benchmem -benchtime "$BENCH_GOTIME" -timeout 10m "${pkgs[@]}" 2>&1 |
		grep -Ev '^(goos|goarch|cpu):' | sed 's/^/   /'; then
		say "   (go test failed: see above)"
	fi
}

# ---------------------------------------------------------------- configurations
# Per configuration c: port[c], ns[c], procs[c] (pids to stop), pinned[c] (pids
# to pin: snmpd and the subagent), subagent pid
# (sub[c], whose CPU and memory are reported), snmpd pid (snmpd[c]), expected
# rows (rows[c]) and minimum ifIndex (minidx[c]).
declare -A port ns procs pinned sub snmpdpid rows minidx skip

start_snmpd() { # CONFIG NAMESPACE PORT WITH_AGENTX
	local c=$1 d=$DIR/$1
	mkdir -p "$d"
	{
		echo "agentaddress udp:127.0.0.1:$3"
		echo "rocommunity public 127.0.0.1"
		if [ "$4" = 1 ]; then echo "master agentx"; echo "agentXSocket unix:$d/master"; fi
	} >"$d/snmpd.conf"
	# snmpd's own IF-MIB stays loaded everywhere: the subagents must win over it.
	ip netns exec "$2" env SNMP_PERSISTENT_DIR="$d/persist" snmpd -f -Lf "$d/snmpd.log" -C -c "$d/snmpd.conf" \
		-p "$d/snmpd.pid" -I -smux,mteTrigger,mteTriggerConf >"$d/snmpd.out" 2>&1 &
	pids+=($!)
	wait_for_file "$d/snmpd.pid" "snmpd ($c)" "$d/snmpd.log"
	local p
	for _ in $(seq 1 50); do p=$(cat "$d/snmpd.pid" 2>/dev/null || true); [ -n "$p" ] && break; sleep 0.1; done
	pids+=("$p")
	snmpdpid[$c]=$p
	port[$c]=$3
	ns[$c]=$2
	procs[$c]=$p
	pinned[$c]=$p
	if [ "$4" = 1 ]; then wait_for_file "$d/master" "snmpd AgentX socket ($c)" "$d/snmpd.log"; fi
}

make_interfaces() { # N: N Linux interfaces in $NS (dummies, else N/2 veth pairs)
	local n=$1 i
	ip -n "$NS" link set lo up
	if ip -n "$NS" link add bench-probe type dummy 2>/dev/null; then
		ip -n "$NS" link del bench-probe
		for ((i = 0; i < n; i++)); do echo "link add d$i type dummy"; done | ip -n "$NS" -batch -
	else
		# No dummy driver here: veth pairs, two interfaces each.
		for ((i = 0; i < n / 2; i++)); do echo "link add v$i type veth peer name p$i"; done | ip -n "$NS" -batch -
		if ((n % 2)); then ip -n "$NS" link add "v$((n / 2))" type veth peer name "p$((n / 2))"; fi
	fi
}

# walk CONFIG TABLE OUT: one timed walk; prints seconds. The client runs in the
# configuration's namespace, pinned like the servers.
walk() {
	local c=$1 s e
	s=$EPOCHREALTIME
	taskset -c "$CPUS" ip netns exec "${ns[$c]}" snmpbulkwalk -v2c -c public -Cr50 -On -t 10 -r 0 \
		"127.0.0.1:${port[$c]}" "$2" >"$3" 2>"$3.err" || { e=$?; echo "FAIL exit $e"; return; }
	e=$EPOCHREALTIME
	awk -v s="$s" -v e="$e" 'BEGIN{printf "%.6f\n", e - s}'
}

# check OUT TABLE EXPECTED_ROWS MIN_IFINDEX: prints the varbind count, or
# "BAD reason". Every column must have exactly the expected rows, and the
# rows must be the subagent's (not snmpd's own, which start at ifIndex 1).
check() {
	awk -v pfx=".$2.1." -v rows="$3" -v minidx="$4" '
		index($0, ".1.3.6.1.") != 1 { next }   # continuation of a multi-line string
		{ n++ }
		index($0, pfx) != 1 { bad = bad " foreign:" $1; next }
		{
			split(substr($1, length(pfx) + 1), p, ".")
			cnt[p[1]]++
			if (p[2] + 0 < minidx) low++
		}
		END {
			if (n == 0) { print "BAD empty walk"; exit }
			for (c in cnt) { cols++; if (cnt[c] != rows) bad = bad sprintf(" col%s:%d", c, cnt[c]) }
			if (low) bad = bad sprintf(" %d rows below ifIndex %d", low, minidx)
			if (cols < 18) bad = bad sprintf(" only %d columns", cols)
			if (bad != "") print "BAD" substr(bad, 1, 200); else print n
		}' "$1"
}

# rows_of CONFIG: number of ifName rows (ifXTable column 1) the config serves.
rows_of() {
	ip netns exec "${ns[$1]}" snmpbulkwalk -v2c -c public -Cr50 -On -t 10 -r 0 "127.0.0.1:${port[$1]}" "$IFXTABLE.1.1" 2>/dev/null |
		grep -c "^\.$IFXTABLE\.1\.1\." || true
}

# wait_rows CONFIG N SECONDS: until the config serves at least N ifName rows.
wait_rows() {
	local r=0 t0=$SECONDS
	while ((SECONDS - t0 < $3)); do
		r=$(rows_of "$1")
		((r >= $2)) && { echo "$r"; return 0; }
		sleep 0.5
	done
	echo "$r"
	return 1
}

set_cpus() { # CPULIST PID...
	local cpus=$1 p
	shift
	for p in "$@"; do taskset -a -p -c "$cpus" "$p" >/dev/null 2>&1 || true; done
}

stop_others() { # CONFIG: stop every other configuration, resume this one
	local c p
	for p in "${stopped[@]}"; do kill -CONT "$p" 2>/dev/null || true; done
	stopped=()
	for c in $CONFIGS; do
		[ "$c" = "$1" ] && continue
		for p in ${procs[$c]}; do kill -STOP "$p" 2>/dev/null && stopped+=("$p"); done
	done
}

resume_all() {
	local p
	for p in "${stopped[@]}"; do kill -CONT "$p" 2>/dev/null || true; done
	stopped=()
}

start_configs() { # N
	local n=$1 d
	CONFIGS=""
	ip netns add "$NS"
	ip netns add "$NSX"
	ip -n "$NSX" link set lo up
	for c in $BENCH_CONFIGS; do
		skip[$c]=""
		case $c in
		native)
			local t0=$SECONDS
			make_interfaces "$n"
			rows[native]=$(ip -n "$NS" -o link | wc -l)
			minidx[native]=1
			say "   native: $((rows[native])) Linux interfaces (incl. lo) in namespace $NS, made in $((SECONDS - t0)) s"
			start_snmpd native "$NS" 16161 0
			sub[native]=""
			;;
		floor)
			start_snmpd floor "$NSX" 16163 1
			"$DIR/bin/floor" --agentx-addr "unix:$DIR/floor/master" --rows "$n" >"$DIR/floor/floor.log" 2>&1 &
			pids+=($!)
			sub[floor]=$!
			procs[floor]="${procs[floor]} $!"
			pinned[floor]="${pinned[floor]} $!"
			rows[floor]=$n
			minidx[floor]=1000
			;;
		agent)
			if [ ! -x "$BIN/vpp-snmp-agent" ] || [ ! -x "$BIN/vppsim" ]; then
				say "   agent: skipped, $BIN/vpp-snmp-agent or $BIN/vppsim not built yet"
				continue
			fi
			d=$DIR/agent
			mkdir -p "$d"
			"$BIN/vppsim" --api-socket "$d/api.sock" --stats-socket "$d/stats.sock" --cli-socket "$d/cli.sock" \
				--interfaces "$n" >"$d/vppsim.log" 2>&1 &
			pids+=($!)
			local sim=$!
			wait_for_file "$d/stats.sock" vppsim "$d/vppsim.log"
			wait_for_file "$d/api.sock" vppsim "$d/vppsim.log"
			start_snmpd agent "$NSX" 16162 1
			"$BIN/vpp-snmp-agent" --agentx-addr "unix:$d/master" --api-socket "$d/api.sock" \
				--stats-socket "$d/stats.sock" --ifindex-file "$d/ifindex.json" >"$d/agent.log" 2>&1 &
			pids+=($!)
			sub[agent]=$!
			procs[agent]="${procs[agent]} $! $sim"
			pinned[agent]="${pinned[agent]} $!" # not vppsim: VPP has cores of its own
			minidx[agent]=1000
			;;
		*) die "unknown configuration $c in BENCH_CONFIGS" ;;
		esac
		CONFIGS="$CONFIGS $c"
	done
	# Ready when every column serves its rows; this is also each one's warm-up.
	for c in $CONFIGS; do
		local want=${rows[$c]:-$n} got
		if ! got=$(wait_rows "$c" "$want" 120); then
			say "   $c: FAILED to serve $want ifName rows within 120 s (got $got); logs in $DIR/$c"
			failed=1
			skip[$c]=1
			continue
		fi
		rows[$c]=$got
		if [ "$c" = agent ]; then
			local ifnum
			ifnum=$(ip netns exec "$NSX" snmpget -v2c -c public -On -Oqv -t 5 -r 0 "127.0.0.1:${port[agent]}" 1.3.6.1.2.1.2.1.0 2>&1 || true)
			say "   agent: serves $got rows (vppsim --interfaces $n; ifNumber.0 = $ifnum)"
		fi
		walk "$c" "$IFTABLE" "$DIR/warm.$c" >/dev/null
	done
}

# ---------------------------------------------------------------- one N
bench_n() {
	local n=$1 runs=${BENCH_RUNS:-}
	[ -n "$runs" ] || { if ((n <= 1000)); then runs=5; else runs=3; fi; }
	say ""
	say "== N=$n interfaces, $runs runs per configuration, table and CPU placement"
	start_configs "$n"

	# Results: t[c,tab,pin] = space-separated seconds; vb[c,tab] = varbinds of
	# the last good walk; cpu[c,pin] / scpu[c,pin] = subagent / snmpd ticks.
	declare -A t vb cpu scpu
	local run pin c tab order s before sbefore out res
	for pin in $BENCH_PIN; do
		if [ "$pin" = none ]; then CPUS=$ALLCPUS; else CPUS=$pin; fi
		for c in $CONFIGS; do set_cpus "$CPUS" ${pinned[$c]}; done
		for ((run = 1; run <= runs; run++)); do
			# Alternate the order run by run so that no configuration always
			# follows the same one.
			if ((run % 2)); then order=$CONFIGS; else order=$(echo $CONFIGS | tr ' ' '\n' | tac | tr '\n' ' '); fi
			for c in $order; do
				[ -z "${skip[$c]}" ] || continue
				stop_others "$c"
				if [ "$c" = agent ]; then sleep 0.3; fi # let a poll that was due run
				for tab in $IFTABLE $IFXTABLE; do
					out=$DIR/$c/walk.$tab.$pin.$run
					before=$( [ -n "${sub[$c]}" ] && cpu_ticks "${sub[$c]}" || echo 0)
					sbefore=$(cpu_ticks "${snmpdpid[$c]}")
					s=$(walk "$c" "$tab" "$out")
					cpu[$c,$pin]=$((${cpu[$c,$pin]:-0} + $( [ -n "${sub[$c]}" ] && cpu_ticks "${sub[$c]}" || echo 0) - before))
					scpu[$c,$pin]=$((${scpu[$c,$pin]:-0} + $(cpu_ticks "${snmpdpid[$c]}") - sbefore))
					res=FAIL
					[[ $s == FAIL* ]] || res=$(check "$out" "$tab" "${rows[$c]}" "${minidx[$c]}")
					if [[ $res == BAD* || $res == FAIL* || $s == FAIL* ]]; then
						say "   $c $tab run $run: WALK FAILED: $s $res $(head -c 300 "$out.err")"
						failed=1
						skip[$c]=1
						break
					fi
					vb[$c,$tab]=$res
					t[$c,$tab,$pin]="${t[$c,$tab,$pin]:-} $s"
					rm -f "$out" "$out.err"
				done
			done
		done
		resume_all
	done

	# Report.
	say ""
	printf '   %-7s %-5s %-9s %8s %10s %11s   %s\n' config cpus table varbinds "median s" "µs/varbind" "all runs (s)"
	declare -A perv
	for pin in $BENCH_PIN; do
		for c in $CONFIGS; do
			local tot_s=0 tot_v=0 ok=1
			for tab in $IFTABLE $IFXTABLE; do
				local name=ifTable
				[ "$tab" = "$IFXTABLE" ] && name=ifXTable
				if [ -z "${t[$c,$tab,$pin]:-}" ]; then ok=0; printf '   %-7s %-5s %-9s %s\n' "$c" "$pin" "$name" "no good walk"; continue; fi
				local m
				m=$(median ${t[$c,$tab,$pin]})
				printf '   %-7s %-5s %-9s %8d %10.3f %11.2f   %s\n' "$c" "$pin" "$name" "${vb[$c,$tab]}" "$m" \
					"$(awk -v m="$m" -v v="${vb[$c,$tab]}" 'BEGIN{print m * 1e6 / v}')" "${t[$c,$tab,$pin]# }"
				tot_s=$(awk -v a="$tot_s" -v b="$m" 'BEGIN{print a + b}')
				tot_v=$((tot_v + vb[$c,$tab]))
			done
			if ((ok)); then perv[$c,$pin]=$(awk -v s="$tot_s" -v v="$tot_v" 'BEGIN{printf "%.3f", s * 1e6 / v}'); fi
		done
	done
	say ""
	say "   per varbind over ifTable+ifXTable (sum of medians / varbinds); CPU per varbind over all timed walks:"
	for pin in $BENCH_PIN; do
		for c in $CONFIGS; do
			[ -n "${perv[$c,$pin]:-}" ] || continue
			local nv=$(( (vb[$c,$IFTABLE] + vb[$c,$IFXTABLE]) * $(echo ${t[$c,$IFTABLE,$pin]} | wc -w) ))
			local line
			line=$(printf '   %-7s cpus %-5s %8s µs/varbind   snmpd CPU %6s µs/varbind' "$c" "$pin" "${perv[$c,$pin]}" \
				"$(awk -v k="${scpu[$c,$pin]:-0}" -v hz="$CLK_TCK" -v v="$nv" 'BEGIN{printf "%.2f", k / hz * 1e6 / v}')")
			if [ -n "${sub[$c]}" ]; then
				line="$line   $c CPU $(awk -v k="${cpu[$c,$pin]:-0}" -v hz="$CLK_TCK" -v v="$nv" 'BEGIN{printf "%.2f s = %.2f µs/varbind", k / hz, k / hz * 1e6 / v}')"
			fi
			say "$line"
		done
	done
	say ""
	for pin in $BENCH_PIN; do
		local a=${perv[agent,$pin]:-} nat=${perv[native,$pin]:-} fl=${perv[floor,$pin]:-}
		ratio() { # NUM DEN TARGET LABEL
			if [ -z "$1" ] || [ -z "$2" ]; then printf '%s n/a' "$4"; return; fi
			awk -v a="$1" -v b="$2" -v tg="$3" -v l="$4" 'BEGIN{r = a / b; printf "%s %.2f (target <= %s: %s)", l, r, tg, (r <= tg ? "PASS" : "MISS")}'
		}
		say "   N=$n cpus $pin: $(ratio "$a" "$nat" $TARGET_NATIVE agent/native)   $(ratio "$a" "$fl" $TARGET_FLOOR agent/floor)   floor/native $( [ -n "$fl" ] && [ -n "$nat" ] && awk -v a="$fl" -v b="$nat" 'BEGIN{printf "%.2f", a / b}' || echo n/a)"
	done
	if [ -n "${sub[agent]:-}" ] && [ -r "/proc/${sub[agent]}/status" ]; then
		say "   agent memory: $(awk '/^Vm(RSS|HWM)/{printf "%s %.1f MiB  ", $1, $2 / 1024}' "/proc/${sub[agent]}/status")threads $(awk '/^Threads/{print $2}' "/proc/${sub[agent]}/status")"
	fi
	if [ -n "${sub[floor]:-}" ] && [ -r "/proc/${sub[floor]}/status" ]; then
		say "   floor memory: $(awk '/^VmRSS/{printf "%s %.1f MiB", $1, $2 / 1024}' "/proc/${sub[floor]}/status")"
	fi
	stop_configs
}

stop_configs() {
	local p
	resume_all
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pids=()
	ip netns del "$NS" 2>/dev/null || true
	ip netns del "$NSX" 2>/dev/null || true
	unset port ns procs pinned sub snmpdpid rows minidx skip
	declare -gA port ns procs pinned sub snmpdpid rows minidx skip
}

# ---------------------------------------------------------------- main
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, interfaces); run: sudo make bench"
for tool in snmpd snmpbulkwalk snmpget ip taskset go; do command -v "$tool" >/dev/null || die "$tool not found (make deps)"; done
say "== vpp-snmp-agent bench: $(date -u +%FT%TZ), $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), $(snmpd -v 2>/dev/null | awk '/version/{print $NF; exit}')"
say "   commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), N: $BENCH_N, cpus: $BENCH_PIN, configurations: $BENCH_CONFIGS"
go build -o "$DIR/bin/floor" ./bench/floor || die "building bench/floor"
if [ "$BENCH_GO" = 1 ]; then go_benchmarks; fi
for n in $BENCH_N; do bench_n "$n"; done
say ""
if ((failed)); then say "bench: a walk FAILED (see above)"; exit 1; fi
say "bench: done (targets: agent/native <= $TARGET_NATIVE, agent/floor <= $TARGET_FLOOR per varbind; this is a measurement, MISS does not fail it)"
