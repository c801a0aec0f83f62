package statseg

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.fd.io/govpp/adapter"
	"go.fd.io/govpp/api"
)

// step changes both 32-bit halves of a counter at every update: a value
// built from halves of two different updates is not a multiple of it.
const step = 1<<32 + 1

type readStats struct {
	reads, busy, lenErr, otherErr int
	reconnects                    int
	skewed                        int    // reads where some bytes != 64*packets
	maxSkew                       uint64 // in updates
	sizes                         map[int]int
	firstErr                      error
}

// A writer updates counters (packets and bytes = 64*packets, drops) and
// changes the interface table (including one move to a new memfd) while
// govpp readers read in a loop. Every read govpp returns must be made of
// whole 64-bit words, counters of surviving interfaces never go backwards,
// names match indexes, and once the writer stops every reader reads
// exactly what was written. What VPP does not promise, and this does not
// either, is that a read sees an update's packets and bytes together: the
// count of such reads is logged.
func TestTornReads(t *testing.T) {
	const (
		threads = 2
		stable  = 32 // indexes that are never removed
		rounds  = 3000
		every   = 60 // rounds between interface table changes
		readers = 2
	)
	s, err := New(WithThreads(threads), WithCapacity(64))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	names := func(n int) []string { return numbered("if%d", n) }
	sizes := []int{stable, 48, stable, 48, 3000} // 3000 needs a new memfd
	if err := s.SetInterfaces(names(stable)); err != nil {
		t.Fatal(err)
	}
	path := serve(t, s)

	// final[i] is the number of updates of index i per thread, kept by the
	// writer for the stable indexes.
	var final [stable]uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	results := make([]readStats, readers)
	for r := range readers {
		conn, err := dial(path)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func(st *readStats) {
			defer wg.Done()
			defer func() { conn.Disconnect() }()
			st.sizes = map[int]int{}
			var last [stable]uint64
			for {
				select {
				case <-done:
					return
				default:
				}
				var is api.InterfaceStats
				err := conn.GetInterfaceStats(&is)
				st.reads++
				switch {
				case errors.Is(err, adapter.ErrStatsDataBusy), errors.Is(err, adapter.ErrStatsDirStale):
					st.busy++
					continue
				case errors.Is(err, adapter.ErrStatsAccessFailed):
					// The segment moved to a new memfd: reconnect, as the
					// agent does when its stats connection fails.
					conn.Disconnect()
					if conn, err = dial(path); err != nil {
						t.Error(err)
						conn = nil
						return
					}
					st.reconnects++
					continue
				case err != nil && strings.Contains(err.Error(), "stat data length incorrect"):
					// govpp v0.13.0 reads a directory that changed between
					// its epoch check and accessStart, and reports the
					// mismatch as an error before it checks the epoch again.
					st.lenErr++
					continue
				case err != nil:
					st.otherErr++
					if st.firstErr == nil {
						st.firstErr = err
					}
					continue
				}
				n := len(is.Interfaces)
				st.sizes[n]++
				if n != stable && n != 48 && n != 3000 {
					t.Errorf("read %d interfaces", n)
					return
				}
				for i, c := range is.Interfaces {
					if c.InterfaceName != fmt.Sprintf("if%d", i) || c.InterfaceIndex != uint32(i) {
						t.Errorf("index %d named %q", i, c.InterfaceName)
						return
					}
					if c.Rx.Packets%step != 0 || c.Rx.Bytes%(64*step) != 0 || c.Drops%step != 0 {
						t.Errorf("torn word at index %d: rx %#x/%#x drops %#x", i, c.Rx.Packets, c.Rx.Bytes, c.Drops)
						return
					}
					if c.Rx.Bytes != 64*c.Rx.Packets {
						st.skewed++
						d := max(c.Rx.Bytes/64, c.Rx.Packets) - min(c.Rx.Bytes/64, c.Rx.Packets)
						st.maxSkew = max(st.maxSkew, d/step)
					}
					if i < stable {
						if c.Rx.Packets < last[i] {
							t.Errorf("index %d rx went back from %d to %d updates", i, last[i]/step, c.Rx.Packets/step)
							return
						}
						last[i] = c.Rx.Packets
					}
				}
			}
		}(&results[r])
	}

	dirChanges := 0
	for round := 1; round <= rounds; round++ {
		for i := range uint32(stable) {
			for th := range threads {
				s.AddCombined(Rx, th, i, step, 64*step)
				s.AddSimple(Drops, th, i, step)
			}
			final[i]++
		}
		// Indexes beyond the stable ones count too, while they exist.
		for i := uint32(stable); i < 48; i++ {
			s.AddCombined(Rx, 0, i, step, 64*step)
		}
		if round%every == 0 {
			n := sizes[(round/every)%len(sizes)]
			if err := s.SetInterfaces(names(n)); err != nil {
				t.Fatal(err)
			}
			dirChanges++
		}
	}
	close(done)
	wg.Wait()
	if s.Generation() == 0 {
		t.Error("the table never moved to a new memfd")
	}

	// Quiescent: every reader must read exactly what was written.
	last := sizes[(rounds/every)%len(sizes)]
	for r := range readers {
		conn := connect(t, path)
		got := ifaceStats(t, conn)
		if len(got) != last {
			t.Fatalf("reader %d: %d interfaces at rest, want %d", r, len(got), last)
		}
		for i := range stable {
			want := final[i] * threads * step
			if got[i].Rx.Packets != want || got[i].Rx.Bytes != 64*want || got[i].Drops != want {
				t.Errorf("at rest, index %d: rx %d/%d drops %d, want %d/%d %d", i, got[i].Rx.Packets, got[i].Rx.Bytes, got[i].Drops, want, 64*want, want)
			}
		}
	}

	total := readStats{}
	for r, st := range results {
		t.Logf("reader %d: %d reads, sizes %v, %d busy, %d length errors, %d reconnects, %d other errors, %d with rx packets/bytes of different updates (max %d updates apart)",
			r, st.reads, st.sizes, st.busy, st.lenErr, st.reconnects, st.otherErr, st.skewed, st.maxSkew)
		if st.reconnects == 0 {
			t.Errorf("reader %d never saw the move to a new memfd", r)
		}
		if st.otherErr > 0 {
			t.Errorf("reader %d: unexpected error: %v", r, st.firstErr)
		}
		total.reads += st.reads - st.busy - st.lenErr
	}
	t.Logf("%d directory changes, %d good reads in all", dirChanges, total.reads)
	if total.reads < readers {
		t.Errorf("only %d good reads: the test saw nothing", total.reads)
	}
}
