package e2e

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim"
)

// walkScenario is a small router with one of everything the mapping
// distinguishes. Rates are packets per second; with counters advanced by
// exactly walkSeconds, each counter is rate × walkSeconds.
const walkScenario = `
interfaces:
  - name: TenGigabitEthernet3/0/0          # 10G: ifSpeed saturates too
    speed: 10G
    mtu: 9216
    mac: 3c:fd:fe:00:30:00
    tag: tag-hidden-by-vppcfg
    detailed_stats: true
    rates: {rx_pps: 1000, tx_pps: 800, rx_size: 100, tx_size: 200, multicast_permille: 20, broadcast_permille: 5,
            drops_pps: 3, rx_no_buf_pps: 1, rx_miss_pps: 2, rx_error_pps: 4, tx_error_pps: 5}
  - name: HundredGigabitEthernet5/0/0      # 100G: ifSpeed 4294967295, ifHighSpeed 100000
    speed: 100G
    mtu: 9000
    mac: 3c:fd:fe:00:50:00
    tag: core-1
    rates: {rx_pps: 1000000, tx_pps: 10, rx_size: 1500, tx_size: 64}
  - name: TenGigabitEthernet3/0/1          # admin up, no carrier
    speed: 10G
    mtu: 1500
    mac: 3c:fd:fe:00:30:01
    link: down
    rates: {rx_pps: 500, tx_pps: 500}
  - name: TenGigabitEthernet3/0/2          # admin down
    speed: 10G
    mtu: 1500
    mac: 3c:fd:fe:00:30:02
    state: down
    rates: {rx_pps: 500, tx_pps: 500}
  - name: GigabitEthernet4/0/0
    speed: 1G
    mtu: 9000
    mac: 3c:fd:fe:00:40:00
    bond: BondEthernet0
  - name: GigabitEthernet4/0/1
    speed: 1G
    mtu: 9000
    mac: 3c:fd:fe:00:40:01
    bond: BondEthernet0
  - name: BondEthernet0
    kind: bond
    mtu: 9000
    mac: 02:fe:00:00:0b:00
    rates: {rx_pps: 200, tx_pps: 100, rx_size: 100, tx_size: 100}
  - name: TenGigabitEthernet3/0/0.100
    kind: sub
    parent: TenGigabitEthernet3/0/0
    vlan: 100
    mtu: 1500
    rates: {rx_pps: 100, tx_pps: 50, rx_size: 300, tx_size: 300}
  - name: TenGigabitEthernet3/0/2.200      # admin up over an admin-down parent
    kind: sub
    parent: TenGigabitEthernet3/0/2
    vlan: 200
  - name: BondEthernet0.300                # no L3 MTU: the link MTU
    kind: sub
    parent: BondEthernet0
    vlan: 300
  - name: loop0
    kind: loopback
    mtu: 1500
  - name: tap1
    kind: tap
    parent: TenGigabitEthernet3/0/0
    host_name: e0
    mtu: 9216
    mac: 02:fe:00:00:0a:01
  - name: vxlan_tunnel0
    kind: vxlan
    mtu: 1450
    mac: 02:fe:00:00:0c:00
  - name: gre0
    kind: gre
    mtu: 1476
`

// walkVppcfg describes some of them: a description wins over the VPP tag.
const walkVppcfg = `
interfaces:
  TenGigabitEthernet3/0/0:
    description: "Transit A"
    sub-interfaces:
      100:
        description: "Customer 100"
bondethernets:
  BondEthernet0:
    description: "LAG to switch"
loopbacks:
  loop0:
    description: "Router ID"
`

const walkSeconds = 10

// walkWant is the IF-MIB of walkScenario after walkSeconds of traffic:
// ifIndex is 1000 + sw_if_index (a fresh agent), everything else follows
// from the scenario and the mapping rules.
func walkWant(t *testing.T, sim *vppsim.Sim) []wantIf {
	const T = walkSeconds
	ws := []wantIf{
		{name: "local0", ifType: typeOther, mtu: 0, admin: down, oper: down},
		{name: "TenGigabitEthernet3/0/0", ifType: typeEthernet, mtu: 9216, speedKbps: 10e6, mac: "3C FD FE 00 30 00",
			admin: up, oper: up, alias: "Transit A", connector: true,
			c: counts{
				// its own 1000 pps of 100 bytes, and its sub-interface's
				// 100 pps of 300 bytes (device input counts every frame)
				rxPkts: (1000 + 100) * T, rxBytes: (1000*100 + 100*300) * T,
				rxMcast: 20 * T, rxBcast: 5 * T, // per mille of its own rx
				txPkts: 800 * T, txBytes: 800 * 200 * T, txMcast: 16 * T, txBcast: 4 * T,
				drops: 3 * T, rxNoBuf: 1 * T, rxMiss: 2 * T, rxErrors: 4 * T, txErrors: 5 * T,
			}},
		{name: "HundredGigabitEthernet5/0/0", ifType: typeEthernet, mtu: 9000, speedKbps: 100e6, mac: "3C FD FE 00 50 00",
			admin: up, oper: up, alias: "core-1", connector: true,
			c: counts{rxPkts: 1e6 * T, rxBytes: 1e6 * 1500 * T, txPkts: 10 * T, txBytes: 10 * 64 * T}},
		{name: "TenGigabitEthernet3/0/1", ifType: typeEthernet, mtu: 1500, speedKbps: 10e6, mac: "3C FD FE 00 30 01",
			admin: up, oper: down, connector: true}, // no carrier: no traffic
		{name: "TenGigabitEthernet3/0/2", ifType: typeEthernet, mtu: 1500, speedKbps: 10e6, mac: "3C FD FE 00 30 02",
			admin: down, oper: down, connector: true},
		// bond members carry the bond's traffic, split evenly
		{name: "GigabitEthernet4/0/0", ifType: typeEthernet, mtu: 9000, speedKbps: 1e6, mac: "3C FD FE 00 40 00",
			admin: up, oper: up, connector: true,
			c: counts{rxPkts: 100 * T, rxBytes: 100 * 100 * T, txPkts: 50 * T, txBytes: 50 * 100 * T}},
		{name: "GigabitEthernet4/0/1", ifType: typeEthernet, mtu: 9000, speedKbps: 1e6, mac: "3C FD FE 00 40 01",
			admin: up, oper: up, connector: true,
			c: counts{rxPkts: 100 * T, rxBytes: 100 * 100 * T, txPkts: 50 * T, txBytes: 50 * 100 * T}},
		// a bond's speed is the sum of its active members'; it sits on
		// them, so its traps are off by default
		{name: "BondEthernet0", ifType: typeLAG, mtu: 9000, speedKbps: 2e6, mac: "02 FE 00 00 0B 00",
			admin: up, oper: up, alias: "LAG to switch", stacked: true,
			c: counts{rxPkts: 200 * T, rxBytes: 200 * 100 * T, txPkts: 100 * T, txBytes: 100 * 100 * T}},
		// sub-interfaces: the parent's speed and MAC (VPP reports zeros)
		{name: "TenGigabitEthernet3/0/0.100", ifType: typeL2VLAN, mtu: 1500, speedKbps: 10e6, mac: "3C FD FE 00 30 00",
			admin: up, oper: up, alias: "Customer 100", stacked: true,
			c: counts{rxPkts: 100 * T, rxBytes: 100 * 300 * T, txPkts: 50 * T, txBytes: 50 * 300 * T}},
		{name: "TenGigabitEthernet3/0/2.200", ifType: typeL2VLAN, mtu: 9000, speedKbps: 10e6, mac: "3C FD FE 00 30 02",
			admin: up, oper: lowerLayerDown, stacked: true},
		{name: "BondEthernet0.300", ifType: typeL2VLAN, mtu: 9000, speedKbps: 2e6, mac: "02 FE 00 00 0B 00",
			admin: up, oper: up, stacked: true},
		// VPP gives loopbacks de:ad:00:00:00:<instance>
		{name: "loop0", ifType: typeLoopback, mtu: 1500, mac: "DE AD 00 00 00 00", admin: up, oper: up, alias: "Router ID"},
		{name: "tap1", ifType: typePropVirt, mtu: 9216, mac: "02 FE 00 00 0A 01", admin: up, oper: up,
			alias: "LCP TenGigabitEthernet3/0/0 (tap1)"},
		{name: "vxlan_tunnel0", ifType: typeTunnel, mtu: 1450, mac: "02 FE 00 00 0C 00", admin: up, oper: up},
		{name: "gre0", ifType: typeTunnel, mtu: 1476, admin: up, oper: up},
	}
	for i := range ws {
		x, err := sim.Interface(ws[i].name)
		if err != nil {
			t.Fatal(err)
		}
		ws[i].ifIndex = 1000 + x.SwIfIndex
	}
	return ws
}

func ifIndexOf(t *testing.T, ws []wantIf, name string) uint32 {
	t.Helper()
	for _, w := range ws {
		if w.name == name {
			return w.ifIndex
		}
	}
	t.Fatalf("no interface %s", name)
	return 0
}

// walkStack is the layering of walkScenario.
func walkStack(t *testing.T, ws []wantIf) []stackPair {
	ix := func(n string) uint32 { return ifIndexOf(t, ws, n) }
	return []stackPair{
		{ix("TenGigabitEthernet3/0/0.100"), ix("TenGigabitEthernet3/0/0")},
		{ix("TenGigabitEthernet3/0/2.200"), ix("TenGigabitEthernet3/0/2")},
		{ix("BondEthernet0.300"), ix("BondEthernet0")},
		{ix("BondEthernet0"), ix("GigabitEthernet4/0/0")},
		{ix("BondEthernet0"), ix("GigabitEthernet4/0/1")},
	}
}

// TestWalkMatchesScenario walks ifTable, ifXTable and ifStackTable through
// snmpd (with its own IF-MIB loaded: ours must win at priority 100) and
// compares every varbind with the expectation derived from the scenario.
// vppsim runs in-process with counters that move only when the test says,
// so that every counter has one exact expected value.
func TestWalkMatchesScenario(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	sim, socks := startSim(t, dir, simOptions{scenario: walkScenario, tick: -1, workers: 2})
	sim.Advance(walkSeconds * time.Second)
	cfg := filepath.Join(dir, "vppcfg.yaml")
	if err := os.WriteFile(cfg, []byte(walkVppcfg), 0o644); err != nil {
		t.Fatal(err)
	}
	sd := snmpdtest.Start(t, snmpdtest.Options{BuiltinIFMIB: true})
	startAgent(t, dir, sd, socks, "--config", cfg, "--poll-interval", "100ms")
	ws := walkWant(t, sim)
	waitServing(t, sd, 15*time.Second, len(ws))

	t.Run("ifTable", func(t *testing.T) {
		checkWalk(t, sd, oidIfTable, wantTable(oidIfEntry, 22, ws, ifEntryValue))
	})
	t.Run("ifXTable", func(t *testing.T) {
		checkWalk(t, sd, oidIfXTable, wantTable(oidIfXEntry, 19, ws, ifXEntryValue))
	})
	t.Run("ifStackTable", func(t *testing.T) {
		checkWalk(t, sd, oidIfStackTable, wantStack(ws, walkStack(t, ws)))
	})
	t.Run("scalars", func(t *testing.T) {
		// Nothing changed since the agent started: RFC 2863's 0.
		m := mustGet(t, sd, oidIfNumber, oidIfTableLastChange, oidIfStackLastChange)
		want := map[string]snmpdtest.Line{
			"." + oidIfNumber:          {OID: "." + oidIfNumber, Type: "INTEGER", Value: fmt.Sprint(len(ws))},
			"." + oidIfTableLastChange: {OID: "." + oidIfTableLastChange, Type: "Timeticks", Value: "(0)"},
			"." + oidIfStackLastChange: {OID: "." + oidIfStackLastChange, Type: "Timeticks", Value: "(0)"},
		}
		for k, w := range want {
			if g := normalize(m[k]); g != w {
				t.Errorf("got %s, want %s", g, w)
			}
		}
	})
	t.Run("LibreNMS first ifXTable row", func(t *testing.T) {
		// LibreNMS decides whether a device has ifXTable from its first
		// row: ifHighSpeed and the HC counters must be there.
		first := byIfIndex(ws)[0].ifIndex
		for _, c := range []struct {
			col int
			typ string
		}{{colIfName, "STRING"}, {colIfHCInOctets, "Counter64"}, {colIfHCOutOctets, "Counter64"}, {colIfHighSpeed, "Gauge32"}} {
			lines, err := snmp(sd, t, "snmpgetnext", fmt.Sprintf("%s.%d", oidIfXEntry, c.col))
			if err != nil {
				t.Fatal(err)
			}
			want := ifXCol(c.col, first)
			if len(lines) != 1 || lines[0].OID != "."+want || lines[0].Type != c.typ {
				t.Errorf("getnext of ifXEntry column %d: got %v, want %s of type %s", c.col, lines, want, c.typ)
			}
		}
	})
	t.Run("one port, one GET", func(t *testing.T) {
		perPortGET(t, sd, sim, ws)
	})
}

// perPortGET asks for one port's counters in one SNMP GET, as LibreNMS
// polls a port: the values of one request come from one snapshot.
func perPortGET(t *testing.T, sd *snmpdtest.Snmpd, sim *vppsim.Sim, ws []wantIf) {
	const port = "TenGigabitEthernet3/0/0"
	ix := ifIndexOf(t, ws, port)
	x, err := sim.Interface(port)
	if err != nil {
		t.Fatal(err)
	}
	oids := []string{
		ifXCol(colIfHCInOctets, ix), ifXCol(colIfHCInUcastPkts, ix), ifXCol(colIfHCInMcastPkts, ix), ifXCol(colIfHCInBcastPkts, ix),
		ifCol(colIfInOctets, ix), ifCol(colIfInUcastPkts, ix), ifCol(colIfInNUcastPkts, ix),
		ifXCol(colIfInMulticastPkts, ix), ifXCol(colIfInBroadcastPkts, ix),
		ifCol(colIfDescr, ix), ifCol(colIfOperStatus, ix), ifXCol(colIfHighSpeed, ix),
	}
	type values struct{ hcOct, hcU, hcM, hcB, oct, u, nu, m32, b32 uint64 }
	read := func(t *testing.T) values {
		t.Helper()
		m := mustGet(t, sd, oids...)
		var v values
		for i, p := range []*uint64{&v.hcOct, &v.hcU, &v.hcM, &v.hcB, &v.oct, &v.u, &v.nu, &v.m32, &v.b32} {
			n, err := number(m["."+oids[i]])
			if err != nil {
				t.Fatal(err)
			}
			*p = n
		}
		if d := m["."+oids[9]]; d.Value != `"`+port+`"` {
			t.Errorf("ifDescr.%d = %s", ix, d)
		}
		return v
	}

	// At rest: the exact values, and the 32-bit columns are the HC ones
	// modulo 2^32.
	v := read(t)
	c := sim.Counters(x.SwIfIndex)
	if v.hcU+v.hcM+v.hcB != c.RxPackets || v.hcOct != c.RxBytes {
		t.Errorf("ucast %d + mcast %d + bcast %d = %d, octets %d; VPP counted %d packets, %d octets",
			v.hcU, v.hcM, v.hcB, v.hcU+v.hcM+v.hcB, v.hcOct, c.RxPackets, c.RxBytes)
	}
	if v.oct != v.hcOct&math.MaxUint32 || v.u != v.hcU&math.MaxUint32 || v.nu != (v.hcM+v.hcB)&math.MaxUint32 ||
		v.m32 != v.hcM&math.MaxUint32 || v.b32 != v.hcB&math.MaxUint32 {
		t.Errorf("32-bit columns disagree with the HC ones: %+v", v)
	}

	// With traffic moving between requests (the agent re-reads counters
	// when they are 100 ms old here, at the request that finds them so):
	// the ifXTable values of one request come from one snapshot, so they
	// are exactly one state VPP passed through, whichever the agent last
	// read. The sim is advanced between requests, never during one, so
	// that the stats segment is never read half-written (VPP's counters
	// are not written atomically either).
	type state struct{ octets, mcast, bcast uint64 }
	seen := map[uint64]state{c.RxPackets: {c.RxBytes, c.RxMulticastPackets, c.RxBroadcastPackets}}
	served := map[uint64]bool{}
	for i := 0; i < 20; i++ {
		sim.Advance(7 * time.Millisecond)
		c := sim.Counters(x.SwIfIndex)
		seen[c.RxPackets] = state{c.RxBytes, c.RxMulticastPackets, c.RxBroadcastPackets}
		v := read(t)
		sum := v.hcU + v.hcM + v.hcB
		st, ok := seen[sum]
		switch {
		case !ok:
			t.Errorf("request %d: ucast %d + mcast %d + bcast %d = %d: VPP never had that many rx packets", i, v.hcU, v.hcM, v.hcB, sum)
		case st != state{v.hcOct, v.hcM, v.hcB}:
			t.Errorf("request %d: octets %d, mcast %d, bcast %d with %d packets; VPP had %+v then (values from two snapshots)",
				i, v.hcOct, v.hcM, v.hcB, sum, st)
		}
		served[sum] = true
		time.Sleep(30 * time.Millisecond) // let the counters age past 100 ms now and then
	}
	if len(served) < 2 {
		t.Errorf("the served counters never moved while VPP's did (served %v)", served)
	}
}
