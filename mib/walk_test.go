package mib

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
)

var update = flag.Bool("update", false, "rewrite testdata/fixture.golden")

// walk returns every (OID, value) of s from start on, checking on the way
// that Next is strictly increasing and that Get agrees with it.
func walk(t *testing.T, s *Snapshot, start agentx.OID) []string {
	t.Helper()
	var lines []string
	cur := append(agentx.OID(nil), start...)
	dst := make(agentx.OID, 0, 16)
	for n := 0; ; n++ {
		if n > 100000 {
			t.Fatal("walk does not end")
		}
		name, v, ok := s.Next(dst, cur, false)
		if !ok {
			if v.Type != agentx.TypeEndOfMIBView {
				t.Fatalf("end of walk with type %d", v.Type)
			}
			return lines
		}
		if name.Compare(cur) <= 0 {
			t.Fatalf("Next(%s) = %s, not after it", oidString(cur), oidString(name))
		}
		if g := s.Get(name); !sameValue(g, v) {
			t.Fatalf("Get(%s) = %s, Next gave %s", oidString(name), format(g), format(v))
		}
		// include=true from the same name must land on it
		if n2, v2, ok := s.Next(nil, name, true); !ok || n2.Compare(name) != 0 || !sameValue(v2, v) {
			t.Fatalf("Next(%s, include) = %s", oidString(name), oidString(n2))
		}
		lines = append(lines, "."+oidString(name)+" = "+format(v))
		cur = append(cur[:0], name...)
		dst = name
	}
}

func TestGoldenWalk(t *testing.T) {
	s := fixtureSnapshot(t)
	got := strings.Join(walk(t, s, oid(t, "1.3.6.1.2.1.2")), "\n") + "\n"
	const golden = "testdata/fixture.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("walk differs from %s at line %d:\n got %s\nwant %s", golden, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("walk has %d lines, %s has %d", len(gl), golden, len(wl))
	}
	// 10 interfaces: 22 + 19 columns each, 19 stack rows (9 (0,x), 8 (x,0), 2 sub over parent), 3 scalars
	if n := strings.Count(got, "\n"); n != 10*(22+19)+19+3 {
		t.Errorf("walk has %d varbinds, want %d", n, 10*(22+19)+19+3)
	}
}

// TestWalkFromZero walks from the very start: everything this tree holds
// lies inside the subtrees it registers.
func TestWalkFromZero(t *testing.T) {
	s := fixtureSnapshot(t)
	all := walk(t, s, agentx.OID{0})
	fromIF := walk(t, s, oid(t, "1.3.6.1.2.1.2"))
	if strings.Join(all, "\n") != strings.Join(fromIF, "\n") {
		t.Fatal("walk from 0 differs from walk from 1.3.6.1.2.1.2")
	}
	subs := Subtrees()
	for _, l := range all {
		name := oid(t, strings.TrimPrefix(strings.Fields(l)[0], "."))
		in := false
		for _, st := range subs {
			in = in || name.HasPrefix(st)
		}
		if !in {
			t.Errorf("%s is outside every registered subtree", l)
		}
	}
}

// TestConcurrentReaders: walks of one snapshot while later snapshots are
// built from it see exactly that snapshot (run with -race: Build and
// WithCounters never write what a published snapshot holds).
func TestConcurrentReaders(t *testing.T) {
	ifaces, counters := loadDetails(t), loadCounters(t)
	s, idx, _ := Build(nil, ifaces, counters, nil, t0, Options{Clock: clock})
	want := walk(t, s, agentx.OID{0})
	done := make(chan []string)
	for range 2 {
		go func() {
			var got []string
			cur, dst := agentx.OID{0}, make(agentx.OID, 0, 16)
			for {
				name, v, ok := s.Next(dst, cur, false)
				if !ok {
					break
				}
				got = append(got, "."+oidString(name)+" = "+format(v))
				cur, dst = name, cur
			}
			done <- got
		}()
	}
	next := s
	for i := range 50 {
		for k := range counters {
			counters[k].RxBytes += 1000
		}
		ifaces[3].AdminUp = i%2 == 0
		next = next.WithCounters(counters, t0)
		next, idx, _ = Build(next, ifaces, counters, idx, t0, Options{Clock: clock})
	}
	for range 2 {
		if got := <-done; strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Error("a reader saw a snapshot change under it")
		}
	}
}
