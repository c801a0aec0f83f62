#!/usr/bin/env bash
# make bench: the end-to-end walk benchmark. For each N it times
# `snmpbulkwalk -v2c -Cr50 -On` of ifTable and ifXTable through snmpd against
#   agent:  vppsim with N interfaces + snmpd + bin/vpp-snmp-agent
#   native: snmpd's own IF-MIB for N Linux interfaces in a network namespace
#   floor:  snmpd + bench/floor, a minimal AgentX responder (a precomputed table)
# alternating the configurations run by run, and prints the median seconds and
# µs per varbind of each, the ratios agent/native and agent/floor against the
# targets (docs/performance.md), and the CPU and memory each process used. It
# also runs the Go benchmarks of agentx, mib (IP-MIB at 100,000 addresses and
# neighbours among them), statsread and vppapi, and then the GET
# latency phase: bench/getlatency sends paced single GETs (a few counters of
# one random port each, as LibreNMS polls "selected ports") through snmpd to
# the agent over vppsim with BENCH_GETLAT_N interfaces, and prints their
# p50/p90/p99/p99.9/max latency and timeouts. It is a measurement: it exits 0
# whatever the ratios and latencies, and 1 only when a walk failed or was
# wrong or a phase could not run.
#
# Environment:
#   BENCH_WALK=1           run the walk phases (0 to skip them)
#   BENCH_N="1000 10000"   interface counts
#   BENCH_RUNS=R           timed runs per configuration and table (default 5 for
#                          N <= 1000, 3 above)
#   BENCH_PIN=none         CPU placements, each measured in turn: "none" lets the
#                          kernel place processes; a CPU list (e.g. "0") pins
#                          snmpd, the subagent and the client to it (see below);
#                          BENCH_PIN="none 0" measures both (twice the time)
#   BENCH_CONFIGS="agent native floor"  (also: floor-syscall, the floor blocking
#                          through syscall.Syscall instead of RawSyscall; agent-b,
#                          the agent binary at $BENCH_AGENT_B, to A/B a change)
#   BENCH_GO=1             run the Go benchmarks (0 to skip); BENCH_GOTIME=1s
#   BENCH_KEEP=1           keep the temporary directory (logs, walk outputs)
#   BENCH_PROFILE=1        after the timed walks, profile each subagent during
#                          one more walk (perf stat counts per varbind, perf
#                          record's top functions)
#   BIN=bin                where make build put vpp-snmp-agent and vppsim
#   BENCH_GETLAT=1         run the GET latency phase (0 to skip it)
#   BENCH_GETLAT_N=100000  interfaces in vppsim for it
#   BENCH_GETLAT_SECS=40   how long GETs are sent, per configuration
#   BENCH_GETLAT_RATE=45   GETs per second (Poisson arrivals, 1 s timeout, no retry)
#   BENCH_GETLAT_CONFIGS="agent agent-scraped"  configurations measured, one after the other,
#                          each alone on the machine: agent, agent-b (the agent
#                          at $BENCH_AGENT_B), agent-scraped (the agent with
#                          --metrics-addr, /metrics scraped every second: a
#                          scrape must not slow an answer), floor (bench/floor)
#   BENCH_GETLAT_SAVE=DIR  copy each configuration's per-GET latencies there
#   BENCH_SCALE=1          run the scale phase (0 to skip it): per N of
#                          BENCH_SCALE_N, the agent alone over vppsim: peak RssAnon,
#                          CPU idle and under churn, binary-API load, the time a
#                          change takes to show, a heap profile
#   BENCH_SCALE_N="10000 100000"
#   BENCH_SCALE_IDLE=30    seconds of the idle period (600: the 10-minute steady state)
#   BENCH_SCALE_CHURN=30   seconds of loopback churn; BENCH_SCALE_RATE=4 pairs a second
#   BENCH_SCALE_CONFIGS=agent  agent and/or agent-b ($BENCH_AGENT_B), one after the other
#   BENCH_SCALE_SAVE=DIR   copy each run's heap profile and agent log there
#   BENCH_SCALE_FLAGS=     more flags for the agent in the scale phase (e.g. --mibs if)
#
# The agent always runs with its default flags and without the caller's GOGC
# or GOMEMLIMIT.
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
BENCH_PIN=${BENCH_PIN:-none}
BENCH_CONFIGS=${BENCH_CONFIGS:-"agent native floor"}
BENCH_GO=${BENCH_GO:-1}
BENCH_GOTIME=${BENCH_GOTIME:-1s}
BENCH_WALK=${BENCH_WALK:-1}
BENCH_GETLAT=${BENCH_GETLAT:-1}
BENCH_GETLAT_N=${BENCH_GETLAT_N:-100000}
BENCH_GETLAT_SECS=${BENCH_GETLAT_SECS:-40}
BENCH_GETLAT_RATE=${BENCH_GETLAT_RATE:-45}
BENCH_GETLAT_CONFIGS=${BENCH_GETLAT_CONFIGS:-agent agent-scraped}
METRICS_PORT=19710 # agent-scraped's /metrics, on loopback
BENCH_SCALE=${BENCH_SCALE:-1}
BENCH_SCALE_N=${BENCH_SCALE_N:-"10000 100000"}
BENCH_SCALE_IDLE=${BENCH_SCALE_IDLE:-30}
BENCH_SCALE_CHURN=${BENCH_SCALE_CHURN:-30}
BENCH_SCALE_RATE=${BENCH_SCALE_RATE:-4}
BENCH_SCALE_CONFIGS=${BENCH_SCALE_CONFIGS:-agent}
export MIBS= # numeric OIDs only; Debian ships no MIB files by default

ALLCPUS="0-$(($(nproc) - 1))"
CPUS=$ALLCPUS # the placement being measured
CLK_TCK=$(getconf CLK_TCK)
IFTABLE=1.3.6.1.2.1.2.2
IFXTABLE=1.3.6.1.2.1.31.1.1
TARGET_NATIVE=3.0
TARGET_FLOOR=1.15

DIR=$(mktemp -d /tmp/vpp-snmp-bench.XXXXXX)
RESULTS=$DIR/results.txt # one line per good walk (see bench_n)
NS=vppsnmpbench-$$    # the N Linux interfaces and the native snmpd
NSX=vppsnmpbench-$$-x # loopback only: the snmpds of the agent and the floor
pids=()               # every process started, for cleanup
stopped=()            # processes currently SIGSTOPped
failed=0

# stop_pids: every process started, newest first (subagents before the snmpd
# and vppsim they talk to); SIGKILL what is still there after 5 s.
stop_pids() {
	local i p left
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		p=${pids[i]}
		kill -CONT "$p" 2>/dev/null || true
		kill "$p" 2>/dev/null || true
	done
	for _ in $(seq 1 50); do
		left=""
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
		[ -n "$left" ] || break
		sleep 0.1
	done
	for p in $left; do kill -KILL "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pids=()
}

cleanup() {
	stop_pids
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
	for p in agentx mib statsread vppapi; do
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
declare -A port ns procs pinned sub snmpdpid simpid rows minidx skip

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
	taskset -c "$CPUS" ip netns exec "${ns[$c]}" snmpbulkwalk -v2c -c public -Cr50 -On -t 30 -r 0 \
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
	ip netns exec "${ns[$1]}" snmpbulkwalk -v2c -c public -Cr50 -On -t 30 -r 0 "127.0.0.1:${port[$1]}" "$IFXTABLE.1.1" 2>/dev/null |
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

# wait_get CONFIG N SECONDS: until the config serves N interfaces, by one GET:
# ifNumber.0 >= N for the agent (snmpd's own ifNumber until the agent has
# registered), ifIndex of the last row for the floor.
wait_get() {
	local v t0=$SECONDS oid=1.3.6.1.2.1.2.1.0
	[[ $1 == agent* ]] || oid=$IFTABLE.1.1.$((1000 + $2))
	while ((SECONDS - t0 < $3)); do
		v=$(ip netns exec "${ns[$1]}" snmpget -v2c -c public -On -Oqv -t 5 -r 0 "127.0.0.1:${port[$1]}" "$oid" 2>/dev/null || true)
		if [[ $v =~ ^[0-9]+$ ]] && ((v >= $2)); then return 0; fi
		sleep 0.5
	done
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

# start_configs N CONFIGS [quick]: start each configuration and wait until it
# serves N rows. quick (the GET latency phase): readiness from one GET rather
# than from a walk of ifName, and no warm-up walk of ifTable (at 100,000
# interfaces a walk through snmpd takes minutes).
start_configs() {
	local n=$1 quick=${3:-} d
	CONFIGS=""
	ip netns add "$NS"
	ip netns add "$NSX"
	ip -n "$NSX" link set lo up
	for c in $2; do
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
		floor | floor-syscall)
			# floor-syscall: the same responder through syscall.Syscall,
			# which tells the Go scheduler it blocks (as the agent does).
			local mode=raw fport=16163
			[ "$c" = floor ] || { mode=syscall; fport=16164; }
			start_snmpd "$c" "$NSX" $fport 1
			"$DIR/bin/floor" --agentx-addr "unix:$DIR/$c/master" --rows "$n" --mode $mode >"$DIR/$c/floor.log" 2>&1 &
			pids+=($!)
			sub[$c]=$!
			procs[$c]="${procs[$c]} $!"
			pinned[$c]="${pinned[$c]} $!"
			rows[$c]=$n
			minidx[$c]=1000
			;;
		agent | agent-b | agent-scraped)
			# agent-b: another build of the agent ($BENCH_AGENT_B), for A/B
			# comparisons of a change in the same run. agent-scraped: the
			# agent with --metrics-addr, scraped every second while measured.
			local abin=$BIN/vpp-snmp-agent aport=16162 aflags=()
			# shellcheck disable=SC2206 # flags are words
			[ -z "${AGENT_FLAGS:-}" ] || aflags=($AGENT_FLAGS)
			if [ "$c" = agent-b ]; then abin=${BENCH_AGENT_B:-}; aport=16165; fi
			if [ "$c" = agent-scraped ]; then aport=16168; aflags=(--metrics-addr "127.0.0.1:$METRICS_PORT"); fi
			if [ ! -x "$abin" ] || [ ! -x "$BIN/vppsim" ]; then
				say "   $c: skipped, ${abin:-BENCH_AGENT_B} or $BIN/vppsim not built"
				continue
			fi
			d=$DIR/$c
			mkdir -p "$d"
			# Counters every second rather than vppsim's 100 ms: a real VPP
			# writes them from its own cores, vppsim from the 2 we measure on.
			"$BIN/vppsim" --api-socket "$d/api.sock" --stats-socket "$d/stats.sock" --cli-socket "$d/cli.sock" \
				--interfaces "$n" --tick 1s >"$d/vppsim.log" 2>&1 &
			pids+=($!)
			local sim=$!
			wait_for_file "$d/stats.sock" vppsim "$d/vppsim.log"
			wait_for_file "$d/api.sock" vppsim "$d/vppsim.log"
			start_snmpd "$c" "$NSX" $aport 1
			# The agent as operators start it: no GOGC or GOMEMLIMIT of ours
			# (nor net-snmp's MIBS, which agents before the VPP_SNMP_-only
			# configuration read as --mibs, for A/B runs against one).
			env -u GOGC -u GOMEMLIMIT -u MIBS VPP_SNMP_AGENT_HEAP_PROFILE="$d/heap.pprof" "$abin" --agentx-addr "unix:$d/master" --api-socket "$d/api.sock" \
				--stats-socket "$d/stats.sock" --ifindex-file "$d/ifindex.json" "${aflags[@]}" >"$d/agent.log" 2>&1 &
			pids+=($!)
			sub[$c]=$!
			simpid[$c]=$sim
			if [ -n "${RSS_SAMPLE:-}" ]; then
				rss_sample "${sub[$c]}" "$d/rss.txt" &
				pids+=($!)
			fi
			procs[$c]="${procs[$c]} ${sub[$c]} $sim"
			pinned[$c]="${pinned[$c]} ${sub[$c]}" # not vppsim: VPP has cores of its own
			minidx[$c]=1000
			;;
		*) die "unknown configuration $c in BENCH_CONFIGS" ;;
		esac
		CONFIGS="$CONFIGS $c"
	done
	if [ -n "$quick" ]; then
		for c in $CONFIGS; do
			if ! wait_get "$c" "$n" 180; then
				say "   $c: FAILED to serve $n interfaces within 180 s; logs in $DIR/$c"
				failed=1
				skip[$c]=1
			fi
		done
		return
	fi
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
		if [[ $c == agent* ]]; then
			local ifnum
			ifnum=$(ip netns exec "$NSX" snmpget -v2c -c public -On -Oqv -t 5 -r 0 "127.0.0.1:${port[$c]}" 1.3.6.1.2.1.2.1.0 2>&1 || true)
			say "   $c: serves $got rows (vppsim --interfaces $n; ifNumber.0 = $ifnum)"
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
	start_configs "$n" "$BENCH_CONFIGS"

	# One line per good walk in $RESULTS: N cpus config table run seconds
	# varbinds subagent-ticks snmpd-ticks.
	local run pin c tab order s sub0 snmpd0 subt out res
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
				if [[ $c == agent* ]]; then sleep 0.3; fi # let a poll that was due run
				for tab in $IFTABLE $IFXTABLE; do
					out=$DIR/$c/walk.$tab.$pin.$run
					sub0=0
					[ -z "${sub[$c]}" ] || sub0=$(cpu_ticks "${sub[$c]}")
					snmpd0=$(cpu_ticks "${snmpdpid[$c]}")
					s=$(walk "$c" "$tab" "$out")
					subt=0
					[ -z "${sub[$c]}" ] || subt=$(($(cpu_ticks "${sub[$c]}") - sub0))
					res=FAIL
					[[ $s == FAIL* ]] || res=$(check "$out" "$tab" "${rows[$c]}" "${minidx[$c]}")
					if [[ $res == BAD* || $res == FAIL* || $s == FAIL* ]]; then
						say "   $c $tab run $run cpus $pin: WALK FAILED: $s $res $(head -c 300 "$out.err")"
						failed=1
						skip[$c]=1
						break
					fi
					echo "$n $pin $c $tab $run $s $res $subt $(($(cpu_ticks "${snmpdpid[$c]}") - snmpd0))" >>"$RESULTS"
					rm -f "$out" "$out.err"
				done
			done
		done
		resume_all
	done
	report "$n"
	if [ "${BENCH_PROFILE:-0}" = 1 ]; then profile "$n"; fi
	local p
	for c in $CONFIGS; do
		p=${sub[$c]:-}
		[ -n "$p" ] && [ -r "/proc/$p/status" ] || continue
		say "   $c memory after the walks: $(awk '/^(VmHWM|VmRSS|RssAnon|RssFile|RssShmem)/{printf "%s %.1f MiB  ", $1, $2 / 1024} /^Threads/{printf "threads %s", $2}' "/proc/$p/status")"
	done
	stop_configs
}

# report N: the tables and ratios of N's results.
report() {
	say ""
	awk -v N="$1" -v hz="$CLK_TCK" -v tn="$TARGET_NATIVE" -v tf="$TARGET_FLOOR" -v pins="$BENCH_PIN" \
		-v tabs="$IFTABLE $IFXTABLE" -v cfgs="$CONFIGS" '
	function med(list,    a, n, i, j, x) {
		n = split(list, a, " ")
		for (i = 2; i <= n; i++) { x = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
		if (n == 0) return ""
		return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function lo(list,    a, n, i, m) { n = split(list, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 < m) m = a[i] + 0; return m }
	function verdict(r, t) { return sprintf("%.2f (target <= %s: %s)", r, t, r <= t ? "PASS" : "MISS") }
	$1 == N {
		k = $2 SUBSEP $3 SUBSEP $4
		secs[k] = secs[k] " " $6; vb[k] = $7; nw[$2, $3]++
		run[$2, $3, $5] += $6; runvb[$2, $3, $5] += $7
		subt[$2, $3] += $8; snt[$2, $3] += $9; allvb[$2, $3] += $7
	}
	END {
		np = split(pins, P, " "); nt = split(tabs, T, " "); nc = split(cfgs, C, " ")
		printf "   %-13s %-5s %-9s %8s %9s %9s %11s   %s\n", "config", "cpus", "table", "varbinds", "median s", "min s", "µs/varbind", "all runs (s)"
		for (p = 1; p <= np; p++) for (c = 1; c <= nc; c++) {
			tot = 0; totvb = 0; ok = 1
			for (t = 1; t <= nt; t++) {
				k = P[p] SUBSEP C[c] SUBSEP T[t]
				if (!(k in secs)) { ok = 0; continue }
				m = med(secs[k])
				printf "   %-13s %-5s %-9s %8d %9.3f %9.3f %11.2f  %s\n", C[c], P[p], (t == 1 ? "ifTable" : "ifXTable"), vb[k], m, lo(secs[k]), m * 1e6 / vb[k], secs[k]
				tot += m; totvb += vb[k]
			}
			if (ok && totvb) perv[P[p], C[c]] = tot * 1e6 / totvb
		}
		print ""
		print "   per varbind, ifTable+ifXTable: wall time (sum of medians / varbinds), and CPU over all timed walks"
		for (p = 1; p <= np; p++) for (c = 1; c <= nc; c++) {
			if (!((P[p], C[c]) in perv)) continue
			line = sprintf("   %-13s cpus %-5s %8.2f µs/varbind wall   snmpd CPU %6.2f µs/varbind", C[c], P[p], perv[P[p], C[c]], snt[P[p], C[c]] / hz * 1e6 / allvb[P[p], C[c]])
			if (C[c] != "native") line = line sprintf("   %s CPU %.2f s = %.2f µs/varbind", C[c], subt[P[p], C[c]] / hz, subt[P[p], C[c]] / hz * 1e6 / allvb[P[p], C[c]])
			print line
		}
		print ""
		for (p = 1; p <= np; p++) {
			a = perv[P[p], "agent"]; nat = perv[P[p], "native"]; fl = perv[P[p], "floor"]
			# Paired: the agent walk of run r against the other walk of run r,
			# adjacent in time, so slow drifts of the machine cancel out.
			for (o = 1; o <= 3; o++) {
				num = (o == 3) ? "agent-b" : "agent"
				other = (o == 1) ? "native" : (o == 2) ? "floor" : "agent"; pl[o] = ""
				for (r = 1; (P[p], num, r) in run; r++)
					if ((P[p], other, r) in run)
						pl[o] = pl[o] " " (run[P[p], num, r] / runvb[P[p], num, r]) / (run[P[p], other, r] / runvb[P[p], other, r])
			}
			printf "   N=%d cpus %s: agent/native %s", N, P[p], (a && nat) ? verdict(a / nat, tn) : "n/a"
			printf "   agent/floor %s", (a && fl) ? verdict(a / fl, tf) : "n/a"
			printf "   floor/native %s\n", (fl && nat) ? sprintf("%.2f", fl / nat) : "n/a"
			if (pl[1] != "" || pl[2] != "")
				printf "   N=%d cpus %s: median of per-run paired ratios: agent/native %s   agent/floor %s\n", N, P[p],
					(pl[1] != "") ? sprintf("%.2f", med(pl[1])) : "n/a", (pl[2] != "") ? sprintf("%.2f", med(pl[2])) : "n/a"
			if ((P[p], "agent-b") in perv && a)
				printf "   N=%d cpus %s: agent-b/agent %.2f (ratio of medians), %.2f (median of per-run ratios)\n", N, P[p],
					perv[P[p], "agent-b"] / a, (pl[3] != "") ? med(pl[3]) : 0
		}
	}' "$RESULTS"
}

# profile N: where each subagent's time goes during one ifXTable walk: perf
# stat counters per varbind (CPU, context switches, the syscalls that matter)
# for the subagent and its snmpd, then the top of a perf CPU profile of the
# subagent. The kernel symbols are approximate on a VM without a PMU:
# cpu-clock samples taken with interrupts off land where they are re-enabled
# (finish_task_switch: the context switch; _raw_spin_unlock_irqrestore: the
# wake-up of the peer).
profile() {
	command -v perf >/dev/null || { say "   (BENCH_PROFILE: perf not installed: apt-get install linux-perf)"; return; }
	local c ev out n s e p1 p2 evs="task-clock,context-switches,cpu-migrations"
	for ev in read write futex nanosleep epoll_pwait; do
		perf stat -e "syscalls:sys_enter_$ev" true >/dev/null 2>&1 && evs="$evs,syscalls:sys_enter_$ev"
	done
	say ""
	say "   profile: one ifXTable walk each, counts per varbind (perf stat -e $evs)"
	for c in $CONFIGS; do
		[ -n "${sub[$c]:-}" ] && [ -z "${skip[$c]}" ] || continue
		stop_others "$c"
		out=$DIR/$c/profile
		perf stat -e "$evs" -p "${sub[$c]}" -o "$out.sub.stat" >/dev/null 2>&1 &
		p1=$!
		perf stat -e "$evs" -p "${snmpdpid[$c]}" -o "$out.snmpd.stat" >/dev/null 2>&1 &
		p2=$!
		sleep 0.5
		s=$(walk "$c" "$IFXTABLE" "$out.walk")
		kill -INT $p1 $p2 2>/dev/null || true
		wait $p1 $p2 2>/dev/null || true
		n=$(grep -c '^\.1\.3\.6\.1\.' "$out.walk" || true)
		((n > 0)) || continue
		for who in sub snmpd; do
			say "   $(printf '%-13s %-6s' "$c" "$([ $who = sub ] && echo "$c" | cut -c1-6 || echo snmpd)") $(awk -v n="$n" '
				$1 ~ /^[0-9][0-9.,]*$/ && $2 != "seconds" {
					v = $1; gsub(",", "", v); name = $2; sub("syscalls:sys_enter_", "", name)
					if (name == "msec") printf "CPU %.2f µs  ", v * 1000 / n; else printf "%s %.3f  ", name, v / n
				}' "$out.$who.stat")"
		done
		perf record -e cpu-clock -F 4999 -g -p "${sub[$c]}" -o "$out.perf" >/dev/null 2>&1 &
		p1=$!
		sleep 0.5
		walk "$c" "$IFXTABLE" "$out.walk" >/dev/null
		kill -INT $p1 2>/dev/null || true
		wait $p1 2>/dev/null || true
		say "   $c: top of the CPU profile (self), then Go functions (with callees):"
		perf report -i "$out.perf" --stdio --no-children --sort symbol -g none --percent-limit 2 2>/dev/null |
			awk '/^ *[0-9.]+%/ {printf "      %7s %s\n", $1, $3}' | head -8
		perf report -i "$out.perf" --stdio --children --sort symbol -g none --percent-limit 2 2>/dev/null |
			awk '/^ *[0-9.]+%/ && $3 == "[.]" && $4 !~ /^(runtime\.(goexit|main|mstart)|main\.(main|run)$|.*Session\)\.(Run|serve)$|.*serve\.func)/ {
				sub("github.com/vpp-snmp-agent/vpp-snmp-agent/", "", $4); printf "      %7s %s\n", $1, $4 }' | head -12
	done
	resume_all
}

# ---------------------------------------------------------------- GET latency
# getlat: for each configuration of BENCH_GETLAT_CONFIGS in turn, alone on the
# machine: start it with BENCH_GETLAT_N interfaces, then bench/getlatency
# walks ifIndex once and sends BENCH_GETLAT_RATE single GETs per second for
# BENCH_GETLAT_SECS s (ifHCInOctets, ifHCOutOctets, ifOperStatus, ifHighSpeed
# of one random port each) to snmpd on loopback, and prints one summary line.
getlat() {
	local n=$BENCH_GETLAT_N c line d
	say ""
	say "== GET latency: N=$n interfaces, $BENCH_GETLAT_RATE GETs/s for $BENCH_GETLAT_SECS s per configuration, one configuration at a time ($BENCH_GETLAT_CONFIGS)"
	for c in $BENCH_GETLAT_CONFIGS; do
		case $c in agent | agent-b | agent-scraped | floor) ;; *) die "BENCH_GETLAT_CONFIGS: $c is not agent, agent-b, agent-scraped or floor" ;; esac
		local t0=$SECONDS
		start_configs "$n" "$c" quick
		if [[ " $CONFIGS " != *" $c "* ]] || [ -n "${skip[$c]}" ]; then
			failed=1
			stop_configs
			continue
		fi
		d=$DIR/$c
		local watch="snmpd=${snmpdpid[$c]}"
		if [ -n "${simpid[$c]:-}" ]; then watch="$c=${sub[$c]},$watch,vppsim=${simpid[$c]}"; else watch="$c=${sub[$c]},$watch"; fi
		say "   $c: serving $n interfaces $((SECONDS - t0)) s after start; GETs begin after one walk of ifIndex"
		local scraper=
		if [ "$c" = agent-scraped ]; then
			# A Prometheus scrape of /metrics every second meanwhile.
			(while sleep 1; do curl -sf -o /dev/null "http://127.0.0.1:$METRICS_PORT/metrics" || echo "scrape failed" >>"$d/scrape.err"; done) &
			scraper=$!
		fi
		if ! line=$(ip netns exec "$NSX" "$DIR/bin/getlatency" --target "127.0.0.1:${port[$c]}" \
			--rate "$BENCH_GETLAT_RATE" --duration "${BENCH_GETLAT_SECS}s" --timeout 1s --min-ifindex 1000 \
			--expect "$n" --raw "$d/getlat.raw" --watch "$watch" --label "getlat $c N=$n" 2>"$d/getlat.err"); then
			say "   $c: getlatency FAILED: $(tail -3 "$d/getlat.err")"
			failed=1
			stop_configs
			continue
		fi
		if [ -n "$scraper" ]; then
			kill "$scraper" 2>/dev/null || true
			wait "$scraper" 2>/dev/null || true
			[ ! -s "$d/scrape.err" ] || say "   $c: $(wc -l <"$d/scrape.err") scrapes of /metrics failed"
		fi
		say "   $line"
		echo "$line" >>"$DIR/getlat.txt"
		say "   $c memory after the GETs: $(awk '/^(VmHWM|VmRSS)/{printf "%s %.1f MiB  ", $1, $2 / 1024}' "/proc/${sub[$c]}/status" 2>/dev/null)"
		log_digest "$c"
		if [ -n "${BENCH_GETLAT_SAVE:-}" ]; then
			mkdir -p "$BENCH_GETLAT_SAVE"
			cp "$d/getlat.raw" "$BENCH_GETLAT_SAVE/getlat-$c-N$n.txt"
		fi
		stop_configs
	done
}

# log_digest CONFIG: the agent's warnings and errors since its start, counted
# by message: a reconnection or a re-dump of every interface during the GETs
# shows in their latencies.
log_digest() {
	local f=$DIR/$1/agent.log
	[ -s "$f" ] || return 0
	awk '/level=(warning|error)/ {
			m = $0; sub(/.*msg="/, "", m); sub(/".*/, "", m)
			if (m ~ /^Channel ID not known/) m = "Channel ID not known (govpp: a reply of a closed connection)"
			else if (length(m) > 90) m = substr(m, 1, 90) "..."
			n[m]++; any = 1
		}
		END {
			if (!any) { print "   agent log since its start: no warning or error"; exit }
			print "   agent log since its start, warnings and errors by message:"
			for (m in n) printf "      %6d  %s\n", n[m], m
		}' "$f"
}

# ---------------------------------------------------------------- scale
# scale: for each N of BENCH_SCALE_N and each configuration (agent, agent-b),
# alone on the machine, with RssAnon sampled every 100 ms from the agent's
# start: start (the first full dump), BENCH_SCALE_IDLE s of steady state
# (CPU, binary API messages and bytes the agent caused, per minute and in
# all) with three changes halfway, each timed until SNMP shows it
# (bench/churn --see), BENCH_SCALE_CHURN s of loopback
# churn (CPU, API), a change timed again, two walks of a whole column
# (ifHCInOctets, ifDescr), a heap profile (SIGUSR1), then the peak RssAnon.
scale() {
	local n c d t0 ticks0 ticks1 secs pid sees line
	say ""
	say "== scale: N=$BENCH_SCALE_N, idle $BENCH_SCALE_IDLE s, churn $BENCH_SCALE_CHURN s at $BENCH_SCALE_RATE loopback create+delete pairs/s ($BENCH_SCALE_CONFIGS)"
	for n in $BENCH_SCALE_N; do
		for c in $BENCH_SCALE_CONFIGS; do
			case $c in agent | agent-b) ;; *) die "BENCH_SCALE_CONFIGS: $c is not agent or agent-b" ;; esac
			t0=$SECONDS
			rm -f "$DIR/$c/ifindex.json"* "$DIR/$c/heap.pprof" # each N starts afresh
			RSS_SAMPLE=1 AGENT_FLAGS=${BENCH_SCALE_FLAGS:-} start_configs "$n" "$c" quick
			if [[ " $CONFIGS " != *" $c "* ]] || [ -n "${skip[$c]}" ]; then
				failed=1
				stop_configs
				continue
			fi
			d=$DIR/$c
			pid=${sub[$c]}
			say "   $c N=$n: serving $n interfaces $((SECONDS - t0)) s after start; load average $(cut -d' ' -f1-3 /proc/loadavg)"
			sleep 20 # past the start's own work (the first address dump: 100,000 interfaces, 10 s)
			# Steady state: what the agent costs, and asks of VPP, when
			# little changes: three changes (a loopback created, deleted, an
			# interface set down), timed until SNMP shows them, halfway.
			"$BIN/vppsim" ctl -s "$d/cli.sock" show api >"$d/api.0"
			ticks0=$(cpu_ticks "$pid")
			t0=$EPOCHREALTIME
			sleep "$((BENCH_SCALE_IDLE / 2))"
			sees=$(ip netns exec "$NSX" "$DIR/bin/churn" --cli "$d/cli.sock" --target "127.0.0.1:${port[$c]}" --see 2>>"$d/churn.err") || { say "   $c: churn --see FAILED: $(tail -2 "$d/churn.err")"; failed=1; }
			sleep "$((BENCH_SCALE_IDLE - BENCH_SCALE_IDLE / 2))"
			ticks1=$(cpu_ticks "$pid")
			secs=$(awk -v s="$t0" -v e="$EPOCHREALTIME" 'BEGIN{print e - s}')
			"$BIN/vppsim" ctl -s "$d/cli.sock" show api >"$d/api.1"
			say "   $c N=$n steady $(printf '%.0f' "$secs") s: agent CPU $(awk -v t=$((ticks1 - ticks0)) -v hz="$CLK_TCK" -v s="$secs" 'BEGIN{printf "%.2f s (%.1f %% of a core)", t / hz, 100 * t / hz / s}'); $(api_delta "$d/api.0" "$d/api.1" "$secs"); in all: $(api_total "$d/api.0" "$d/api.1"); load average $(cut -d' ' -f1-3 /proc/loadavg)"
			say "   $c N=$n changes halfway, seconds until SNMP shows them: $sees"
			# Churn: loopbacks created and deleted.
			"$BIN/vppsim" ctl -s "$d/cli.sock" show api >"$d/api.2"
			ticks0=$(cpu_ticks "$pid")
			t0=$EPOCHREALTIME
			line=$("$DIR/bin/churn" --cli "$d/cli.sock" --rate "$BENCH_SCALE_RATE" --duration "${BENCH_SCALE_CHURN}s" 2>>"$d/churn.err") || { say "   $c: churn FAILED: $(tail -2 "$d/churn.err")"; failed=1; }
			ticks1=$(cpu_ticks "$pid")
			secs=$(awk -v s="$t0" -v e="$EPOCHREALTIME" 'BEGIN{print e - s}')
			"$BIN/vppsim" ctl -s "$d/cli.sock" show api >"$d/api.3"
			say "   $c N=$n churn ($line): agent CPU $(awk -v t=$((ticks1 - ticks0)) -v hz="$CLK_TCK" -v s="$secs" 'BEGIN{printf "%.2f s in %.1f s (%.1f %% of a core)", t / hz, s, 100 * t / hz / s}'); $(api_delta "$d/api.2" "$d/api.3" "$secs"); load average $(cut -d' ' -f1-3 /proc/loadavg)"
			sees=$(ip netns exec "$NSX" "$DIR/bin/churn" --cli "$d/cli.sock" --target "127.0.0.1:${port[$c]}" --see 2>>"$d/churn.err") || { say "   $c: churn --see FAILED: $(tail -2 "$d/churn.err")"; failed=1; }
			say "   $c N=$n changes right after the churn, seconds until SNMP shows them: $sees"
			# Two walks of a whole column, counters refreshed meanwhile.
			local col out rows
			for col in 1.3.6.1.2.1.31.1.1.1.6 1.3.6.1.2.1.2.2.1.2; do
				out=$d/walk.$col
				t0=$EPOCHREALTIME
				ip netns exec "$NSX" snmpbulkwalk -v2c -c public -Cr50 -On -t 30 -r 0 "127.0.0.1:${port[$c]}" "$col" >"$out" 2>&1 || true
				rows=$(grep -c "^\.$col\." "$out" || true)
				say "   $c N=$n walk of $col: $rows rows in $(awk -v s="$t0" -v e="$EPOCHREALTIME" 'BEGIN{printf "%.1f", e - s}') s"
				rm -f "$out"
			done
			kill -USR1 "$pid" 2>/dev/null || true
			for _ in $(seq 1 50); do [ -s "$d/heap.pprof" ] && break; sleep 0.1; done
			say "   $c N=$n peak RssAnon since start: $(sort -n "$d/rss.txt" | tail -1 | awk -v n="$n" '{printf "%d KiB = %.0f bytes per interface", $1, $1 * 1024 / n}') (target at 100,000: 100000 KiB); now: $(awk '/^(RssAnon|RssShmem|RssFile)/{printf "%s %d KiB  ", $1, $2}' "/proc/$pid/status")"
			if [ -s "$d/heap.pprof" ]; then
				say "   $c N=$n heap in use after the walks (go tool pprof -sample_index=inuse_space -top):"
				go tool pprof -sample_index=inuse_space -top -nodecount=12 "$d/heap.pprof" 2>/dev/null | sed -n '/^Showing\|flat%/,$p' | sed 's/^/      /'
			fi
			log_digest "$c"
			if [ -n "${BENCH_SCALE_SAVE:-}" ]; then
				mkdir -p "$BENCH_SCALE_SAVE"
				cp "$d/heap.pprof" "$BENCH_SCALE_SAVE/heap-$c-N$n.pprof" 2>/dev/null || true
				cp "$d/agent.log" "$BENCH_SCALE_SAVE/agent-$c-N$n.log" 2>/dev/null || true
				cp "$d/rss.txt" "$BENCH_SCALE_SAVE/rss-$c-N$n.txt" 2>/dev/null || true
			fi
			stop_configs
		done
	done
}

# api_delta BEFORE AFTER SECONDS: what the agent asked of VPP's binary API
# between two `vppsim ctl show api` (NAME COUNT BYTES), per minute: requests
# (messages VPP received), replies (details, replies and events it sent),
# and the sw_interface_details among them.
api_delta() {
	awk -v secs="$3" '
		FNR == NR { c0[$1] = $2; b0[$1] = $3; next }
		{
			dc = $2 - c0[$1]; db = $3 - b0[$1]
			if ($1 ~ /(_reply|_details|_event)$/) { rc += dc; rb += db } else { qc += dc; qb += db }
			if ($1 == "sw_interface_details") det += dc
			if ($1 == "sw_interface_dump") dumps += dc
		}
		END {
			m = secs / 60
			printf "binary API per minute: %.0f requests (%.0f bytes), %.0f replies (%.0f bytes), %.0f sw_interface_dump, %.0f sw_interface_details", qc / m, qb / m, rc / m, rb / m, dumps / m, det / m
		}' "$1" "$2"
}

# api_total BEFORE AFTER: requests and sw_interface_details between two
# `vppsim ctl show api`, in all.
api_total() {
	awk 'FNR == NR { c0[$1] = $2; next }
		{ d = $2 - c0[$1]; if ($1 !~ /(_reply|_details|_event)$/) q += d; if ($1 == "sw_interface_details") det += d }
		END { printf "%d requests, %d sw_interface_details", q, det }' "$1" "$2"
}

# rss_sample PID OUT: RssAnon (KiB) of PID every 100 ms while it lives.
rss_sample() {
	local k v rest
	while [ -r "/proc/$1/status" ]; do
		while read -r k v rest; do [ "$k" = RssAnon: ] && echo "$v"; done <"/proc/$1/status" 2>/dev/null
		sleep 0.1
	done >"$2"
}

stop_configs() {
	stopped=()
	stop_pids
	ip netns del "$NS" 2>/dev/null || true
	ip netns del "$NSX" 2>/dev/null || true
	unset port ns procs pinned sub snmpdpid simpid rows minidx skip
	declare -gA port ns procs pinned sub snmpdpid simpid rows minidx skip
}

# ---------------------------------------------------------------- main
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, interfaces); run: sudo make bench"
for tool in snmpd snmpbulkwalk snmpget ip taskset go; do command -v "$tool" >/dev/null || die "$tool not found (make deps)"; done
say "== vpp-snmp-agent bench: $(date -u +%FT%TZ), $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), $(snmpd -v 2>/dev/null | awk '/version/{print $NF; exit}')"
say "   commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), N: $BENCH_N, cpus: $BENCH_PIN, configurations: $BENCH_CONFIGS"
say "   walks: $([ "$BENCH_WALK" = 1 ] && echo on || echo off), GET latency: $([ "$BENCH_GETLAT" = 1 ] && echo "N=$BENCH_GETLAT_N, $BENCH_GETLAT_RATE/s for $BENCH_GETLAT_SECS s, $BENCH_GETLAT_CONFIGS" || echo off); load average $(cut -d' ' -f1-3 /proc/loadavg)"
go build -o "$DIR/bin/floor" ./bench/floor || die "building bench/floor"
go build -o "$DIR/bin/getlatency" ./bench/getlatency || die "building bench/getlatency"
go build -o "$DIR/bin/churn" ./bench/churn || die "building bench/churn"
if [ "$BENCH_GO" = 1 ]; then go_benchmarks; fi
if [ "$BENCH_WALK" = 1 ]; then for n in $BENCH_N; do bench_n "$n"; done; fi
if [ "$BENCH_GETLAT" = 1 ]; then getlat; fi
if [ "$BENCH_SCALE" = 1 ]; then scale; fi
say ""
if [ -s "$DIR/getlat.txt" ]; then
	say "== GET latency summary (targets: p99 <= 5 ms, p99.9 <= 20 ms, 0 timeouts; MISS does not fail the bench)"
	sed 's/^/   /' "$DIR/getlat.txt"
	say ""
fi
if ((failed)); then say "bench: a phase FAILED (see above)"; exit 1; fi
say "bench: done (targets: agent/native <= $TARGET_NATIVE, agent/floor <= $TARGET_FLOOR per varbind; this is a measurement, MISS does not fail it)"
