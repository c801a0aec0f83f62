package mib

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"time"
	"unsafe"
	"weak"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// dumpTree is every name and value a tree serves, in order.
func dumpTree(s *Snapshot) []string {
	var out []string
	var name agentx.OID
	from := agentx.OID{0}
	for {
		n, v, ok := s.Next(name, from, false)
		if !ok {
			return out
		}
		out = append(out, oidString(n)+" "+format(v))
		from = append(from[:0], n...)
		name = n
	}
}

// TestPatchMatchesBuild applies random churn to the real VPP 26.06 capture
// plus loopbacks and sub-interfaces, and checks after every step that
// Patch serves exactly what Build serves, with the same transitions, and
// that Patch took on most of the steps.
func TestPatchMatchesBuild(t *testing.T) {
	ifaces := loadDetails(t)
	counters := loadCounters(t)
	port := uint32(0)
	for _, in := range ifaces {
		if in.DevType != "Loopback" && !in.Sub && len(in.BondMembers()) == 0 && in.LCPHostName() == "" && classifyEthernet(in) {
			port = in.SwIfIndex
			break
		}
	}
	var portName string
	for _, in := range ifaces {
		if in.SwIfIndex == port {
			portName = in.Name
		}
	}
	if portName == "" {
		t.Fatal("no Ethernet port in the capture")
	}
	nextSw := uint32(0)
	for _, in := range ifaces {
		nextSw = max(nextSw, in.SwIfIndex+1)
	}
	for k := uint32(0); k < 20; k++ {
		ifaces = append(ifaces, iface(nextSw, fmt.Sprintf("loop%d", 100+k), "Loopback", k%2 == 0))
		nextSw++
		ifaces = append(ifaces, sub(nextSw, port, fmt.Sprintf("%s.%d", portName, 1000+k), k%3 != 0))
		nextSw++
	}
	for sw := uint32(len(counters)); sw < nextSw+400; sw++ {
		counters = append(counters, model.Counters{RxBytes: uint64(sw) * 7, RxPackets: uint64(sw)})
	}
	opt := Options{Clock: clock, Segment: 1, Aliases: map[string]string{portName + ".1003": "customer 3"}}
	now := t0
	pb, idxB, _ := Build(nil, ifaces, counters, nil, now, opt)
	pp, idxP := pb, idxB

	r := rand.New(rand.NewPCG(1, 2))
	patched := 0
	const steps = 400
	for step := range steps {
		now = now.Add(time.Second)
		changed := map[string]bool{}
		for range 1 + r.IntN(3) {
			pick := func(pred func(model.Interface) bool) int {
				var cands []int
				for i, in := range ifaces {
					if pred(in) {
						cands = append(cands, i)
					}
				}
				if len(cands) == 0 {
					return -1
				}
				return cands[r.IntN(len(cands))]
			}
			ours := func(in model.Interface) bool {
				return in.DevType == "Loopback" && in.SwIfIndex >= 1000 || in.Sub && in.SupSwIfIndex == port
			}
			switch r.IntN(6) {
			case 0: // a loopback created, sometimes under an old name
				name := fmt.Sprintf("loop%d", 200+r.IntN(40))
				if slices.ContainsFunc(ifaces, func(in model.Interface) bool { return in.Name == name }) {
					continue
				}
				in := iface(nextSw, name, "Loopback", r.IntN(2) == 0)
				in.SwIfIndex, in.SupSwIfIndex = 1000+nextSw, 1000+nextSw
				nextSw++
				ifaces = append(ifaces, in)
				changed[name] = true
			case 1: // a sub-interface created
				name := fmt.Sprintf("%s.%d", portName, 2000+r.IntN(40))
				if slices.ContainsFunc(ifaces, func(in model.Interface) bool { return in.Name == name }) {
					continue
				}
				ifaces = append(ifaces, sub(nextSw, port, name, r.IntN(2) == 0))
				nextSw++
				changed[name] = true
			case 2, 3: // one of ours deleted
				if i := pick(ours); i >= 0 {
					changed[ifaces[i].Name] = true
					ifaces = slices.Delete(ifaces, i, i+1)
				}
			case 4: // admin state
				if i := pick(ours); i >= 0 {
					ifaces[i].AdminUp = !ifaces[i].AdminUp
					ifaces[i].LinkUp = ifaces[i].AdminUp
					changed[ifaces[i].Name] = true
				}
			case 5: // MTU and tag
				if i := pick(ours); i >= 0 {
					ifaces[i].MTU = uint32(1000 + r.IntN(8000))
					ifaces[i].SetTag(fmt.Sprintf("tag %d", step))
					changed[ifaces[i].Name] = true
				}
			}
		}
		var transB, transP []Transition
		pb, idxB, transB = Build(pb, ifaces, counters, idxB, now, opt)
		np, nidx, tp, ok := Patch(pp, ifaces, changed, counters, idxP, now, opt)
		if ok {
			patched++
			pp, idxP, transP = np, nidx, tp
		} else {
			pp, idxP, transP = Build(pp, ifaces, counters, idxP, now, opt)
		}
		if got, want := dumpTree(pp), dumpTree(pb); !slices.Equal(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("step %d (patched %v, changed %v): first difference at %d: patch %q, build %q", step, ok, changed, i, got[i], want[i])
				}
			}
			t.Fatalf("step %d (patched %v): patch serves %d names, build %d", step, ok, len(got), len(want))
		}
		slices.SortFunc(transP, func(a, b Transition) int { return int(a.IfIndex) - int(b.IfIndex) })
		if !reflect.DeepEqual(transP, transB) {
			t.Fatalf("step %d: patch transitions %+v, build %+v", step, transP, transB)
		}
	}
	if patched < steps*3/4 {
		t.Errorf("Patch took on %d of %d steps, want most", patched, steps)
	}
}

func classifyEthernet(in model.Interface) bool {
	typ, _ := classify(&in)
	return typ == typeEthernetCsmacd
}

// TestPatchDeclines: changes that reach other rows are left to Build.
func TestPatchDeclines(t *testing.T) {
	ifaces := []model.Interface{
		iface(1, "Eth0", "dpdk", true),
		sub(2, 1, "Eth0.100", true),
		iface(3, "loop0", "Loopback", true),
		iface(4, "BondEthernet0", "bond", true),
		iface(5, "Eth1", "dpdk", true),
	}
	ifaces[3].SetBondMembers([]model.BondMember{{SwIfIndex: 5, Active: true}})
	s, idx, _ := Build(nil, ifaces, nil, nil, t0, Options{Clock: clock})
	for _, c := range []struct {
		name string
		opt  Options
	}{
		{"Eth0", Options{}},          // a parent of an unchanged sub-interface
		{"BondEthernet0", Options{}}, // a bond
		{"Eth1", Options{}},          // a bond member
		{"loop0", Options{VPPDown: true}},
		{"loop0", Options{Segment: 9}}, // a new stats segment
	} {
		if _, _, _, ok := Patch(s, ifaces, map[string]bool{c.name: true}, nil, idx, t0.Add(time.Second), c.opt); ok {
			t.Errorf("Patch of %s with %+v: taken on, want declined", c.name, c.opt)
		}
	}
	if _, _, _, ok := Patch(s, ifaces, map[string]bool{"loop0": true}, nil, idx, t0.Add(time.Second), Options{Clock: clock}); !ok {
		t.Error("Patch of a loopback: declined")
	}
}

// BenchmarkPatch is one loopback created in, then deleted from, 100,000
// interfaces: the cost of an event under churn.
func BenchmarkPatch(b *testing.B) {
	ifaces, counters := bigRouter(100_000)
	s, idx, _ := Build(nil, ifaces, counters, nil, t0, Options{Clock: clock})
	lo := iface(200_000, "loop9", "Loopback", true)
	with := append(slices.Clip(ifaces), lo)
	changed := map[string]bool{"loop9": true}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in := with
		if i%2 == 1 {
			in = ifaces
		}
		n, x, _, ok := Patch(s, in, changed, counters, idx, t0.Add(time.Duration(i)*time.Second), Options{Clock: clock})
		if !ok {
			b.Fatal("declined")
		}
		s, idx = n, x
	}
}

// TestWithCountersFunc: the same snapshot as WithCounters from the same
// counters.
func TestWithCountersFunc(t *testing.T) {
	ifaces, counters := bigRouter(1000)
	s, _, _ := Build(nil, ifaces, counters, nil, t0, Options{Clock: clock})
	next := make([]model.Counters, len(counters)-10) // the last ten keep theirs
	for i := range next {
		next[i] = counters[i]
		next[i].RxBytes += uint64(i)
		if i == 7 {
			next[i].TxPackets = 0 // went back: a discontinuity
		}
	}
	want := s.WithCounters(next, t0.Add(time.Second))
	got := s.WithCountersFunc(func(sw uint32, c *model.Counters) bool {
		if int(sw) >= len(next) {
			return false
		}
		*c = next[sw]
		return true
	}, t0.Add(time.Second))
	if g, w := dumpTree(got), dumpTree(want); !slices.Equal(g, w) {
		t.Error("WithCountersFunc serves other values than WithCounters")
	}
	fresh, _, _ := Build(s, ifaces, nil, nil, t0.Add(time.Second), Options{Clock: clock})
	fresh.FillCounters(func(sw uint32, c *model.Counters) bool {
		if int(sw) >= len(next) {
			return false
		}
		*c = next[sw]
		return true
	}, t0.Add(time.Second))
	if g, w := dumpTree(fresh), dumpTree(want); !slices.Equal(g, w) {
		t.Error("FillCounters serves other values than WithCounters")
	}
}

// sameCounters fails t unless got and want have the same rows with the
// same counters.
func sameCounters(t *testing.T, what string, got, want *Snapshot) {
	t.Helper()
	if !slices.Equal(got.ifIndex, want.ifIndex) {
		t.Fatalf("%s: ifIndexes %v, want %v", what, got.ifIndex, want.ifIndex)
	}
	for i := range got.ifIndex {
		if g, w := *got.ctrOf(i), *want.ctrOf(i); g != w {
			t.Fatalf("%s: ifIndex %d counters %+v, want %+v", what, got.ifIndex[i], g, w)
		}
	}
}

// TestPatchSharesCounters: loopbacks created and deleted by Patch leave
// prev's counter array shared, not copied, and every row's counters what
// Build makes; two patches of one prev do not write each other's
// counters, nor prev's; a counter read lays them out compactly again.
func TestPatchSharesCounters(t *testing.T) {
	ifaces, counters := bigRouter(1000)
	for sw := range uint32(10) {
		counters = append(counters, model.Counters{RxBytes: 1000 + uint64(sw), RxPackets: 10 + uint64(sw)})
	}
	opt := Options{Clock: clock}
	s, idx, _ := Build(nil, ifaces, counters, nil, t0, opt)
	before := dumpTree(s)
	main := unsafe.SliceData(s.ctr)
	with, changed := slices.Clip(ifaces), map[string]bool{}
	for k := range uint32(3) {
		name := fmt.Sprintf("loop%d", k)
		with = append(with, iface(1000+k, name, "Loopback", true))
		changed[name] = true
	}
	now := t0.Add(time.Second)
	p, pidx, _, ok := Patch(s, with, changed, counters, idx, now, opt)
	if !ok {
		t.Fatal("Patch of three loopbacks declined")
	}
	if unsafe.SliceData(p.ctr) != main || len(p.ovf) != 3 {
		t.Fatalf("Patch copied the counter array or kept %d beside it, want it shared and 3", len(p.ovf))
	}
	b, bidx, _ := Build(s, with, counters, idx, now, opt)
	sameCounters(t, "patch adding 3", p, b)

	// Two branches from p, each adding one loopback, checked once both
	// are made.
	now = now.Add(time.Second)
	var branches, built []*Snapshot
	for k := uint32(3); k < 5; k++ {
		name := fmt.Sprintf("loop%d", k)
		in := append(slices.Clip(with), iface(1000+k, name, "Loopback", k == 3))
		q, _, _, ok := Patch(p, in, map[string]bool{name: true}, counters, pidx, now, opt)
		if !ok {
			t.Fatalf("Patch of %s declined", name)
		}
		bq, _, _ := Build(b, in, counters, bidx, now, opt)
		branches, built = append(branches, q), append(built, bq)
	}
	for k := range branches {
		sameCounters(t, fmt.Sprint("branch ", k), branches[k], built[k])
	}
	sameCounters(t, "the first patch, after two more from it", p, b)

	// Deleting one keeps the array shared again.
	now = now.Add(time.Second)
	without := slices.Clip(with[:len(with)-1])
	gone := map[string]bool{"loop2": true}
	q, _, _, ok := Patch(p, without, gone, counters, pidx, now, opt)
	if !ok {
		t.Fatal("Patch deleting loop2 declined")
	}
	if unsafe.SliceData(q.ctr) != main {
		t.Fatal("Patch deleting a row copied the counter array")
	}
	bq, _, _ := Build(b, without, counters, bidx, now, opt)
	sameCounters(t, "patch deleting loop2", q, bq)
	if got := dumpTree(s); !slices.Equal(got, before) {
		t.Fatal("the patches changed what their prev serves")
	}

	// A counter read lays them out again: the same values, compactly.
	next := slices.Clone(counters)
	for i := range next {
		next[i].RxBytes += uint64(i)
	}
	now = now.Add(time.Second)
	w, bw := q.WithCounters(next, now), bq.WithCounters(next, now)
	if w.slot != nil || w.ovf != nil || len(w.ctr) != w.Len() {
		t.Fatalf("WithCounters of a patch: %d slots, %d beside, %d counters for %d rows; want compact", len(w.slot), len(w.ovf), len(w.ctr), w.Len())
	}
	sameCounters(t, "WithCounters of the patch", w, bw)
	if g, want := dumpTree(w), dumpTree(bw); !slices.Equal(g, want) {
		t.Fatal("WithCounters of the patch serves other values than of the Build")
	}
}

// TestPatchOverflowBound: loopbacks created and deleted over and over
// fill the counters Patch keeps beside the shared array until it declines;
// Build, or a counter read, lays them out again, and Patch takes on again.
func TestPatchOverflowBound(t *testing.T) {
	ifaces := []model.Interface{iface(1, "Eth0", "dpdk", true), iface(2, "loop0", "Loopback", true)}
	counters := []model.Counters{{}, {RxBytes: 10, RxPackets: 1}, {RxBytes: 20, RxPackets: 2}, {RxBytes: 30, RxPackets: 3}}
	with := append(slices.Clip(ifaces), iface(3, "loop9", "Loopback", true))
	changed := map[string]bool{"loop9": true}
	opt := Options{Clock: clock}
	s, idx, _ := Build(nil, ifaces, counters, nil, t0, opt)
	now := t0
	adds := 0
	for step := 0; ; step++ {
		if step > 4*maxOverflow {
			t.Fatalf("Patch still takes on after %d loopbacks created", adds)
		}
		in := with
		if step%2 == 1 {
			in = ifaces
		}
		now = now.Add(time.Second)
		p, x, _, ok := Patch(s, in, changed, counters, idx, now, opt)
		if !ok {
			if step%2 == 1 || adds != maxOverflow || len(s.ovf) != maxOverflow {
				t.Fatalf("Patch declined at step %d after %d created, with %d counters beside, want at the creation after %d", step, adds, len(s.ovf), maxOverflow)
			}
			break
		}
		if step%2 == 0 {
			adds++
		}
		s, idx = p, x
	}
	w := s.WithCounters(counters, now)
	if w.slot != nil || w.ovf != nil || len(w.ctr) != w.Len() {
		t.Fatal("WithCounters did not lay the counters out compactly")
	}
	if !slices.Equal(dumpTree(w), dumpTree(s)) {
		t.Fatal("WithCounters with the same counters serves other values")
	}
	b, bidx, _ := Build(s, with, counters, idx, now, opt)
	if b.slot != nil || b.ovf != nil || len(b.ctr) != b.Len() {
		t.Fatal("Build did not lay the counters out compactly")
	}
	now = now.Add(time.Second)
	if _, _, _, ok := Patch(b, ifaces, changed, counters, bidx, now, opt); !ok {
		t.Error("Patch of a Build declined")
	}
	if _, _, _, ok := Patch(w, with, changed, counters, idx, now, opt); !ok {
		t.Error("Patch of a WithCounters declined")
	}
}

// TestFillCountersOwnArray: FillCounters on a snapshot that shares its
// counter array (a patch, a copy of a Build) leaves the other snapshot's
// counters as they were.
func TestFillCountersOwnArray(t *testing.T) {
	ifaces, counters := bigRouter(100)
	opt := Options{Clock: clock}
	s, idx, _ := Build(nil, ifaces, counters, nil, t0, opt)
	before := dumpTree(s)
	bump := func(sw uint32, c *model.Counters) bool {
		if int(sw) >= len(counters) {
			return false
		}
		*c = counters[sw]
		c.RxBytes += 1000
		return true
	}
	with := append(slices.Clip(ifaces), iface(100, "loop9", "Loopback", true))
	p, _, _, ok := Patch(s, with, map[string]bool{"loop9": true}, counters, idx, t0.Add(time.Second), opt)
	if !ok {
		t.Fatal("Patch declined")
	}
	want := p.WithCountersFunc(bump, t0.Add(time.Second))
	p.FillCounters(bump, t0.Add(time.Second))
	sameCounters(t, "FillCounters of a patch", p, want)
	c := s.WithSources(Sources{}, t0)
	c.FillCounters(bump, t0.Add(time.Second))
	if !slices.Equal(dumpTree(s), before) {
		t.Fatal("FillCounters of a patch or a copy wrote its prev's counters")
	}
}

// TestDerivedSnapshotsLetTheBuildGo: a snapshot made from a Build's by a
// counter read or new sources does not keep the Build's alive (with the
// counter array only it uses): the agent would hold one more array of
// every interface's counters from its start until its first patch.
func TestDerivedSnapshotsLetTheBuildGo(t *testing.T) {
	ifaces, counters := bigRouter(1000)
	s, _, _ := Build(nil, ifaces, counters, nil, t0, Options{Clock: clock})
	gone := weak.Make(s)
	n := s.WithCounters(counters, t0.Add(time.Second)).WithSources(Sources{}, t0.Add(2*time.Second))
	s = nil
	for range 5 {
		runtime.GC()
		if gone.Value() == nil {
			break
		}
	}
	if gone.Value() != nil {
		t.Error("the Build's snapshot is still reachable from one derived from it")
	}
	runtime.KeepAlive(n)
}
