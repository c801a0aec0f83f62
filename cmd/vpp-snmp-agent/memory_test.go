package main

import (
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/poller"
)

type nopObserver struct{}

func (nopObserver) Refreshed(poller.Source, time.Duration, error) {}
func (nopObserver) Published(int, int, bool)                      {}
func (nopObserver) Event()                                        {}

// TestMemoryBudget: the limit follows the interfaces (900 bytes each, 64
// MiB at least), rises with a live heap that needs it, and is set again
// only when it moves by more than a sixteenth.
func TestMemoryBudget(t *testing.T) {
	var sets []int64
	live := uint64(10 << 20)
	b := &memoryBudget{Observer: nopObserver{}, set: func(l int64) int64 { sets = append(sets, l); return 0 }, live: func() uint64 { return live }}
	b.Published(1000, 0, false)
	b.Published(100_000, 0, false)
	b.Published(100_010, 0, false) // within a sixteenth: not set again
	live = 200 << 20               // a large neighbour table, say
	b.Refreshed(poller.SourceStats, time.Millisecond, nil)
	want := []int64{64 << 20, 90_000_000, 300 << 20}
	if len(sets) != len(want) {
		t.Fatalf("limits set %v, want %v", sets, want)
	}
	for i := range want {
		if sets[i] != want[i] {
			t.Errorf("limit %d = %d, want %d", i, sets[i], want[i])
		}
	}
}

// TestMemoryBudgetGOMEMLIMIT: an operator's GOMEMLIMIT is left alone.
func TestMemoryBudgetGOMEMLIMIT(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "1GiB")
	if _, wrapped := withMemoryBudget(nopObserver{}).(*memoryBudget); wrapped {
		t.Error("the budget replaces the operator's GOMEMLIMIT")
	}
	t.Setenv("GOMEMLIMIT", "")
	if _, wrapped := withMemoryBudget(nopObserver{}).(*memoryBudget); !wrapped {
		t.Error("no budget without GOMEMLIMIT")
	}
}
