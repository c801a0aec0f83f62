package e2e

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
)

// operColumn walks ifOperStatus and returns it by ifIndex.
func operColumn(t *testing.T, sd *snmpdtest.Snmpd) (map[uint32]uint64, error) {
	lines, err := bulkwalk(t, sd, fmt.Sprintf("%s.%d", oidIfEntry, colIfOperStatus))
	if err != nil {
		return nil, err
	}
	prefix := fmt.Sprintf(".%s.%d.", oidIfEntry, colIfOperStatus)
	m := make(map[uint32]uint64, len(lines))
	for _, l := range lines {
		var ix uint32
		if _, err := fmt.Sscanf(strings.TrimPrefix(l.OID, prefix), "%d", &ix); err != nil || !strings.HasPrefix(l.OID, prefix) {
			return nil, fmt.Errorf("ifOperStatus walk: unexpected %s", l)
		}
		if m[ix], err = number(l); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// TestVPPKilledReadsDown: VPP killed with SIGKILL, every row reads
// ifOperStatus down(2) within 10 s, none lost and no ifIndex moved; VPP
// started again, the real states are back within 5 s with the same
// ifIndexes.
func TestVPPKilledReadsDown(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	vpp, socks := startVppsim(t, dir)
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	startAgent(t, dir, sd, socks)
	waitServing(t, sd, 15*time.Second, -1)
	ix := ifIndexes(t, sd)
	var before map[uint32]uint64
	eventually(t, 5*time.Second, "the oper states of the running VPP", func() error {
		var err error
		before, err = operColumn(t, sd)
		if err == nil && len(before) != len(ix) {
			err = fmt.Errorf("%d oper states for %d interfaces", len(before), len(ix))
		}
		return err
	})
	ups := 0
	for _, o := range before {
		if o == 1 {
			ups++
		}
	}
	if ups == 0 {
		t.Fatal("no interface up before the kill: the test would prove nothing")
	}

	vpp.kill()
	killed := time.Now()
	eventually(t, 10*time.Second, "every row down after VPP was killed", func() error {
		m, err := operColumn(t, sd)
		if err != nil {
			return err
		}
		if len(m) != len(ix) {
			return errStop{fmt.Errorf("%d rows after the kill, want all %d", len(m), len(ix))}
		}
		for i, o := range m {
			if o != 2 {
				return fmt.Errorf("ifOperStatus.%d = %d", i, o)
			}
		}
		return nil
	})
	t.Logf("every row down %v after the kill", time.Since(killed).Round(time.Millisecond))
	if got := ifIndexes(t, sd); !maps.Equal(got, ix) {
		t.Fatalf("ifIndexes changed while VPP was gone:\n got %v\nwant %v", got, ix)
	}

	startVppsim(t, dir)
	started := time.Now()
	eventually(t, 5*time.Second, "the real states back", func() error {
		m, err := operColumn(t, sd)
		if err != nil {
			return err
		}
		if !maps.Equal(m, before) {
			return fmt.Errorf("oper states %v, want %v", m, before)
		}
		return nil
	})
	t.Logf("real states back %v after VPP was started (its start included)", time.Since(started).Round(time.Millisecond))
	if got := ifIndexes(t, sd); !maps.Equal(got, ix) {
		t.Fatalf("ifIndexes changed across the VPP restart:\n got %v\nwant %v", got, ix)
	}
}
