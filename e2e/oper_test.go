package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
)

// ifIndexes walks ifDescr and returns the ifIndex of every name.
func ifIndexes(t *testing.T, sd *snmpdtest.Snmpd) map[string]uint32 {
	t.Helper()
	m, err := ifIndexesErr(t, sd)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func ifIndexesErr(t *testing.T, sd *snmpdtest.Snmpd) (map[string]uint32, error) {
	col, err := walkColumn(t, sd, oidIfEntry, colIfDescr)
	if err != nil {
		return nil, err
	}
	return byName(col)
}

// walkColumn walks one column of ifEntry or ifXEntry (entry) and returns
// its lines by ifIndex.
func walkColumn(t *testing.T, sd *snmpdtest.Snmpd, entry string, col int) (map[uint32]snmpdtest.Line, error) {
	lines, err := bulkwalk(t, sd, fmt.Sprintf("%s.%d", entry, col))
	if err != nil {
		return nil, err
	}
	m := make(map[uint32]snmpdtest.Line, len(lines))
	prefix := fmt.Sprintf(".%s.%d.", entry, col)
	for _, l := range lines {
		var ix uint32
		if _, err := fmt.Sscanf(strings.TrimPrefix(l.OID, prefix), "%d", &ix); err != nil || !strings.HasPrefix(l.OID, prefix) {
			return nil, fmt.Errorf("walk of %s.%d: unexpected %s", entry, col, l)
		}
		m[ix] = l
	}
	return m, nil
}

// byName turns a walk of a name column (ifDescr, ifName) into each name's
// ifIndex; a name twice is an error.
func byName(col map[uint32]snmpdtest.Line) (map[string]uint32, error) {
	m := make(map[string]uint32, len(col))
	for ix, l := range col {
		name := strings.Trim(l.Value, `"`)
		if other, dup := m[name]; dup {
			return nil, fmt.Errorf("%q at ifIndex %d and %d", name, other, ix)
		}
		m[name] = ix
	}
	return m, nil
}

// numbers turns a walk of a numeric column into its values by ifIndex.
func numbers(col map[uint32]snmpdtest.Line) (map[uint32]uint64, error) {
	m := make(map[uint32]uint64, len(col))
	for ix, l := range col {
		v, err := number(l)
		if err != nil {
			return nil, err
		}
		m[ix] = v
	}
	return m, nil
}

// operState is one GET of an interface's state with snmpd's sysUpTime.
type operState struct {
	admin, oper      uint64
	lastChange, upTo uint64 // ifLastChange, sysUpTime.0
}

func getOperState(t *testing.T, sd *snmpdtest.Snmpd, ix uint32) (operState, error) {
	oids := []string{ifCol(colIfAdminStatus, ix), ifCol(colIfOperStatus, ix), ifCol(colIfLastChange, ix), oidSysUpTime}
	m, err := get(t, sd, oids...)
	if err != nil {
		return operState{}, err
	}
	var s operState
	if s.admin, err = number(m["."+oids[0]]); err != nil {
		return s, err
	}
	if s.oper, err = number(m["."+oids[1]]); err != nil {
		return s, err
	}
	if s.lastChange, err = ticks(m["."+oids[2]]); err != nil {
		return s, err
	}
	if s.upTo, err = ticks(m["."+oids[3]]); err != nil {
		return s, err
	}
	return s, nil
}

// waitOper polls until ifOperStatus of ix is want, within timeout, and
// returns that GET's values.
func waitOper(t *testing.T, sd *snmpdtest.Snmpd, ix uint32, want uint64, timeout time.Duration) operState {
	t.Helper()
	var s operState
	eventually(t, timeout, fmt.Sprintf("ifOperStatus.%d becomes %d", ix, want), func() error {
		var err error
		if s, err = getOperState(t, sd, ix); err != nil {
			return err
		}
		if s.oper != want {
			return fmt.Errorf("ifOperStatus.%d = %d", ix, s.oper)
		}
		return nil
	})
	return s
}

// TestOperStatusFollowsVPP sets an interface down and up again with the
// vppsim CLI, as an operator would with vppctl (vppsim runs as a process:
// nothing here needs finer control), and expects ifOperStatus to follow
// within 1 s, ifLastChange to move forward with each change and stay
// within snmpd's sysUpTime, and its sub-interface to be lowerLayerDown
// while it is down; then the same for a carrier loss (admin stays up) and
// for the sub-interface's own admin state.
func TestOperStatusFollowsVPP(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	_, socks := startVppsim(t, dir) // vppsim's default router
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	startAgent(t, dir, sd, socks)
	waitServing(t, sd, 15*time.Second, -1)
	const port, sub = "HundredGigabitEthernet5/0/0", "HundredGigabitEthernet5/0/0.300"
	ix := ifIndexes(t, sd)
	pIx, sIx := ix[port], ix[sub]
	if pIx == 0 || sIx == 0 {
		t.Fatalf("no %s or %s in ifDescr: %v", port, sub, ix)
	}

	s0, err := getOperState(t, sd, pIx)
	if err != nil {
		t.Fatal(err)
	}
	if s0.admin != up || s0.oper != up || s0.lastChange != 0 {
		t.Fatalf("%s at start: %+v, want up/up, ifLastChange 0 (no change since the agent started)", port, s0)
	}

	ctl(t, socks, "set", "interface", "state", port, "down")
	s1 := waitOper(t, sd, pIx, down, time.Second)
	if s1.admin != down {
		t.Errorf("ifAdminStatus.%d = %d after set down, want 2", pIx, s1.admin)
	}
	if s1.lastChange == 0 || s1.lastChange > s1.upTo {
		t.Errorf("ifLastChange.%d = %d after going down, want in 1..sysUpTime (%d)", pIx, s1.lastChange, s1.upTo)
	}
	if s, err := getOperState(t, sd, sIx); err != nil {
		t.Error(err)
	} else if s.admin != up || s.oper != lowerLayerDown || s.lastChange == 0 || s.lastChange > s.upTo {
		t.Errorf("%s over a down parent: %+v, want admin up, oper lowerLayerDown(7), ifLastChange in 1..sysUpTime", sub, s)
	}

	// Let sysUpTime pass the first change, so that the next one must be
	// later in ticks.
	eventually(t, 5*time.Second, "sysUpTime passes ifLastChange", func() error {
		s, err := getOperState(t, sd, pIx)
		if err != nil {
			return err
		}
		if s.upTo <= s1.lastChange {
			return fmt.Errorf("sysUpTime %d", s.upTo)
		}
		return nil
	})
	ctl(t, socks, "set", "interface", "state", port, "up")
	s2 := waitOper(t, sd, pIx, up, time.Second)
	if s2.admin != up {
		t.Errorf("ifAdminStatus.%d = %d after set up, want 1", pIx, s2.admin)
	}
	if s2.lastChange <= s1.lastChange || s2.lastChange > s2.upTo {
		t.Errorf("ifLastChange.%d = %d after coming up, want in %d..sysUpTime (%d)", pIx, s2.lastChange, s1.lastChange+1, s2.upTo)
	}
	waitOper(t, sd, sIx, up, time.Second)

	// VPP's sw_interface_event flags name the events that happened, not the
	// state: a carrier loss on an admin-up port comes as flags 0, and an
	// admin change of a sub-interface as ADMIN_UP alone (its link is its
	// parent's). ifAdminStatus must stay what it is in both.
	ctl(t, socks, "set", "interface", "link", port, "down")
	if s := waitOper(t, sd, pIx, down, time.Second); s.admin != up {
		t.Errorf("%s without carrier: ifAdminStatus %d, want up(1)", port, s.admin)
	}
	ctl(t, socks, "set", "interface", "link", port, "up")
	if s := waitOper(t, sd, pIx, up, time.Second); s.admin != up {
		t.Errorf("%s with carrier back: ifAdminStatus %d, want up(1)", port, s.admin)
	}
	ctl(t, socks, "set", "interface", "state", sub, "down")
	if s := waitOper(t, sd, sIx, down, time.Second); s.admin != down {
		t.Errorf("%s set down: ifAdminStatus %d, want down(2)", sub, s.admin)
	}
	ctl(t, socks, "set", "interface", "state", sub, "up")
	if s := waitOper(t, sd, sIx, up, time.Second); s.admin != up {
		t.Errorf("%s set up: ifAdminStatus %d, want up(1)", sub, s.admin)
	}
}
