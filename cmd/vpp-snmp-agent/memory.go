package main

import (
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/poller"
)

// The agent's memory budget: Go's soft memory limit follows the interfaces
// served, so that the runtime collects sooner and hands freed memory back
// to the system as it nears the budget, rather than letting the garbage of
// a full dump or a burst of patches pile up above it (with GOGC 10 alone,
// the peaks at 100,000 interfaces were 15 to 25 MB above the steady
// state). The live heap is about 500 bytes per interface.
const (
	budgetPerInterface = 900      // bytes: under the 1 KiB per interface the agent promises
	budgetFloor        = 64 << 20 // a small router's limit never binds
	// budgetOverLive keeps the limit at least this many times the live
	// heap: data beyond the interfaces (a large neighbour table) raises it
	// instead of making the collector run without pause.
	budgetOverLive = 1.5
)

// memoryBudget is a poller.Observer that keeps the soft memory limit at the
// budget of the interfaces last published, raised when the live heap
// needs it, and passes everything on to the Observer it wraps.
type memoryBudget struct {
	poller.Observer
	rows  atomic.Int64
	limit atomic.Int64
	set   func(int64) int64 // debug.SetMemoryLimit
	live  func() uint64     // the live heap as of the last collection
}

// withMemoryBudget wraps o, unless GOMEMLIMIT is set: the operator's limit
// wins.
func withMemoryBudget(o poller.Observer) poller.Observer {
	if os.Getenv("GOMEMLIMIT") != "" {
		return o
	}
	return &memoryBudget{Observer: o, set: debug.SetMemoryLimit, live: liveHeap}
}

func (b *memoryBudget) Published(rows, kept int, vppDown bool) {
	b.Observer.Published(rows, kept, vppDown)
	b.rows.Store(int64(rows))
	b.update()
}

// Refreshed comes with every counter read (every --poll-interval): the
// live heap grows with the other MIB modules' sources too.
func (b *memoryBudget) Refreshed(s poller.Source, took time.Duration, err error) {
	b.Observer.Refreshed(s, took, err)
	b.update()
}

// update sets the limit when it moved by more than a sixteenth.
func (b *memoryBudget) update() {
	want := budgetFor(b.rows.Load(), b.live())
	if old := b.limit.Load(); old != 0 && abs(want-old) <= old/16 {
		return
	}
	b.limit.Store(want)
	b.set(want)
}

// budgetFor is the memory limit for rows interfaces and a live heap of live
// bytes.
func budgetFor(rows int64, live uint64) int64 {
	l := max(budgetFloor, rows*budgetPerInterface)
	if over := float64(live) * budgetOverLive; over > float64(l) {
		l = int64(min(over, math.MaxInt64/2))
	}
	return l
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// liveHeap is the heap found live by the last collection.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
