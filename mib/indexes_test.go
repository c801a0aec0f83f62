package mib

import (
	"errors"
	"maps"
	"testing"
	"time"
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
		t.Error("snapshot and Indexes disagree")
	}
}

// TestIndexesPersistence: a vanished interface keeps its ifIndex, a new
// name colliding with it takes the next free one, and a VPP restart that
// renumbers everything keeps every ifIndex by name.
func TestIndexesPersistence(t *testing.T) {
	a := []Interface{iface(0, "Te0", "dpdk", true), iface(1, "Te1", "dpdk", true), iface(2, "Te2", "dpdk", true)}
	s1, idx1, _ := Build(nil, a, nil, nil, t0, Options{})

	// Te1 deleted; loop0 created and VPP reuses sw_if_index 1 for it
	b := []Interface{a[0], iface(1, "loop0", "Loopback", true), a[2]}
	s2, idx2, _ := Build(s1, b, nil, idx1, t0.Add(time.Second), Options{})
	if idx2 == idx1 {
		t.Fatal("Indexes not replaced after an allocation")
	}
	if got, _ := idx2.Lookup("loop0"); got != 1003 {
		t.Errorf("loop0 took %d, want 1003 (1001 is Te1's, 1002 Te2's)", got)
	}
	if got, _ := idx2.Lookup("Te1"); got != 1001 {
		t.Errorf("Te1 lost its ifIndex: %d", got)
	}
	if _, ok := idx1.Lookup("loop0"); ok {
		t.Error("the old Indexes was modified")
	}
	// loop0 is a new row, Te1's row is gone
	if _, ok := s2.Find(1001); ok {
		t.Error("vanished Te1 still has a row")
	}

	// Te1 comes back at a new sw_if_index: same ifIndex
	c := append(b, iface(7, "Te1", "dpdk", true))
	s3, idx3, _ := Build(s2, c, nil, idx2, t0.Add(2*time.Second), Options{})
	if idx3 != idx2 {
		t.Error("Indexes replaced without a new name")
	}
	if got := ifIndexes(t, s3)["Te1"]; got != 1001 {
		t.Errorf("returning Te1 got %d, want 1001", got)
	}

	// VPP restart: same names, sw_if_index reversed
	d := []Interface{iface(0, "Te1", "dpdk", true), iface(1, "Te2", "dpdk", true), iface(2, "loop0", "Loopback", true), iface(3, "Te0", "dpdk", true)}
	s4, idx4, _ := Build(s3, d, nil, idx3, t0.Add(3*time.Second), Options{})
	want := map[string]uint32{"Te0": 1000, "Te1": 1001, "Te2": 1002, "loop0": 1003}
	if got := ifIndexes(t, s4); !maps.Equal(got, want) {
		t.Errorf("after renumbering: %v, want %v", got, want)
	}
	if idx4 != idx3 {
		t.Error("Indexes replaced without a new name")
	}
}

// TestIndexesNoDisplacement: new names first take their own 1000+sw before
// any collision falls back, so one collision does not cascade.
func TestIndexesNoDisplacement(t *testing.T) {
	idx, err := NewIndexes(map[string]uint32{"old": 1005})
	if err != nil {
		t.Fatal(err)
	}
	var ifaces []Interface
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
	idx, err := NewIndexes(m)
	if err != nil {
		t.Fatal(err)
	}
	_, idx, _ = Build(nil, []Interface{iface(0, "x", "dpdk", true), iface(1, "y", "dpdk", true), iface(4294967294, "z", "dpdk", true)}, nil, idx, t0, Options{})
	for name, want := range map[string]uint32{"x": 2000, "y": 2001, "z": 1} {
		if got, _ := idx.Lookup(name); got != want {
			t.Errorf("%s: %d, want %d", name, got, want)
		}
	}
}

func TestIndexesDuplicateNames(t *testing.T) {
	a := iface(0, "Te0", "dpdk", true)
	b := iface(1, "Te0", "dpdk", false) // VPP never does this; never panic
	s, idx, _ := Build(nil, []Interface{a, b}, nil, nil, t0, Options{})
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
		{"a": MaxIfIndex + 1},
		{"a": 5, "b": 5},
	} {
		if _, err := NewIndexes(m); !errors.Is(err, ErrIndexes) {
			t.Errorf("NewIndexes(%v) = %v, want ErrIndexes", m, err)
		}
	}
	x, err := NewIndexes(map[string]uint32{"b": 7, "a": 3, "c": MaxIfIndex})
	if err != nil {
		t.Fatal(err)
	}
	var order []uint32
	for _, ix := range x.All() {
		order = append(order, ix)
	}
	if len(order) != 3 || order[0] != 3 || order[1] != 7 || order[2] != MaxIfIndex {
		t.Errorf("All order %v", order)
	}
}
