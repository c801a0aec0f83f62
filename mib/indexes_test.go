package mib

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/ifindex"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

func ifIndexes(t *testing.T, s *Snapshot) map[string]uint32 {
	t.Helper()
	m := map[string]uint32{}
	for i := range s.Len() {
		r := s.Row(i)
		m[r.Descr] = r.IfIndex
	}
	return m
}

func TestIndexesFirstAllocation(t *testing.T) {
	ifaces := loadDetails(t)
	s, idx, _ := Build(nil, ifaces, nil, nil, t0, Options{})
	for _, in := range ifaces {
		if got, _ := idx.Lookup(in.Name); got != 1000+in.SwIfIndex {
			t.Errorf("%s: ifIndex %d, want 1000+%d", in.Name, got, in.SwIfIndex)
		}
	}
	if !maps.Equal(ifIndexes(t, s), maps.Collect(idx.All())) {
		t.Error("snapshot and ifindex.Registry disagree")
	}
}

// TestIndexesPersistence: a vanished interface keeps its ifIndex, a new
// name colliding with it takes the next free one, and a VPP restart that
// renumbers everything keeps every ifIndex by name.
func TestIndexesPersistence(t *testing.T) {
	a := []model.Interface{iface(0, "Te0", "dpdk", true), iface(1, "Te1", "dpdk", true), iface(2, "Te2", "dpdk", true)}
	s1, idx1, _ := Build(nil, a, nil, nil, t0, Options{})

	// Te1 deleted; loop0 created and VPP reuses sw_if_index 1 for it
	b := []model.Interface{a[0], iface(1, "loop0", "Loopback", true), a[2]}
	s2, idx2, _ := Build(s1, b, nil, idx1, t0.Add(time.Second), Options{})
	if idx2 == idx1 {
		t.Fatal("ifindex.Registry not replaced after an allocation")
	}
	if got, _ := idx2.Lookup("loop0"); got != 1003 {
		t.Errorf("loop0 took %d, want 1003 (1001 is Te1's, 1002 Te2's)", got)
	}
	if got, _ := idx2.Lookup("Te1"); got != 1001 {
		t.Errorf("Te1 lost its ifIndex: %d", got)
	}
	if _, ok := idx1.Lookup("loop0"); ok {
		t.Error("the old ifindex.Registry was modified")
	}
	// loop0 is a new row, Te1's row is gone
	if _, ok := s2.Find(1001); ok {
		t.Error("vanished Te1 still has a row")
	}

	// Te1 comes back at a new sw_if_index: same ifIndex
	c := append(b, iface(7, "Te1", "dpdk", true))
	s3, idx3, _ := Build(s2, c, nil, idx2, t0.Add(2*time.Second), Options{})
	if idx3 != idx2 {
		t.Error("ifindex.Registry replaced without a new name")
	}
	if got := ifIndexes(t, s3)["Te1"]; got != 1001 {
		t.Errorf("returning Te1 got %d, want 1001", got)
	}

	// VPP restart: same names, sw_if_index reversed
	d := []model.Interface{iface(0, "Te1", "dpdk", true), iface(1, "Te2", "dpdk", true), iface(2, "loop0", "Loopback", true), iface(3, "Te0", "dpdk", true)}
	s4, idx4, _ := Build(s3, d, nil, idx3, t0.Add(3*time.Second), Options{})
	want := map[string]uint32{"Te0": 1000, "Te1": 1001, "Te2": 1002, "loop0": 1003}
	if got := ifIndexes(t, s4); !maps.Equal(got, want) {
		t.Errorf("after renumbering: %v, want %v", got, want)
	}
	if idx4 != idx3 {
		t.Error("ifindex.Registry replaced without a new name")
	}
}

// TestIndexesNoDisplacement: new names first take their own 1000+sw before
// any collision falls back, so one collision does not cascade.
func TestIndexesNoDisplacement(t *testing.T) {
	idx, err := ifindex.New(map[string]uint32{"old": 1005})
	if err != nil {
		t.Fatal(err)
	}
	var ifaces []model.Interface
	for i := range uint32(8) {
		ifaces = append(ifaces, iface(5+i, "new"+string(rune('a'+i)), "dpdk", true))
	}
	_, idx, _ = Build(nil, ifaces, nil, idx, t0, Options{})
	for i := range uint32(8) {
		got, _ := idx.Lookup(ifaces[i].Name)
		want := 1005 + i
		if i == 0 {
			want = 1013 // 1005 is old's; 1006..1012 belong to the others
		}
		if got != want {
			t.Errorf("%s (sw %d): %d, want %d", ifaces[i].Name, 5+i, got, want)
		}
	}
}

func TestIndexesCollisionRun(t *testing.T) {
	// 1000..1999 all taken by vanished names: a new sw 0 gets 2000
	m := map[string]uint32{}
	for i := range uint32(1000) {
		m["gone"+string(rune(0x100+i))] = 1000 + i
	}
	idx, err := ifindex.New(m)
	if err != nil {
		t.Fatal(err)
	}
	_, idx, _ = Build(nil, []model.Interface{iface(0, "x", "dpdk", true), iface(1, "y", "dpdk", true), iface(4294967294, "z", "dpdk", true)}, nil, idx, t0, Options{})
	for name, want := range map[string]uint32{"x": 2000, "y": 2001, "z": 1} {
		if got, _ := idx.Lookup(name); got != want {
			t.Errorf("%s: %d, want %d", name, got, want)
		}
	}
}

func TestIndexesDuplicateNames(t *testing.T) {
	a := iface(0, "Te0", "dpdk", true)
	b := iface(1, "Te0", "dpdk", false) // VPP never does this; never panic
	s, idx, _ := Build(nil, []model.Interface{a, b}, nil, nil, t0, Options{})
	if s.Len() != 1 || idx.Len() != 1 {
		t.Fatalf("rows %d, names %d, want 1 and 1", s.Len(), idx.Len())
	}
	if r := s.Row(0); r.SwIfIndex != 0 || r.Admin != StatusUp {
		t.Errorf("kept %+v, want the first", r)
	}
}

func TestNewIndexesRejects(t *testing.T) {
	for _, m := range []map[string]uint32{
		{"a": 0},
		{"a": ifindex.Max + 1},
		{"a": 5, "b": 5},
	} {
		if _, err := ifindex.New(m); !errors.Is(err, ifindex.ErrInvalid) {
			t.Errorf("ifindex.New(%v) = %v, want ifindex.ErrInvalid", m, err)
		}
	}
	x, err := ifindex.New(map[string]uint32{"b": 7, "a": 3, "c": ifindex.Max})
	if err != nil {
		t.Fatal(err)
	}
	var order []uint32
	for _, ix := range x.All() {
		order = append(order, ix)
	}
	if len(order) != 3 || order[0] != 3 || order[1] != 7 || order[2] != ifindex.Max {
		t.Errorf("All order %v", order)
	}
}

// lookups returns the ifIndex of each name in idx (0 when absent).
func lookups(idx *ifindex.Registry, names ...string) map[string]uint32 {
	m := map[string]uint32{}
	for _, n := range names {
		m[n], _ = idx.Lookup(n)
	}
	return m
}

// TestIndexesForget: with forget-after 80 s (grain 10 s), a name unseen for
// longer is forgotten, never before; its ifIndex goes to no other name
// until its tombstone expires 80 s later; names present keep theirs.
func TestIndexesForget(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	abc := []model.Interface{iface(0, "a", "dpdk", true), iface(1, "b", "dpdk", true), iface(2, "c", "dpdk", true)}
	_, idx, _ := Build(nil, abc, nil, (*ifindex.Registry)(nil).WithForgetAfter(80*time.Second), at(0), Options{})
	ab := abc[:2]

	// Builds within a grain record nothing: the map is not rewritten.
	_, idx1, _ := Build(nil, ab, nil, idx, at(5), Options{})
	if idx1 != idx {
		t.Fatal("ifindex.Registry replaced 5 s later with nothing new")
	}
	// a and b are recorded again after a grain; c, unseen for 85 s, stays:
	// its recorded time may lag by up to a grain.
	_, idx, _ = Build(nil, ab, nil, idx, at(85), Options{})
	if got := lookups(idx, "a", "b", "c"); got["a"] != 1000 || got["b"] != 1001 || got["c"] != 1002 {
		t.Fatalf("at 85 s: %v, want every name kept", got)
	}
	_, idx, _ = Build(nil, ab, nil, idx, at(90), Options{})
	if _, ok := idx.Lookup("c"); !ok {
		t.Fatal("c forgotten at 90 s: within forget-after plus a grain")
	}
	_, idx, _ = Build(nil, ab, nil, idx, at(91), Options{})
	if _, ok := idx.Lookup("c"); ok || idx.Len() != 2 {
		t.Fatalf("at 91 s: c still known (%d names)", idx.Len())
	}
	if ts := slices.Collect(idx.Tombstones()); len(ts) != 1 || ts[0].IfIndex != 1002 || !ts[0].Forgotten.Equal(at(91)) {
		t.Fatalf("tombstones %v, want 1002 forgotten at 91 s", ts)
	}

	// A new name at sw_if_index 2 wants 1002: tombstoned, so it takes the
	// next free number, until the tombstone expires at 91+80 s.
	_, idx, _ = Build(nil, append(ab[:2:2], iface(2, "d", "Loopback", true)), nil, idx, at(170), Options{})
	if got, _ := idx.Lookup("d"); got != 1003 {
		t.Errorf("d at 170 s: %d, want 1003 (1002 is tombstoned)", got)
	}
	_, idx, _ = Build(nil, append(ab[:2:2], iface(2, "e", "Loopback", true)), nil, idx, at(171), Options{})
	if got, _ := idx.Lookup("e"); got != 1002 {
		t.Errorf("e at 171 s: %d, want 1002 (the tombstone expired)", got)
	}
	if idx.TombstoneCount() != 0 {
		t.Errorf("%d tombstones left", idx.TombstoneCount())
	}
	if got := lookups(idx, "a", "b"); got["a"] != 1000 || got["b"] != 1001 {
		t.Errorf("present names moved: %v", got)
	}
}

// TestIndexesChurnBounded: one name present throughout and a new name every
// minute, each gone the minute after (2,000 of them, the churn):
// with forget-after 1 h the map holds about an hour and a grain of names
// and an hour of tombstones, the steady name never moves, and no ifIndex
// goes to a second name before its first holder has been gone for twice
// forget-after (forgotten after one, tombstoned for another).
func TestIndexesChurnBounded(t *testing.T) {
	const forget = time.Hour
	idx := (*ifindex.Registry)(nil).WithForgetAfter(forget)
	holder := map[uint32]string{}         // ifIndex → the last name that held it
	lastPresent := map[uint32]time.Time{} // ifIndex → when its holder was last present
	now := t0
	for i := range 2000 {
		now = now.Add(time.Minute)
		name := fmt.Sprintf("loop%d", i)
		ifaces := []model.Interface{iface(0, "Te0", "dpdk", true), iface(1+uint32(i%50), name, "Loopback", true)}
		_, idx, _ = Build(nil, ifaces, nil, idx, now, Options{})
		for _, in := range ifaces {
			ix, ok := idx.Lookup(in.Name)
			if !ok {
				t.Fatalf("step %d: %s present but has no ifIndex", i, in.Name)
			}
			if prev, held := holder[ix]; held && prev != in.Name && now.Sub(lastPresent[ix]) < 2*forget {
				t.Fatalf("step %d: ifIndex %d went to %s %v after %s was last present", i, ix, in.Name, now.Sub(lastPresent[ix]), prev)
			}
			holder[ix], lastPresent[ix] = in.Name, now
		}
		if ix, _ := idx.Lookup("Te0"); ix != 1000 {
			t.Fatalf("step %d: Te0 at %d", i, ix)
		}
	}
	// an hour, a grain (7.5 min) and a minute of names, at one a minute
	if n := idx.Len(); n > 70 {
		t.Errorf("%d names held after 2,000 churned, want about 70 at most", n)
	}
	if n := idx.TombstoneCount(); n > 61 {
		t.Errorf("%d tombstones, want about an hour's worth (60)", n)
	}
}

// TestIndexesForgetSeenAndUnknown: a name whose recorded time is long past
// keeps its ifIndex when present; an absent one is forgotten; a name whose
// time is unknown (an older file) counts as seen at the first Build; with
// forgetting off nothing is forgotten and tombstones stay.
func TestIndexesForgetSeenAndUnknown(t *testing.T) {
	old := t0.Add(-365 * 24 * time.Hour)
	x, err := ifindex.NewFrom([]ifindex.Record{
		{Name: "here", IfIndex: 1005, LastSeen: old},
		{Name: "gone", IfIndex: 1006, LastSeen: old},
		{Name: "unknown", IfIndex: 1007},
	}, []ifindex.Tombstone{{IfIndex: 1008, Forgotten: old}})
	if err != nil {
		t.Fatal(err)
	}

	// forgetting off: nothing goes; the unknown time and the present name
	// are recorded
	_, idx, _ := Build(nil, []model.Interface{iface(0, "here", "dpdk", true)}, nil, x, t0, Options{})
	if idx.Len() != 3 || idx.TombstoneCount() != 1 {
		t.Fatalf("forgetting off: %d names, %d tombstones; want 3 and 1", idx.Len(), idx.TombstoneCount())
	}
	for r := range idx.Records() {
		if want := map[string]time.Time{"here": t0, "gone": old, "unknown": t0}[r.Name]; !r.LastSeen.Equal(want) {
			t.Errorf("%s last seen %v, want %v", r.Name, r.LastSeen, want)
		}
	}

	// 30 days: "here" is present and keeps 1005; "gone" is forgotten;
	// "unknown" counts from now; the year-old tombstone expires.
	x = x.WithForgetAfter(30 * 24 * time.Hour)
	_, idx, _ = Build(nil, []model.Interface{iface(0, "here", "dpdk", true)}, nil, x, t0, Options{})
	if got := lookups(idx, "here", "gone", "unknown"); got["here"] != 1005 || got["gone"] != 0 || got["unknown"] != 1007 {
		t.Errorf("after a Build with 30 days: %v", got)
	}
	if ts := slices.Collect(idx.Tombstones()); len(ts) != 1 || ts[0].IfIndex != 1006 {
		t.Errorf("tombstones %v, want 1006's only", ts)
	}
	_, idx2, _ := Build(nil, []model.Interface{iface(0, "here", "dpdk", true)}, nil, idx, t0.Add(30*24*time.Hour), Options{})
	if _, ok := idx2.Lookup("unknown"); !ok {
		t.Error("unknown forgotten 30 days after it was first counted, within a grain")
	}
	_, idx2, _ = Build(nil, []model.Interface{iface(0, "here", "dpdk", true)}, nil, idx, t0.Add(30*24*time.Hour+time.Hour+time.Second), Options{})
	if _, ok := idx2.Lookup("unknown"); ok {
		t.Error("unknown kept 30 days and a grain after it was first counted")
	}
}

// TestIndexesClockSteppedBack: a last-seen time ahead of the clock (the
// wall clock stepped back) is recorded as now, so the name is forgotten
// forget-after from now rather than from that future time.
func TestIndexesClockSteppedBack(t *testing.T) {
	future := t0.Add(24 * 365 * time.Hour)
	x, err := ifindex.NewFrom([]ifindex.Record{{Name: "a", IfIndex: 1000, LastSeen: future}, {Name: "b", IfIndex: 1001, LastSeen: t0}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	x = x.WithForgetAfter(8 * time.Second) // grain 1 s
	_, idx, _ := Build(nil, []model.Interface{iface(1, "b", "dpdk", true)}, nil, x, t0.Add(2*time.Second), Options{})
	_, idx, _ = Build(nil, []model.Interface{iface(1, "b", "dpdk", true)}, nil, idx, t0.Add(12*time.Second), Options{})
	if _, ok := idx.Lookup("a"); ok {
		t.Error("a, last seen in the future, was not forgotten 10 s after the clock passed it back")
	}
}

func TestNewIndexesFromRejects(t *testing.T) {
	r := func(name string, ix uint32) ifindex.Record {
		return ifindex.Record{Name: name, IfIndex: ix, LastSeen: t0}
	}
	for name, c := range map[string]struct {
		recs  []ifindex.Record
		tombs []ifindex.Tombstone
	}{
		"name twice":          {recs: []ifindex.Record{r("a", 1), r("a", 2)}},
		"shared":              {recs: []ifindex.Record{r("a", 1), r("b", 1)}},
		"tombstone of a name": {recs: []ifindex.Record{r("a", 1)}, tombs: []ifindex.Tombstone{{IfIndex: 1, Forgotten: t0}}},
		"tombstone twice":     {tombs: []ifindex.Tombstone{{IfIndex: 1, Forgotten: t0}, {IfIndex: 1, Forgotten: t0}}},
		"tombstone zero":      {tombs: []ifindex.Tombstone{{IfIndex: 0, Forgotten: t0}}},
		"tombstone timeless":  {tombs: []ifindex.Tombstone{{IfIndex: 1}}},
		"seen before 1970":    {recs: []ifindex.Record{{Name: "a", IfIndex: 1, LastSeen: time.Unix(-5, 0)}}},
		"seen far ahead":      {recs: []ifindex.Record{{Name: "a", IfIndex: 1, LastSeen: time.Unix(1<<40+1, 0)}}},
	} {
		if _, err := ifindex.NewFrom(c.recs, c.tombs); !errors.Is(err, ifindex.ErrInvalid) {
			t.Errorf("%s: %v, want ifindex.ErrInvalid", name, err)
		}
	}
	// what Records and Tombstones yield builds the same ifindex.Registry again
	x, err := ifindex.NewFrom([]ifindex.Record{r("b", 7), {Name: "a", IfIndex: 3}}, []ifindex.Tombstone{{IfIndex: 5, Forgotten: t0}})
	if err != nil {
		t.Fatal(err)
	}
	y, err := ifindex.NewFrom(slices.Collect(x.Records()), slices.Collect(x.Tombstones()))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(slices.Collect(x.Records()), slices.Collect(y.Records())) || !slices.Equal(slices.Collect(x.Tombstones()), slices.Collect(y.Tombstones())) {
		t.Errorf("records %v %v, rebuilt %v %v", slices.Collect(x.Records()), slices.Collect(x.Tombstones()), slices.Collect(y.Records()), slices.Collect(y.Tombstones()))
	}
}
