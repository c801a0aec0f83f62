package e2e

import (
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
)

// TestCountersAreFresh: with traffic flowing, counters served are at most
// 1 s old (the default --poll-interval). vppsim runs in-process so that the
// test can read what VPP had counted at a given moment: a value served
// 1.2 s later must be beyond it, and two GETs 1.2 s apart must differ.
func TestCountersAreFresh(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	sim, socks := startSim(t, dir, simOptions{scenario: persistScenario}) // counted every 100 ms
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	startAgent(t, dir, sd, socks)
	waitServing(t, sd, 15*time.Second, 5)
	const port = "TenGigabitEthernet3/0/0"
	x, err := sim.Interface(port)
	if err != nil {
		t.Fatal(err)
	}
	oid := ifXCol(colIfHCInOctets, 1000+x.SwIfIndex)
	read := func() uint64 {
		t.Helper()
		n, err := number(mustGet(t, sd, oid)["."+oid])
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	prev := read()
	for i := range 3 {
		seen := sim.Counters(x.SwIfIndex).RxBytes // what VPP had at this moment
		time.Sleep(1200 * time.Millisecond)
		v := read()
		after := sim.Counters(x.SwIfIndex).RxBytes
		if v <= seen || v > after {
			t.Errorf("round %d: ifHCInOctets %d served 1.2 s after VPP had counted %d (now %d): older than 1 s", i, v, seen, after)
		}
		if v == prev {
			t.Errorf("round %d: two GETs 1.2 s apart gave the same ifHCInOctets %d", i, v)
		}
		prev = v
	}
}
