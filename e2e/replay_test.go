package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
)

// timeColumns are the objects whose values depend on when things ran
// (sysUpTime instants): the golden walk, made with a fixed clock, cannot
// hold the values a live snmpd gives them.
var timeColumns = []string{
	"." + oidIfEntry + ".9.",   // ifLastChange
	"." + oidIfXEntry + ".19.", // ifCounterDiscontinuityTime
	"." + oidIfTableLastChange,
	"." + oidIfStackLastChange,
}

func isTimeColumn(oid string) bool {
	for _, p := range timeColumns {
		if strings.HasPrefix(oid, p) || oid == p {
			return true
		}
	}
	return false
}

// goldenLines reads the mib package's golden walk of the 26.06 capture. It
// is written in snmpwalk -On's format, except that an empty string keeps
// its STRING label.
func goldenLines(t *testing.T) []snmpdtest.Line {
	t.Helper()
	b, err := os.ReadFile("../mib/testdata/fixture.golden")
	if err != nil {
		t.Fatalf("reading the mib package's golden walk: %v", err)
	}
	lines := snmpdtest.ParseLines(string(b))
	for i, l := range lines {
		if l.Type == "STRING" && l.Value == `""` {
			lines[i].Type = "" // net-snmp prints an empty string without a label
		}
	}
	return lines
}

// TestReplayMatchesGolden serves the capture of a real VPP 26.06 (vppsim
// --replay, as a process: nothing needs driving) through the agent and
// snmpd, and compares the walk with the mib package's golden walk of the
// same capture: every varbind, every value except the sysUpTime instants,
// which must be Timeticks no later than snmpd's sysUpTime.
func TestReplayMatchesGolden(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	_, socks := startVppsim(t, dir, "--replay", "testdata/vpp-26.06")
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	a := startAgent(t, dir, sd, socks)
	want := goldenLines(t)
	waitServing(t, sd, 15*time.Second, 10)

	var got []snmpdtest.Line
	for _, root := range []string{"1.3.6.1.2.1.2", "1.3.6.1.2.1.31.1"} {
		lines, err := bulkwalk(t, sd, root)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, lines...)
	}
	up := mustGet(t, sd, oidSysUpTime)["."+oidSysUpTime]
	upTicks, err := ticks(up)
	if err != nil {
		t.Fatal(err)
	}
	// Compare the time columns by type and bound, everything else exactly.
	var g, w []snmpdtest.Line
	timed := 0
	for _, l := range got {
		if isTimeColumn(l.OID) {
			timed++
			v, err := ticks(l)
			if err != nil {
				t.Error(err)
			} else if v > upTicks {
				t.Errorf("%s is after sysUpTime %d", l, upTicks)
			}
			continue
		}
		g = append(g, l)
	}
	wantTimed := 0
	for _, l := range want {
		if isTimeColumn(l.OID) {
			wantTimed++
			continue
		}
		w = append(w, l)
	}
	if timed != wantTimed {
		t.Errorf("%d time-valued varbinds, the golden walk has %d", timed, wantTimed)
	}
	if d := diffLines(g, w); d != "" {
		t.Errorf("walk of the replayed 26.06 capture differs from mib/testdata/fixture.golden:\n%s", d)
	}
	if len(w) < 400 {
		t.Errorf("the golden walk has only %d timeless varbinds", len(w))
	}
	// The capture's VPP was built without linux-cp: the agent says so and
	// serves everything else.
	if l := a.Log(); !strings.Contains(l, "VPP lacks") || !strings.Contains(l, "lcp_itf_pair_get") {
		t.Errorf("the agent did not report the missing linux-cp messages:\n%s", tail(l, 20))
	}
}

// TestReplayIPAddresses: the agent serves the captured VPP's addresses
// (ip_address_dump.json, replayed by vppsim) in ipAddrTable and
// ipAddressTable, each on the ifIndex whose ifName is the interface VPP
// named in the capture.
func TestReplayIPAddresses(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	_, socks := startVppsim(t, dir, "--replay", "testdata/vpp-26.06")
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	startAgent(t, dir, sd, socks, "--ip-interval", "1s")
	waitServing(t, sd, 15*time.Second, 10)
	want := map[string]string{ // ip_address_dump.json
		"1.4.192.0.2.1": "host-vpp-veth0", "2.16.32.1.13.184.0.1.0.0.0.0.0.0.0.0.0.1": "host-vpp-veth0",
		"1.4.203.0.113.1": "loop0", "1.4.198.18.42.1": "vxlan_tunnel0", "1.4.198.18.43.1": "gre0",
		"1.4.198.51.100.1": "host-vpp-veth0.100",
	}
	eventually(t, 10*time.Second, "ipAddressTable serves the capture's addresses", func() error {
		names := ifNameByIndex(t, sd)
		m, err := column(t, sd, oidIPAddressIfIndex)
		if err != nil {
			return err
		}
		if len(m) != len(want) {
			return fmt.Errorf("%d rows, want %d: %v", len(m), len(want), m)
		}
		for idx, l := range m {
			if names[l.Value] != want[idx] {
				return fmt.Errorf("ipAddressIfIndex.%s = %s (%s), want %s", idx, l.Value, names[l.Value], want[idx])
			}
		}
		return nil
	})
	m := mustGet(t, sd, oidIPAdEntNetMask+".198.18.43.1")
	if l := m["."+oidIPAdEntNetMask+".198.18.43.1"]; l.Value != "255.255.255.252" {
		t.Errorf("ipAdEntNetMask of gre0's /30 = %s", l)
	}
}
