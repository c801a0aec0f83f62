package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
)

// trapScenario: a port with a sub-interface (whose traps are off, RFC
// 2863's default for sub-layers) and a loopback.
const trapScenario = `
interfaces:
  - name: TenGigabitEthernet3/0/0
    speed: 10G
  - name: TenGigabitEthernet3/0/0.100
    kind: sub
    parent: TenGigabitEthernet3/0/0
    vlan: 100
  - name: loop0
    kind: loopback
`

// trap is one linkUp/linkDown as snmptrapd logged it.
type trap struct {
	kind                 string // "linkDown" or "linkUp"
	ifIndex, admin, oper uint64
	descr                string
}

func (t trap) String() string {
	return fmt.Sprintf("%s(ifIndex %d, admin %d, oper %d, %s)", t.kind, t.ifIndex, t.admin, t.oper, t.descr)
}

// sameTraps compares traps; a wanted admin of 0 matches any.
func sameTraps(got, want []trap) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		w := want[i]
		if w.admin == 0 && (got[i].admin == up || got[i].admin == down) {
			w.admin = got[i].admin
		}
		if got[i] != w {
			return false
		}
	}
	return true
}

// parseTraps returns the linkUp and linkDown notifications in a snmptrapd
// log (-On: one record per trap, varbinds separated by tabs), in order.
func parseTraps(log string) ([]trap, error) {
	var out []trap
	for _, rec := range strings.Split(log, "\n") {
		if !strings.Contains(rec, "."+oidSnmpTrapOID+" = OID: ") {
			continue
		}
		var tr trap
		vals := map[string]snmpdtest.Line{}
		for _, f := range strings.Split(rec, "\t") {
			for _, l := range snmpdtest.ParseLines(strings.TrimSpace(f)) {
				vals[l.OID] = l
			}
		}
		switch vals["."+oidSnmpTrapOID].Value {
		case "." + oidLinkDown:
			tr.kind = "linkDown"
		case "." + oidLinkUp:
			tr.kind = "linkUp"
		default:
			continue // coldStart and the like
		}
		for oid, l := range vals {
			var col int
			var ix uint64
			if n, _ := fmt.Sscanf(oid, "."+oidIfEntry+".%d.%d", &col, &ix); n != 2 {
				continue
			}
			switch col {
			case colIfIndex:
				tr.ifIndex, _ = number(l)
			case colIfAdminStatus:
				tr.admin, _ = number(l)
			case colIfOperStatus:
				tr.oper, _ = number(l)
			case colIfDescr:
				tr.descr = strings.Trim(l.Value, `"`)
			}
		}
		if tr.ifIndex == 0 || tr.admin == 0 || tr.oper == 0 {
			return nil, fmt.Errorf("trap without ifIndex, ifAdminStatus or ifOperStatus: %q", rec)
		}
		out = append(out, tr)
	}
	return out, nil
}

// TestLinkUpDownTraps sends linkDown/linkUp through snmpd to a real
// snmptrapd. vppsim runs in-process so that a flap can be four state
// changes back to back, faster than any CLI round trip: each must still
// become its own trap, in order.
func TestLinkUpDownTraps(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	sim, socks := startSim(t, dir, simOptions{scenario: trapScenario})
	td := snmpdtest.StartTrapd(t)
	sd := snmpdtest.Start(t, snmpdtest.Options{TrapSink: td.Addr})
	startAgent(t, dir, sd, socks)
	waitServing(t, sd, 15*time.Second, 4)
	const port = "TenGigabitEthernet3/0/0"
	x, err := sim.Interface(port)
	if err != nil {
		t.Fatal(err)
	}
	ix := uint64(1000 + x.SwIfIndex)

	var want []trap
	// expect waits (1 s) for the traps so far to be exactly want.
	expect := func(step string, more ...trap) {
		t.Helper()
		want = append(want, more...)
		eventually(t, time.Second, step+": the traps arrive", func() error {
			got, err := parseTraps(td.Log())
			if err != nil {
				return errStop{err}
			}
			if len(got) < len(want) {
				return fmt.Errorf("%d linkUp/linkDown so far, want %d: %v", len(got), len(want), got)
			}
			if !sameTraps(got, want) {
				return errStop{fmt.Errorf("got\n  %v\nwant\n  %v", got, want)}
			}
			return nil
		})
	}
	linkDown := func(admin uint64) trap { return trap{"linkDown", ix, admin, down, port} }
	linkUp := trap{"linkUp", ix, up, up, port}

	if err := sim.SetAdmin(port, false); err != nil {
		t.Fatal(err)
	}
	expect("admin down", linkDown(down))
	if err := sim.SetAdmin(port, true); err != nil {
		t.Fatal(err)
	}
	expect("admin up", linkUp)
	// Carrier loss: admin stays up, oper goes down.
	if err := sim.SetLink(port, false); err != nil {
		t.Fatal(err)
	}
	expect("carrier lost", linkDown(up))
	if err := sim.SetLink(port, true); err != nil {
		t.Fatal(err)
	}
	expect("carrier back", linkUp)

	// A flap: every transition, in order. VPP's events say only that
	// something went down, and by the time the agent asks VPP whether it
	// was the admin state the flap is over: ifAdminStatus in these
	// linkDowns may be either (0: not checked).
	for _, st := range []bool{false, true, false, true} {
		if err := sim.SetAdmin(port, st); err != nil {
			t.Fatal(err)
		}
	}
	expect("flap", linkDown(0), linkUp, linkDown(0), linkUp)

	// Nothing more came (the sub-interface's transitions send none).
	time.Sleep(300 * time.Millisecond)
	if got, _ := parseTraps(td.Log()); len(got) != len(want) {
		t.Errorf("%d linkUp/linkDown, want %d: %v", len(got), len(want), got)
	}
}
