package statseg

import (
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.fd.io/govpp/adapter"
	"go.fd.io/govpp/adapter/statsclient"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/core"
)

// The interface names of the VPP 26.06 capture, index 10 deleted.
var fixtureNames = []string{
	"local0", "host-vpp-veth0", "host-vpp-veth1", "loop0", "loop1", "memif1/0",
	"vxlan_tunnel0", "gre0", "host-vpp-veth0.100", "host-vpp-veth0.200", Deleted,
}

var allIfCounters = []string{
	Drops, Punt, IP4, IP6, RxNoBuf, RxMiss, RxError, TxError, Mpls,
	Rx, RxUnicast, RxMulticast, RxBroadcast, Tx, TxUnicast, TxMulticast, TxBroadcast,
}

func isCombined(name string) bool {
	return slices.Contains(combinedIfCounters, strings.TrimPrefix(name, "/if/"))
}

// model is what the test wrote: counter -> sw_if_index -> {packets, bytes}
// summed over threads.
type model map[string][][2]uint64

// fill writes distinct values for every counter, thread and index, and
// returns their sums over threads.
func fill(t *testing.T, s *Segment, n, threads int, salt uint64) model {
	t.Helper()
	m := model{}
	for k, c := range allIfCounters {
		m[c] = make([][2]uint64, n)
		for th := 0; th < threads; th++ {
			for i := 0; i < n; i++ {
				p := salt + uint64(1000*k+100*th+i+1)
				b := p*64 + uint64(th)
				var ok bool
				if isCombined(c) {
					ok = s.AddCombined(c, th, uint32(i), p, b)
					m[c][i][1] += b
				} else {
					ok = s.AddSimple(c, th, uint32(i), p)
				}
				if !ok {
					t.Fatalf("Add %s thread %d index %d refused", c, th, i)
				}
				m[c][i][0] += p
			}
		}
	}
	return m
}

// want is the govpp view the model should produce.
func (m model) want(names []string) []api.InterfaceCounters {
	out := make([]api.InterfaceCounters, len(names))
	pair := func(c string, i int) api.InterfaceCounterCombined {
		if m[c] == nil {
			return api.InterfaceCounterCombined{}
		}
		return api.InterfaceCounterCombined{Packets: m[c][i][0], Bytes: m[c][i][1]}
	}
	one := func(c string, i int) uint64 {
		if m[c] == nil {
			return 0
		}
		return m[c][i][0]
	}
	for i, n := range names {
		out[i] = api.InterfaceCounters{
			InterfaceIndex: uint32(i), InterfaceName: n,
			Rx: pair(Rx, i), Tx: pair(Tx, i),
			RxErrors: one(RxError, i), TxErrors: one(TxError, i),
			RxUnicast: pair(RxUnicast, i), RxMulticast: pair(RxMulticast, i), RxBroadcast: pair(RxBroadcast, i),
			TxUnicast: pair(TxUnicast, i), TxMulticast: pair(TxMulticast, i), TxBroadcast: pair(TxBroadcast, i),
			Drops: one(Drops, i), Punts: one(Punt, i), IP4: one(IP4, i), IP6: one(IP6, i),
			RxNoBuf: one(RxNoBuf, i), RxMiss: one(RxMiss, i), Mpls: one(Mpls, i),
		}
	}
	return out
}

func diffCounters(t *testing.T, what string, got, want []api.InterfaceCounters) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: govpp returned %d interfaces, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			if bad < 3 {
				t.Errorf("%s: interface %d:\n got %+v\nwant %+v", what, i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d interfaces differ", what, bad, len(want))
	}
}

func TestGovppReadsCountersSummedOverThreads(t *testing.T) {
	const threads = 3
	s, err := New(WithThreads(threads))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetInterfaces(fixtureNames); err != nil {
		t.Fatal(err)
	}
	m := fill(t, s, len(fixtureNames), threads, 0)
	path := serve(t, s)
	conn := connect(t, path)
	diffCounters(t, "first read", ifaceStats(t, conn), m.want(fixtureNames))

	// More traffic on a long-lived connection: same directory, new values.
	s.AddCombined(Rx, 2, 1, 5, 320)
	m[Rx][1][0] += 5
	m[Rx][1][1] += 320
	s.AddSimple(Drops, 0, 9, 7)
	m[Drops][9][0] += 7
	diffCounters(t, "second read", ifaceStats(t, conn), m.want(fixtureNames))

	// Out-of-range writes are refused, not wrapped onto another index.
	for _, c := range []struct {
		name         string
		thread       int
		idx          uint32
		simple, comb bool
	}{
		{Rx, threads, 0, false, false}, {Rx, -1, 0, false, false},
		{Rx, 0, uint32(len(fixtureNames)), false, false}, {"/if/nope", 0, 0, false, false},
		{Drops, 0, 0, true, false}, {Rx, 0, 0, false, true},
	} {
		if got := s.AddSimple(c.name, c.thread, c.idx, 1); got != c.simple {
			t.Errorf("AddSimple(%s, %d, %d) = %v, want %v", c.name, c.thread, c.idx, got, c.simple)
		}
		if got := s.AddCombined(c.name, c.thread, c.idx, 1, 1); got != c.comb {
			t.Errorf("AddCombined(%s, %d, %d) = %v, want %v", c.name, c.thread, c.idx, got, c.comb)
		}
	}
	m[Drops][0][0]++
	m[Rx][0][0]++
	m[Rx][0][1]++
	diffCounters(t, "after refused writes", ifaceStats(t, conn), m.want(fixtureNames))

	s.ClearInterfaceCounters()
	diffCounters(t, "after clear", ifaceStats(t, conn), model{}.want(fixtureNames))
}

func TestGovppDumpStatsAndScalars(t *testing.T) {
	s, err := New(WithThreads(2))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetInterfaces(fixtureNames); err != nil {
		t.Fatal(err)
	}
	s.AddCombined(Tx, 1, 5, 3, 192)
	for name, v := range map[string]float64{
		Heartbeat: 7, BootTime: 1795304893.75, LastUpdate: 10.9, LastStatsClear: -4,
		VectorRate: 1, InputRate: 16,
	} {
		if err := s.SetScalar(name, v); err != nil {
			t.Fatal(err)
		}
	}
	epoch := s.Epoch()
	if err := s.SetScalar("/sys/custom", 42); err != nil {
		t.Fatal(err)
	}
	if s.Epoch() != epoch+1 {
		t.Errorf("a new scalar entry moved the epoch from %d to %d, want +1", epoch, s.Epoch())
	}
	path := serve(t, s)
	sc := statsclient.NewStatsClient(path)
	if err := sc.Connect(); err != nil {
		t.Fatal(err)
	}
	defer sc.Disconnect()

	entries, err := sc.DumpStats("^/if/", "^/sys/", "^/interfaces/")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]adapter.StatEntry{}
	for _, e := range entries {
		got[string(e.Name)] = e
	}
	types := map[string]adapter.StatType{
		Heartbeat: adapter.ScalarIndex, BootTime: adapter.ScalarIndex, LastUpdate: adapter.ScalarIndex,
		LastStatsClear: adapter.ScalarIndex, "/sys/custom": adapter.ScalarIndex,
		// Gauges (type 9) are unknown to govpp v0.13.0, as with a real 26.06.
		VectorRate: "", InputRate: "", NumWorkerThreads: "",
		Names: adapter.NameVector, "/sys/node/names": adapter.NameVector,
		"/sys/vector_rate_per_worker": adapter.SimpleCounterVector,
	}
	for _, c := range allIfCounters {
		types[c] = adapter.SimpleCounterVector
		if isCombined(c) {
			types[c] = adapter.CombinedCounterVector
		}
	}
	for name, typ := range types {
		e, ok := got[name]
		if !ok {
			t.Errorf("DumpStats lacks %s", name)
			continue
		}
		if e.Type != typ {
			t.Errorf("%s: type %q, want %q", name, e.Type, typ)
		}
	}
	scalars := map[string]adapter.ScalarStat{
		Heartbeat: 7, BootTime: 1795304893, LastUpdate: 10, LastStatsClear: 0, "/sys/custom": 42,
	}
	for name, want := range scalars {
		if v, _ := got[name].Data.(adapter.ScalarStat); v != want {
			t.Errorf("%s = %v, want %v", name, got[name].Data, want)
		}
	}
	if d, _ := got["/sys/vector_rate_per_worker"].Data.(adapter.SimpleCounterStat); len(d) != 1 || len(d[0]) != 3 {
		t.Errorf("/sys/vector_rate_per_worker = %v, want 1 thread entry of threads+1 values as VPP", d)
	}
	if d, _ := got[Names].Data.(adapter.NameStat); len(d) != len(fixtureNames) || string(d[5]) != "memif1/0" {
		t.Errorf("/if/names = %v", d)
	}

	// Symlinks: 17 per interface, none for the deleted one, each naming
	// its interface's value (govpp reads only that index).
	links := 0
	for name, e := range got {
		if !strings.HasPrefix(name, "/interfaces/") {
			continue
		}
		links++
		if !e.Symlink {
			t.Errorf("%s is not a symlink", name)
		}
	}
	if want := 17 * (len(fixtureNames) - 1); links != want {
		t.Errorf("%d /interfaces/ symlinks, want %d", links, want)
	}
	tx, ok := got["/interfaces/memif1_0/tx"]
	if !ok {
		t.Fatalf("no /interfaces/memif1_0/tx ('/' must become '_')")
	}
	want := adapter.CombinedCounterStat{{{0, 0}}, {{3, 192}}}
	if !reflect.DeepEqual(tx.Data, want) {
		t.Errorf("/interfaces/memif1_0/tx = %v, want %v", tx.Data, want)
	}
}

func TestSetInterfacesSemantics(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	names := []string{"local0", "loop0", "loop1", "loop2"}
	if err := s.SetInterfaces(names); err != nil {
		t.Fatal(err)
	}
	for i := range names {
		s.AddCombined(Rx, 0, uint32(i), uint64(i+1), uint64(64*(i+1)))
	}
	path := serve(t, s)
	conn := connect(t, path)

	epoch := s.Epoch()
	if err := s.SetInterfaces(slices.Clone(names)); err != nil {
		t.Fatal(err)
	}
	if s.Epoch() != epoch {
		t.Errorf("an unchanged table moved the epoch %d -> %d", epoch, s.Epoch())
	}

	// loop1 deleted (name "deleted", counters kept), loop2 replaced by a
	// new interface on its index (counters from zero), one added.
	next := []string{"local0", "loop0", Deleted, "tap0", "tap1"}
	if err := s.SetInterfaces(next); err != nil {
		t.Fatal(err)
	}
	if s.Epoch() != epoch+1 {
		t.Errorf("SetInterfaces moved the epoch %d -> %d, want +1", epoch, s.Epoch())
	}
	got := ifaceStats(t, conn)
	wantRx := []uint64{1, 2, 3, 0, 0}
	for i, c := range got {
		if c.InterfaceName != next[i] || c.Rx.Packets != wantRx[i] || c.Rx.Bytes != 64*wantRx[i] {
			t.Errorf("index %d: %q rx %d/%d, want %q rx %d/%d", i, c.InterfaceName, c.Rx.Packets, c.Rx.Bytes, next[i], wantRx[i], 64*wantRx[i])
		}
	}
	p := parse(t, fetch(t, path))
	linked := map[string]bool{}
	for _, e := range p.entries {
		if e.typ == typeSymlink && strings.HasPrefix(e.name, "/interfaces/") {
			linked[strings.Split(e.name, "/")[2]] = true
		}
	}
	if want := map[string]bool{"local0": true, "loop0": true, "tap0": true, "tap1": true}; !reflect.DeepEqual(linked, want) {
		t.Errorf("interfaces with symlinks: %v, want %v", linked, want)
	}

	// Shrink, then grow again: the dropped indexes come back at zero.
	if err := s.SetInterfaces(next[:2]); err != nil {
		t.Fatal(err)
	}
	if got := ifaceStats(t, conn); len(got) != 2 {
		t.Errorf("after shrinking to 2: %d interfaces", len(got))
	}
	if err := s.SetInterfaces(next); err != nil {
		t.Fatal(err)
	}
	got = ifaceStats(t, conn)
	if got[2].Rx.Packets != 0 || got[2].InterfaceName != Deleted {
		t.Errorf("index 2 after shrink and regrow: %+v, want zero", got[2])
	}

	// Two interfaces with one name: the first keeps the symlinks.
	if err := s.SetInterfaces([]string{"a", "b/c", "b_c", "x\x00y"}); err != nil {
		t.Fatal(err)
	}
	p = parse(t, fetch(t, path))
	if e, ok := p.byName("/interfaces/b_c/rx"); !ok || uint32(e.union>>32) != 1 {
		t.Errorf("/interfaces/b_c/rx = %+v, want index 1 (first owner)", e)
	}
	n := p.names(t, mustEntry(t, p, Names))
	if !reflect.DeepEqual(n, []string{"a", "b/c", "b_c", "x"}) {
		t.Errorf("/if/names = %q", n)
	}
	long := strings.Repeat("n", 300)
	if err := s.SetInterfaces([]string{long}); err != nil {
		t.Fatal(err)
	}
	p = parse(t, fetch(t, path))
	if n := p.names(t, mustEntry(t, p, Names)); len(n) != 1 || n[0] != long {
		t.Errorf("a 300-byte name must be kept whole in /if/names, got %d bytes", len(n[0]))
	}
	for _, e := range p.entries {
		if strings.HasPrefix(e.name, "/interfaces/nnn") && len(e.name) != 127 {
			t.Errorf("symlink name of %d bytes, want cut to 127", len(e.name))
		}
	}
}

func mustEntry(t *testing.T, p *parsed, name string) pEntry {
	t.Helper()
	e, ok := p.byName(name)
	if !ok {
		t.Fatalf("no entry %s", name)
	}
	return e
}

func TestGrowthSeenByFreshAndLongLivedConnections(t *testing.T) {
	const threads = 2
	s, err := New(WithThreads(threads), WithCapacity(16))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	names := func(n int) []string { return numbered("loop%d", n) }
	if err := s.SetInterfaces(names(11)); err != nil {
		t.Fatal(err)
	}
	m := fill(t, s, 11, threads, 0)
	if err := s.SetScalar(Heartbeat, 5); err != nil {
		t.Fatal(err)
	}
	if err := s.SetScalar("/sys/custom", 6); err != nil {
		t.Fatal(err)
	}
	path := serve(t, s)
	long := connect(t, path)
	diffCounters(t, "11 interfaces", ifaceStats(t, long), m.want(names(11)))
	size0 := s.Size()
	checkMem(t, s, long)

	// 1. Grow past the vectors' capacity within the memfd: they move, the
	// epoch changes, a long-lived connection re-reads the directory.
	if err := s.SetInterfaces(names(40)); err != nil {
		t.Fatal(err)
	}
	if s.Generation() != 0 || s.Size() != size0 {
		t.Fatalf("40 interfaces should fit the first memfd (generation %d, size %d -> %d)", s.Generation(), size0, s.Size())
	}
	for c := range m {
		m[c] = append(m[c], make([][2]uint64, 29)...)
	}
	diffCounters(t, "40, long-lived", ifaceStats(t, long), m.want(names(40)))
	diffCounters(t, "40, fresh", ifaceStats(t, connect(t, path)), m.want(names(40)))

	// 2. Grow past the memfd: a new memfd, the socket file replaced.
	const big = 5000
	if err := s.SetInterfaces(names(big)); err != nil {
		t.Fatal(err)
	}
	if s.Generation() != 1 || s.Size() <= size0 {
		t.Fatalf("%d interfaces: generation %d, size %d (was %d), want a new larger memfd", big, s.Generation(), s.Size(), size0)
	}
	s.AddCombined(Rx, 1, big-1, 9, 576)
	for c := range m {
		m[c] = append(m[c], make([][2]uint64, big-40)...)
	}
	m[Rx][big-1] = [2]uint64{9, 576}
	diffCounters(t, "5000, fresh", ifaceStats(t, connect(t, path)), m.want(names(big)))

	// The long-lived connection still maps the old memfd, abandoned with
	// in_progress set: govpp fails the read (after waiting 100 ms), and a
	// new connection reads the new memfd.
	var st api.InterfaceStats
	if err := long.GetInterfaceStats(&st); !errors.Is(err, adapter.ErrStatsAccessFailed) {
		t.Fatalf("long-lived connection after the move: %v (%d interfaces), want ErrStatsAccessFailed", err, len(st.Interfaces))
	}
	fresh := connect(t, path)
	diffCounters(t, "5000, reconnected", ifaceStats(t, fresh), m.want(names(big)))
	checkMem(t, s, fresh)
	// Scalars come along to the new memfd.
	var sys api.SystemStats
	if err := fresh.GetSystemStats(&sys); err != nil {
		t.Fatal(err)
	}
	if sys.Heartbeat != 5 {
		t.Errorf("heartbeat %d in the new memfd, want 5", sys.Heartbeat)
	}
	sc := statsclient.NewStatsClient(path)
	if err := sc.Connect(); err != nil {
		t.Fatal(err)
	}
	defer sc.Disconnect()
	e, err := sc.DumpStats("^/sys/custom$")
	if err != nil || len(e) != 1 || e[0].Data != adapter.ScalarStat(6) {
		t.Errorf("/sys/custom in the new memfd: %v %v, want 6", e, err)
	}
}

// checkMem checks what govpp reads of /mem/stat segment against the
// segment's own accounting.
func checkMem(t *testing.T, s *Segment, conn *core.StatsConnection) {
	t.Helper()
	var ms api.MemoryStats
	if err := conn.GetMemoryStats(&ms); err != nil {
		t.Fatal(err)
	}
	got := ms.Stat[0]
	if got.Total != uint64(s.Size()-4096) || got.Used != uint64(s.Used()) || got.Free != got.Total-got.Used {
		t.Errorf("/mem/stat segment total/used/free %d/%d/%d, want %d/%d", got.Total, got.Used, got.Free, s.Size()-4096, s.Used())
	}
}

func TestFixedSizeIsNeverExceeded(t *testing.T) {
	const size = 4 << 20
	s, err := New(WithSize(size))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fits := 0
	for n := 256; ; n *= 2 {
		err := s.SetInterfaces(numbered("GigabitEthernet0/%d/0", n))
		if errors.Is(err, ErrNoSpace) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fits = n
		if n > 1<<16 {
			t.Fatalf("%d interfaces fit in %d bytes", n, size)
		}
	}
	if s.Size() != size || s.Generation() != 0 {
		t.Errorf("size %d generation %d, want the fixed %d and no new memfd", s.Size(), s.Generation(), size)
	}
	path := serve(t, s)
	if got := ifaceStats(t, connect(t, path)); len(got) != fits {
		t.Errorf("after ErrNoSpace govpp reads %d interfaces, want the last that fit (%d)", len(got), fits)
	}
	t.Logf("%d bytes held %d interfaces, not %d", size, fits, 2*fits)
}

func TestCloseStopsServing(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	path := serve(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket still there after Close: %v", err)
	}
	if err := s.SetInterfaces([]string{"x"}); !errors.Is(err, ErrClosed) {
		t.Errorf("SetInterfaces after Close: %v, want ErrClosed", err)
	}
	if s.AddSimple(Drops, 0, 0, 1) {
		t.Error("AddSimple after Close reported success")
	}
}

func TestOptionsRejected(t *testing.T) {
	for _, opts := range [][]Option{
		{WithThreads(0)}, {WithThreads(maxThreads + 1)}, {WithCapacity(-1)}, {WithSize(-1)},
		{WithBase(0x7f0000000001)}, {WithSize(8192)},
	} {
		if s, err := New(opts...); err == nil {
			s.Close()
			t.Errorf("New(%v) accepted", opts)
		}
	}
}
