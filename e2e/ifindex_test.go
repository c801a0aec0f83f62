package e2e

import (
	"fmt"
	"maps"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim"
)

const persistScenario = `
interfaces:
  - name: TenGigabitEthernet3/0/0
    speed: 10G
    mtu: 9000
    mac: 3c:fd:fe:00:30:00
    rates: {rx_pps: 1000, tx_pps: 1000, rx_size: 100, tx_size: 100}
  - name: TenGigabitEthernet3/0/1
    speed: 10G
    mtu: 9000
    mac: 3c:fd:fe:00:30:01
  - name: loop0
    kind: loopback
    mtu: 1500
  - name: TenGigabitEthernet3/0/0.100
    kind: sub
    parent: TenGigabitEthernet3/0/0
    vlan: 100
    mtu: 1500
    rates: {rx_pps: 100, tx_pps: 100, rx_size: 100, tx_size: 100}
`

// persistWant is persistScenario's IF-MIB with the given ifIndexes and
// counters at zero.
func persistWant(ix map[string]uint32) []wantIf {
	const port, sub = "TenGigabitEthernet3/0/0", "TenGigabitEthernet3/0/0.100"
	ws := []wantIf{
		{name: "local0", ifType: typeOther, admin: down, oper: down},
		{name: port, ifType: typeEthernet, mtu: 9000, speedKbps: 10e6, mac: "3C FD FE 00 30 00", admin: up, oper: up, connector: true},
		{name: "TenGigabitEthernet3/0/1", ifType: typeEthernet, mtu: 9000, speedKbps: 10e6, mac: "3C FD FE 00 30 01", admin: up, oper: up, connector: true},
		{name: "loop0", ifType: typeLoopback, mtu: 1500, mac: "DE AD 00 00 00 00", admin: up, oper: up},
		{name: sub, ifType: typeL2VLAN, mtu: 1500, speedKbps: 10e6, mac: "3C FD FE 00 30 00", admin: up, oper: up, stacked: true},
	}
	for i := range ws {
		ws[i].ifIndex = ix[ws[i].name]
	}
	return ws
}

func swIfIndexes(t *testing.T, sim *vppsim.Sim) map[string]uint32 {
	t.Helper()
	m := map[string]uint32{}
	for _, x := range sim.Interfaces() {
		m[x.Name] = x.SwIfIndex
	}
	return m
}

// waitIfIndexes polls the ifDescr walk until it is exactly want.
func waitIfIndexes(t *testing.T, sd *snmpdtest.Snmpd, timeout time.Duration, what string, want map[string]uint32) {
	t.Helper()
	eventually(t, timeout, what, func() error {
		got, err := ifIndexesErr(t, sd)
		if err != nil {
			return err
		}
		if !maps.Equal(got, want) {
			return fmt.Errorf("ifIndexes %v, want %v", got, want)
		}
		return nil
	})
}

// TestIfIndexPersists checks that an interface name keeps its ifIndex when
// VPP deletes and re-creates it on another sw_if_index (whose own
// 1000 + sw_if_index another interface took meanwhile), when the agent
// restarts with the same --ifindex-file, and when VPP restarts with its
// interfaces in another order and its counters at zero; after that restart
// ifCounterDiscontinuityTime moves and the walk is right again within 3 s.
// vppsim runs in-process: the test needs its sw_if_index values, deletes
// and creations in a precise order, and counters that move only when told.
func TestIfIndexPersists(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	sim, socks := startSim(t, dir, simOptions{scenario: persistScenario, tick: -1})
	sim.Advance(time.Second)
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	a := startAgent(t, dir, sd, socks)
	waitServing(t, sd, 15*time.Second, 5)
	const port, sub = "TenGigabitEthernet3/0/0", "TenGigabitEthernet3/0/0.100"

	// First sight: 1000 + sw_if_index.
	sw0 := swIfIndexes(t, sim)
	want := map[string]uint32{}
	for name, sw := range sw0 {
		want[name] = 1000 + sw
	}
	waitIfIndexes(t, sd, 3*time.Second, "first ifIndexes", want)

	// Delete the sub-interface; a new loopback takes its sw_if_index (VPP
	// reuses the last freed), then the sub-interface comes back elsewhere.
	if err := sim.Delete(sub); err != nil {
		t.Fatal(err)
	}
	loop, err := sim.CreateLoopback()
	if err != nil {
		t.Fatal(err)
	}
	if loop.SwIfIndex != sw0[sub] {
		t.Fatalf("precondition: %s got sw_if_index %d, not the deleted %s's %d", loop.Name, loop.SwIfIndex, sub, sw0[sub])
	}
	if err := sim.SetAdmin(loop.Name, true); err != nil {
		t.Fatal(err)
	}
	again, err := sim.CreateSub(port, 100, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.SetAdmin(sub, true); err != nil {
		t.Fatal(err)
	}
	var loopIx uint32
	eventually(t, 3*time.Second, "the re-created sub-interface keeps its ifIndex", func() error {
		got, err := ifIndexesErr(t, sd)
		if err != nil {
			return err
		}
		loopIx = got[loop.Name]
		if got[sub] != want[sub] || loopIx == 0 || len(got) != len(want)+1 {
			return fmt.Errorf("ifIndexes %v; want %s at %d (it is at sw_if_index %d now) and a new %s", got, sub, want[sub], again.SwIfIndex, loop.Name)
		}
		return nil
	})
	for name, ix := range want {
		if ix == loopIx {
			t.Errorf("%s got ifIndex %d, which is %s's", loop.Name, ix, name)
		}
	}
	want[loop.Name] = loopIx
	// The re-created sub-interface's counters started again from zero.
	discOID := ifXCol(colIfCounterDiscTime, want[sub])
	if v, err := ticks(mustGet(t, sd, discOID)["."+discOID]); err != nil || v == 0 {
		t.Errorf("ifCounterDiscontinuityTime of the re-created %s = %d (%v), want the time it came back", sub, v, err)
	}

	// The agent restarts with the same file.
	a.signal(syscall.SIGTERM)
	if code := a.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("agent exit status %d after SIGTERM", code)
	}
	b, err := os.ReadFile(a.ifindexFile)
	if err != nil {
		t.Fatal(err)
	}
	for name := range want {
		if !strings.Contains(string(b), fmt.Sprintf("%q", name)) {
			t.Errorf("%s lacks %s:\n%s", a.ifindexFile, name, b)
		}
	}
	startAgent(t, dir, sd, socks) // the same --ifindex-file
	waitIfIndexes(t, sd, 15*time.Second, "ifIndexes after the agent restarted", want)

	// VPP restarts: other sw_if_index values, a new stats segment, counters
	// from zero, and the loopback made at run time forgotten.
	oid := func(col int, name string) string { return ifXCol(col, want[name]) }
	before := map[string]uint64{}
	m := mustGet(t, sd, oid(colIfCounterDiscTime, port), oid(colIfCounterDiscTime, sub), oid(colIfHCInOctets, port))
	if n, err := number(m["."+oid(colIfHCInOctets, port)]); err != nil || n == 0 {
		t.Fatalf("precondition: %s has no traffic before the restart: %v %v", port, n, err)
	}
	for _, name := range []string{port, sub} {
		if before[name], err = ticks(m["."+oid(colIfCounterDiscTime, name)]); err != nil {
			t.Fatal(err)
		}
	}
	if err := sim.Restart(); err != nil {
		t.Fatal(err)
	}
	sw1 := swIfIndexes(t, sim)
	if sw1[port] == sw0[port] {
		t.Fatalf("precondition: %s kept sw_if_index %d across the restart", port, sw1[port])
	}
	delete(want, loop.Name)
	ws := persistWant(want)
	eventually(t, 3*time.Second, "walks right after VPP restarted", func() error {
		if err := walkErr(t, sd, oidIfTable, wantTable(oidIfEntry, 22, ws, ifEntryValue)); err != nil {
			return err
		}
		if err := walkErr(t, sd, oidIfXTable, wantTable(oidIfXEntry, 19, ws, ifXEntryValue)); err != nil {
			return err
		}
		return walkErr(t, sd, oidIfStackTable, wantStack(ws, []stackPair{{want[sub], want[port]}}))
	})
	m = mustGet(t, sd, oid(colIfCounterDiscTime, port), oid(colIfCounterDiscTime, sub), oidSysUpTime)
	upTo, err := ticks(m["."+oidSysUpTime])
	if err != nil {
		t.Fatal(err)
	}
	// A VPP restart restarts every counter (a new stats segment), whether
	// or not one went back: the port's went back to zero, the
	// sub-interface (re-created without traffic) had none to lose.
	for _, name := range []string{port, sub} {
		v, err := ticks(m["."+oid(colIfCounterDiscTime, name)])
		if err != nil {
			t.Fatal(err)
		}
		if v <= before[name] || v > upTo {
			t.Errorf("ifCounterDiscontinuityTime of %s = %d after VPP restarted, want in %d..sysUpTime (%d)", name, v, before[name]+1, upTo)
		}
	}

	// Traffic again: counted at the new sw_if_index, served at the old
	// ifIndex (counters are at most 1 s old).
	sim.Advance(time.Second)
	wantOctets := sim.Counters(sw1[port]).RxBytes
	if wantOctets != 1000*100+100*100 {
		t.Fatalf("precondition: vppsim counted %d octets on %s", wantOctets, port)
	}
	eventually(t, 3*time.Second, "counters after VPP restarted", func() error {
		m, err := get(t, sd, oid(colIfHCInOctets, port))
		if err != nil {
			return err
		}
		if n, err := number(m["."+oid(colIfHCInOctets, port)]); err != nil || n != wantOctets {
			return fmt.Errorf("ifHCInOctets of %s = %d (%v), want %d", port, n, err, wantOctets)
		}
		return nil
	})
}
