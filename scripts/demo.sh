#!/usr/bin/env bash
# make demo: vppsim (a realistic router) + snmpd on loopback + the agent, then
# a walk of ifXTable. Everything started here is stopped on exit or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
DIR=$(mktemp -d /tmp/vpp-snmp-demo.XXXXXX)
PORT=${DEMO_PORT:-16161}
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() { # wait_for PATH WHAT
	for _ in $(seq 1 100); do [ -e "$1" ] && return 0; sleep 0.1; done
	echo "demo: $2 did not come up (no $1); logs in $DIR" >&2; exit 1
}

echo "== starting vppsim (a simulated VPP router) in $DIR"
"$BIN/vppsim" --api-socket "$DIR/api.sock" --stats-socket "$DIR/stats.sock" --cli-socket "$DIR/cli.sock" \
	>"$DIR/vppsim.log" 2>&1 &
pids+=($!)
wait_for "$DIR/api.sock" vppsim

echo "== starting snmpd on udp:127.0.0.1:$PORT (AgentX master on $DIR/agentx)"
cat >"$DIR/snmpd.conf" <<CONF
agentaddress udp:127.0.0.1:$PORT
rocommunity public 127.0.0.1
master agentx
agentXSocket unix:$DIR/agentx
CONF
SNMP_PERSISTENT_DIR="$DIR/persist" snmpd -f -Lf "$DIR/snmpd.log" -C -c "$DIR/snmpd.conf" -p "$DIR/snmpd.pid" \
	-I -smux,mteTrigger,mteTriggerConf &
pids+=($!)
wait_for "$DIR/agentx" snmpd

echo "== starting vpp-snmp-agent"
"$BIN/vpp-snmp-agent" --agentx-addr "unix:$DIR/agentx" --api-socket "$DIR/api.sock" \
	--stats-socket "$DIR/stats.sock" --ifindex-file "$DIR/ifindex.json" >"$DIR/agent.log" 2>&1 &
pids+=($!)

export MIBS=
ifx=1.3.6.1.2.1.31.1.1.1
for _ in $(seq 1 50); do
	snmpget -v2c -c public -On -t 1 -r 0 "127.0.0.1:$PORT" 1.3.6.1.2.1.2.1.0 2>/dev/null | grep -q INTEGER && break
	sleep 0.2
done

echo "== ifXTable: ifName, ifAlias, ifHighSpeed, ifHCInOctets"
cols=$(mktemp "$DIR/cols.XXXX")
for c in 1 18 15 6; do
	snmpbulkwalk -v2c -c public -On -Cr50 "127.0.0.1:$PORT" "$ifx.$c" >"$cols.$c"
done
printf '%-8s %-28s %-24s %12s %16s\n' ifIndex ifName ifAlias ifHighSpeed ifHCInOctets
join_col() { sed -E "s/^\.$ifx\.$1\.([0-9]+) = [A-Za-z0-9]+: ?(.*)$/\1 \2/; s/\"//g" "$cols.$1"; }
join_col 1 | while read -r idx name; do
	alias=$(join_col 18 | awk -v i="$idx" '$1==i{ $1=""; sub(/^ /,""); print }')
	speed=$(join_col 15 | awk -v i="$idx" '$1==i{print $2}')
	octets=$(join_col 6 | awk -v i="$idx" '$1==i{print $2}')
	printf '%-8s %-28s %-24s %12s %16s\n' "$idx" "$name" "${alias:-}" "$speed" "$octets"
done

cat <<TXT

== walk it yourself (while this demo runs):
   MIBS= snmpbulkwalk -v2c -c public -On 127.0.0.1:$PORT 1.3.6.1.2.1.31.1.1.1
   MIBS= snmpwalk -v2c -c public -On 127.0.0.1:$PORT 1.3.6.1.2.1.2.2    # ifTable
   $BIN/vppsim ctl -s $DIR/cli.sock show interface
   $BIN/vppsim ctl -s $DIR/cli.sock set interface state TenGigabitEthernet3/0/0 down
TXT
if [ -t 0 ] && [ "${DEMO_EXIT:-}" != 1 ]; then
	echo "== running; Ctrl-C stops vppsim, snmpd and the agent"
	wait -n "${pids[@]}" || true
else
	echo "== not on a terminal: stopping everything (run make demo in a terminal to keep it up)"
fi
