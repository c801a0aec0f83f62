package ifindex

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

// router returns n names at sw_if_index 0..n-1.
func router(n int) ([]string, []uint32) {
	names := make([]string, n)
	sws := make([]uint32, n)
	for i := range n {
		names[i], sws[i] = fmt.Sprintf("TenGigabitEthernet3/0/0.%d", i), uint32(i)
	}
	return names, sws
}

// TestAssignAddsWithoutCopy: a new name among many known ones is added
// beside the map of the rest, which the new registry shares; the old one
// is unchanged.
func TestAssignAddsWithoutCopy(t *testing.T) {
	names, sws := router(10_000)
	_, x := (*Registry)(nil).Assign(names, sws, t0)
	ix, y := x.Assign([]string{"loop0"}, []uint32{10_000}, t0.Add(time.Second))
	if reflect.ValueOf(y.byName).UnsafePointer() != reflect.ValueOf(x.byName).UnsafePointer() {
		t.Error("adding one name copied the map of every name")
	}
	if ix[0] != 11_000 {
		t.Errorf("loop0 got ifIndex %d, want 1000+10000", ix[0])
	}
	if got, ok := y.Lookup("loop0"); !ok || got != 11_000 {
		t.Errorf("Lookup(loop0) = %d, %v", got, ok)
	}
	if _, ok := x.Lookup("loop0"); ok {
		t.Error("the earlier registry changed")
	}
	if y.Len() != 10_001 || x.Len() != 10_000 {
		t.Errorf("Len %d and %d, want 10001 and 10000", y.Len(), x.Len())
	}
	// a collision with a known name's number goes to the next free one
	ix, z := y.Assign([]string{"loop1"}, []uint32{5}, t0.Add(2*time.Second))
	if ix[0] != 11_001 {
		t.Errorf("loop1 (at sw_if_index 5, whose number is taken) got %d, want 11001", ix[0])
	}
	if got := slices.Collect(maps.Values(collectAll(z))); len(got) != 10_002 {
		t.Errorf("%d records, want 10002", len(got))
	}
}

func collectAll(x *Registry) map[string]uint32 {
	m := map[string]uint32{}
	for n, ix := range x.All() {
		m[n] = ix
	}
	return m
}

// step is one Assign's arguments.
type step struct {
	names []string
	sws   []uint32
	now   time.Time
}

// churnSteps returns random Assigns: every present name as a Build gives
// them, or a few new or returning names as a patch does, with collisions
// on the preferred numbers.
func churnSteps(n int) []step {
	rng := rand.New(rand.NewPCG(1, 2))
	names, sws := router(300)
	now := t0
	next := 0
	var out []step
	for range n {
		now = now.Add(time.Duration(rng.IntN(3)) * time.Second / 2)
		st := step{now: now}
		if rng.IntN(4) == 0 {
			st.names, st.sws = names, sws
		} else {
			for range 1 + rng.IntN(3) {
				if rng.IntN(3) == 0 && next > 0 {
					st.names = append(st.names, fmt.Sprintf("loop%d", rng.IntN(next)))
				} else {
					st.names = append(st.names, fmt.Sprintf("loop%d", next))
					next++
				}
				st.sws = append(st.sws, uint32(rng.IntN(400)))
			}
		}
		out = append(out, st)
	}
	return out
}

// withoutSeen is x's records with no last-seen time.
func withoutSeen(x *Registry) []Record {
	var out []Record
	for r := range x.Records() {
		r.LastSeen = time.Time{}
		out = append(out, r)
	}
	return out
}

// TestAddedMatchesRewritten: the same Assigns, with names added beside
// the shared map or every map rewritten (foldEvery 1), give the same
// ifIndexes and records at every step (last-seen times aside: a rewrite
// records every name it is given, an add only the new ones, both within
// the grain).
func TestAddedMatchesRewritten(t *testing.T) {
	var a *Registry
	b := &Registry{foldEvery: 1}
	adds, folds := 0, 0
	for i, st := range churnSteps(800) {
		ia, na := a.Assign(st.names, st.sws, st.now)
		ib, nb := b.Assign(st.names, st.sws, st.now)
		if !slices.Equal(ia, ib) {
			t.Fatalf("step %d: ifIndexes %v, rewritten %v", i, ia, ib)
		}
		switch {
		case na == a:
		case a != nil && len(na.added) > 0 && reflect.ValueOf(na.byName).UnsafePointer() == reflect.ValueOf(a.byName).UnsafePointer():
			adds++
		default:
			folds++
		}
		a, b = na, nb
		if ra, rb := withoutSeen(a), withoutSeen(b); !slices.Equal(ra, rb) {
			t.Fatalf("step %d: %d records, rewritten %d, or they differ", i, len(ra), len(rb))
		}
	}
	if adds == 0 || folds < 2 {
		t.Errorf("%d adds beside the shared map and %d rewrites: the test did not exercise both", adds, folds)
	}
}

// TestAddedKeepsPromises: with names forgotten and tombstones expiring
// through the churn, no two names share an ifIndex, none takes a live
// tombstone's, and a name keeps its ifIndex for as long as it is held.
func TestAddedKeepsPromises(t *testing.T) {
	x := (*Registry)(nil).WithForgetAfter(20 * time.Second)
	held := map[string]uint32{}
	forgotten := 0
	for i, st := range churnSteps(1200) {
		ix, y := x.Assign(st.names, st.sws, st.now)
		for k, n := range st.names {
			if ix[k] == 0 {
				t.Fatalf("step %d: %s got no ifIndex", i, n)
			}
		}
		now := map[string]uint32{}
		byIx := map[uint32]string{}
		for n, v := range y.All() {
			if o, dup := byIx[v]; dup {
				t.Fatalf("step %d: %s and %s share ifIndex %d", i, o, n, v)
			}
			byIx[v] = n
			now[n] = v
			if old, ok := held[n]; ok && old != v {
				t.Fatalf("step %d: %s moved from %d to %d while held", i, n, old, v)
			}
		}
		for tb := range y.Tombstones() {
			if n, ok := byIx[tb.IfIndex]; ok {
				t.Fatalf("step %d: %s holds tombstoned ifIndex %d", i, n, tb.IfIndex)
			}
		}
		forgotten += len(held) - min(len(held), len(now))
		held, x = now, y
	}
	if forgotten == 0 {
		t.Error("no name was forgotten: the test did not exercise forgetting")
	}
}

// BenchmarkAssignOneNew is one new interface's name among 100,000.
func BenchmarkAssignOneNew(b *testing.B) {
	names, sws := router(100_000)
	_, x := (*Registry)(nil).WithForgetAfter(30*24*time.Hour).Assign(names, sws, t0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, y := x.Assign([]string{fmt.Sprintf("loop%d", i)}, []uint32{100_000}, t0.Add(time.Second))
		if y == x {
			b.Fatal("no change")
		}
	}
}
