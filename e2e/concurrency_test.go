package e2e

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
)

// parseOID turns ".1.3.6..." into numbers.
func parseOID(s string) ([]uint64, error) {
	var out []uint64
	for _, f := range strings.Split(strings.TrimPrefix(s, "."), ".") {
		n, err := strconv.ParseUint(f, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("OID %q: %w", s, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// checkTableWalk checks one walk of a table: OIDs strictly increasing, and
// every column holding exactly the rows in ifIndexes. It returns the
// values by column and ifIndex.
func checkTableWalk(lines []snmpdtest.Line, entry string, ncols int, ifIndexes []uint64) (map[int]map[uint64]snmpdtest.Line, error) {
	base, _ := parseOID(entry)
	cols := map[int]map[uint64]snmpdtest.Line{}
	var prev []uint64
	for _, l := range lines {
		o, err := parseOID(l.OID)
		if err != nil {
			return nil, err
		}
		if prev != nil && slices.Compare(o, prev) <= 0 {
			return nil, fmt.Errorf("%s does not follow %v", l.OID, prev)
		}
		prev = o
		if len(o) != len(base)+2 || !slices.Equal(o[:len(base)], base) {
			return nil, fmt.Errorf("%s is not in %s", l.OID, entry)
		}
		c := int(o[len(base)])
		if cols[c] == nil {
			cols[c] = map[uint64]snmpdtest.Line{}
		}
		cols[c][o[len(base)+1]] = l
	}
	if len(cols) != ncols {
		return nil, fmt.Errorf("%d columns, want %d", len(cols), ncols)
	}
	for c, rows := range cols {
		var got []uint64
		for ix := range rows {
			got = append(got, ix)
		}
		slices.Sort(got)
		if !slices.Equal(got, ifIndexes) {
			return nil, fmt.Errorf("column %d has rows %v, want %v", c, got, ifIndexes)
		}
	}
	return cols, nil
}

// TestParallelWalksDuringChanges walks ifTable and ifXTable from three
// clients at once while the snapshot is swapped all the time: counters
// refreshed every 50 ms with traffic counted every 20 ms, and a loopback
// flapping. Every walk must be whole and ordered, every row in every
// column, and a client must never see a counter go back. vppsim runs
// in-process to flap the loopback as fast as the agent rebuilds.
func TestParallelWalksDuringChanges(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	sim, socks := startSim(t, dir, simOptions{scenario: persistScenario, tick: 20 * time.Millisecond, workers: 2})
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	a := startAgent(t, dir, sd, socks, "--poll-interval", "50ms")
	waitServing(t, sd, 15*time.Second, 5)
	names := map[uint64]string{}
	var rows []uint64
	for _, x := range sim.Interfaces() {
		ix := uint64(1000 + x.SwIfIndex)
		names[ix] = x.Name
		rows = append(rows, ix)
	}
	slices.Sort(rows)

	stop := make(chan struct{})
	var flapper sync.WaitGroup
	flapper.Add(1)
	var flaps atomic.Int32
	go func() {
		defer flapper.Done()
		for up := false; ; up = !up {
			select {
			case <-stop:
				_ = sim.SetAdmin("loop0", true)
				return
			default:
			}
			if err := sim.SetAdmin("loop0", up); err == nil {
				flaps.Add(1)
			}
			time.Sleep(15 * time.Millisecond)
		}
	}()

	errs := make(chan error, 100)
	var walkers sync.WaitGroup
	for w := range 3 {
		walkers.Add(1)
		go func() {
			defer walkers.Done()
			var lastOctets map[uint64]uint64
			// At least 4 walks each, and walks until 20 flaps happened
			// under them (bounded, should the flapper stall).
			for i := 0; (i < 4 || flaps.Load() < 20) && i < 500; i++ {
				fail := func(err error) { errs <- fmt.Errorf("client %d walk %d: %w", w, i, err) }
				lines, err := bulkwalk(t, sd, oidIfTable)
				if err != nil {
					fail(err)
					return
				}
				cols, err := checkTableWalk(lines, oidIfEntry, 22, rows)
				if err != nil {
					fail(fmt.Errorf("ifTable: %w", err))
					return
				}
				for ix, l := range cols[colIfDescr] {
					if l.Value != `"`+names[ix]+`"` {
						fail(fmt.Errorf("ifDescr.%d = %s, want %q", ix, l.Value, names[ix]))
					}
				}
				for ix, l := range cols[colIfOperStatus] {
					if l.Value != "1" && !(names[ix] == "loop0" && l.Value == "2") && !(names[ix] == "local0" && l.Value == "2") {
						fail(fmt.Errorf("ifOperStatus.%d (%s) = %s", ix, names[ix], l.Value))
					}
				}
				lines, err = bulkwalk(t, sd, oidIfXTable)
				if err != nil {
					fail(err)
					return
				}
				if cols, err = checkTableWalk(lines, oidIfXEntry, 19, rows); err != nil {
					fail(fmt.Errorf("ifXTable: %w", err))
					return
				}
				octets := map[uint64]uint64{}
				for ix, l := range cols[colIfHCInOctets] {
					n, err := number(l)
					if err != nil {
						fail(err)
						return
					}
					if n < lastOctets[ix] {
						fail(fmt.Errorf("ifHCInOctets.%d went back from %d to %d", ix, lastOctets[ix], n))
					}
					octets[ix] = n
				}
				lastOctets = octets
			}
		}()
	}
	walkers.Wait()
	close(stop)
	flapper.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	if err := errors.Join(all...); err != nil {
		t.Error(err)
	}
	if n := flaps.Load(); n < 20 {
		t.Errorf("only %d flaps during the walks", n)
	}
	if err := checkIfNumber(t, sd, 5); err != nil {
		t.Error(err)
	}
	select {
	case <-a.done:
		t.Fatalf("the agent exited: %v", a.err)
	default:
	}
}
