package statsread

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"go.fd.io/govpp/adapter/statsclient"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/core"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppfixture"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim/statseg"
)

// TestReadFixture reads the real VPP 26.06 segment (served byte for byte
// by statseg.FromImage) and gets exactly what govpp's GetInterfaceStats got
// from the live VPP.
func TestReadFixture(t *testing.T) {
	seg, err := statseg.FromImage(fixtureImage(t))
	if err != nil {
		t.Fatal(err)
	}
	sim := serveSeg(t, seg, "")
	r := New(sim.path, WithLogger(quietLogger()), WithTimeout(10*time.Second))
	defer r.Close()
	got, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	names, want := vppfixture.Counters[model.Counters](t)
	if len(want) != 11 {
		t.Fatalf("fixture has %d interfaces, want 11", len(want))
	}
	if len(got.BySwIfIndex) != len(want) || len(got.Names) != len(names) {
		t.Fatalf("got %d counters, %d names; want %d", len(got.BySwIfIndex), len(got.Names), len(want))
	}
	for i := range want {
		if got.Names[i] != names[i] {
			t.Errorf("name %d = %q, want %q", i, got.Names[i], names[i])
		}
		if got.BySwIfIndex[i] != want[i] {
			t.Errorf("%s:\n got %+v\nwant %+v", names[i], got.BySwIfIndex[i], want[i])
		}
	}
	// Literal values from the capture's README.
	veth0 := got.BySwIfIndex[1]
	if veth0.RxPackets != 167 || veth0.RxBytes != 32798 || veth0.TxPackets != 138 || veth0.Drops != 20 || veth0.Punts != 9 ||
		veth0.RxUnicastPackets != 141 || veth0.RxMulticastPackets != 13 || veth0.TxBroadcastPackets != 1 {
		t.Errorf("host-vpp-veth0 = %+v", veth0)
	}
	if got.Names[10] != "deleted" {
		t.Errorf("names[10] = %q, want deleted", got.Names[10])
	}
	if got.BootTime != 1795304893 {
		t.Errorf("BootTime = %d, want 1795304893", got.BootTime)
	}
	if got.Segment != 1 {
		t.Errorf("Segment = %d, want 1", got.Segment)
	}
}

// count is what a test makes the simulated VPP count, per thread.
type count struct {
	counter string
	thread  int
	sw      uint32
	pkts    uint64
	bytes   uint64 // combined counters only
}

func apply(t testing.TB, seg *statseg.Segment, cs []count) {
	t.Helper()
	for _, c := range cs {
		var ok bool
		if c.bytes != 0 {
			ok = seg.AddCombined(c.counter, c.thread, c.sw, c.pkts, c.bytes)
		} else {
			ok = seg.AddSimple(c.counter, c.thread, c.sw, c.pkts)
		}
		if !ok {
			t.Fatalf("simulated VPP refused %+v", c)
		}
	}
}

// workerCounts spreads traffic over threads 0..2: every counter the reader
// maps gets a distinct value per thread and interface.
func workerCounts(n int, scale uint64) []count {
	combined := []string{statseg.Rx, statseg.Tx, statseg.RxUnicast, statseg.RxMulticast, statseg.RxBroadcast,
		statseg.TxUnicast, statseg.TxMulticast, statseg.TxBroadcast}
	simple := []string{statseg.Drops, statseg.Punt, statseg.RxNoBuf, statseg.RxMiss, statseg.RxError, statseg.TxError,
		statseg.IP4} // IP4 is not read: it must not leak into anything
	var cs []count
	for sw := range n {
		for th := range 3 {
			for k, name := range combined {
				p := scale * uint64(1+k+10*th+100*sw)
				cs = append(cs, count{counter: name, thread: th, sw: uint32(sw), pkts: p, bytes: 64 * p})
			}
			for k, name := range simple {
				cs = append(cs, count{counter: name, thread: th, sw: uint32(sw), pkts: scale * uint64(1000+k+10*th+100*sw)})
			}
		}
	}
	return cs
}

// expected sums cs over threads, independently of the reader.
func expected(n int, cs []count) []model.Counters {
	out := make([]model.Counters, n)
	for _, c := range cs {
		o := &out[c.sw]
		switch c.counter {
		case statseg.Rx:
			o.RxPackets, o.RxBytes = o.RxPackets+c.pkts, o.RxBytes+c.bytes
		case statseg.Tx:
			o.TxPackets, o.TxBytes = o.TxPackets+c.pkts, o.TxBytes+c.bytes
		case statseg.RxUnicast:
			o.RxUnicastPackets, o.RxUnicastBytes = o.RxUnicastPackets+c.pkts, o.RxUnicastBytes+c.bytes
		case statseg.RxMulticast:
			o.RxMulticastPackets, o.RxMulticastBytes = o.RxMulticastPackets+c.pkts, o.RxMulticastBytes+c.bytes
		case statseg.RxBroadcast:
			o.RxBroadcastPackets, o.RxBroadcastBytes = o.RxBroadcastPackets+c.pkts, o.RxBroadcastBytes+c.bytes
		case statseg.TxUnicast:
			o.TxUnicastPackets, o.TxUnicastBytes = o.TxUnicastPackets+c.pkts, o.TxUnicastBytes+c.bytes
		case statseg.TxMulticast:
			o.TxMulticastPackets, o.TxMulticastBytes = o.TxMulticastPackets+c.pkts, o.TxMulticastBytes+c.bytes
		case statseg.TxBroadcast:
			o.TxBroadcastPackets, o.TxBroadcastBytes = o.TxBroadcastPackets+c.pkts, o.TxBroadcastBytes+c.bytes
		case statseg.Drops:
			o.Drops += c.pkts
		case statseg.Punt:
			o.Punts += c.pkts
		case statseg.RxNoBuf:
			o.RxNoBuf += c.pkts
		case statseg.RxMiss:
			o.RxMiss += c.pkts
		case statseg.RxError:
			o.RxError += c.pkts
		case statseg.TxError:
			o.TxError += c.pkts
		}
	}
	return out
}

func checkCounters(t *testing.T, got Counters, names []string, want []model.Counters) {
	t.Helper()
	if len(got.BySwIfIndex) != len(want) || len(got.Names) != len(names) {
		t.Fatalf("got %d counters and %d names, want %d", len(got.BySwIfIndex), len(got.Names), len(want))
	}
	for i := range want {
		if got.Names[i] != names[i] {
			t.Errorf("name %d = %q, want %q", i, got.Names[i], names[i])
		}
		if got.BySwIfIndex[i] != want[i] {
			t.Errorf("sw_if_index %d:\n got %+v\nwant %+v", i, got.BySwIfIndex[i], want[i])
		}
	}
}

// TestSumOverWorkers: with main + 2 workers, every counter equals what the
// simulated VPP counted, summed over the three threads; a counter that
// moves between reads is seen moving; unchanged names are not rebuilt.
func TestSumOverWorkers(t *testing.T) {
	names := ifNames(6)
	seg := newSim(t, names, statseg.WithThreads(3))
	cs := workerCounts(len(names), 1)
	apply(t, seg, cs)
	sim := serveSeg(t, seg, "")
	r := New(sim.path, WithLogger(quietLogger()))
	defer r.Close()

	first, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkCounters(t, first, names, expected(len(names), cs))

	more := []count{{counter: statseg.Rx, thread: 2, sw: 4, pkts: 5, bytes: 500}, {counter: statseg.Drops, thread: 1, sw: 0, pkts: 7}}
	apply(t, seg, more)
	second, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkCounters(t, second, names, expected(len(names), append(cs, more...)))
	if &second.Names[0] != &first.Names[0] {
		t.Error("unchanged names were rebuilt")
	}
	if second.Segment != first.Segment || first.Segment != 1 {
		t.Errorf("Segment %d then %d, want 1 and 1", first.Segment, second.Segment)
	}
}

// TestInterfacesChange: interfaces added, renamed and deleted (a directory
// change, with an epoch bump) are read right at the next Read.
func TestInterfacesChange(t *testing.T) {
	names := ifNames(3)
	seg := newSim(t, names)
	cs := workerCounts(3, 1)[:0]
	sim := serveSeg(t, seg, "")
	r := New(sim.path, WithLogger(quietLogger()))
	defer r.Close()
	if _, err := r.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	names = append(names, "loop0", "vxlan_tunnel0")
	names[1] = statseg.Deleted
	if err := seg.SetInterfaces(names); err != nil {
		t.Fatal(err)
	}
	cs = append(cs, count{counter: statseg.Tx, thread: 0, sw: 4, pkts: 3, bytes: 300})
	apply(t, seg, cs)
	got, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkCounters(t, got, names, expected(len(names), cs))
}

// TestSegmentMove: when the interfaces outgrow the memfd the simulator
// moves to a new one and abandons the old with in_progress set for good
// (so a reader stuck on it only ever gets "busy"). The Reader notices the
// new segment and reads it, counters carried over.
func TestSegmentMove(t *testing.T) {
	names := ifNames(2)
	seg, err := statseg.New(statseg.WithCapacity(2))
	if err != nil {
		t.Fatal(err)
	}
	if err := seg.SetInterfaces(names); err != nil {
		t.Fatal(err)
	}
	cs := []count{{counter: statseg.Rx, sw: 1, pkts: 9, bytes: 900}}
	apply(t, seg, cs)
	sim := serveSeg(t, seg, "")
	r := New(sim.path, WithLogger(quietLogger()), WithTimeout(30*time.Second))
	defer r.Close()
	first, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	names = ifNames(1000) // more than its 2 MiB memfd holds
	if err := seg.SetInterfaces(names); err != nil {
		t.Fatal(err)
	}
	if seg.Generation() == 0 {
		t.Fatal("the simulator did not move to a new memfd; the test needs it to")
	}
	got, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkCounters(t, got, names, expected(len(names), cs))
	if got.Segment == first.Segment {
		t.Error("Segment unchanged after the move to a new memfd")
	}
}

// TestVPPAbsent: no socket, a socket nobody serves (VPP killed, the file
// left behind) and a stopped VPP are errors, never the last values; the
// Reader works again once VPP is back.
func TestVPPAbsent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "stats.sock")
	r := New(path, WithLogger(quietLogger()), WithTimeout(300*time.Millisecond))
	defer r.Close()
	if _, err := r.Read(context.Background()); !isNotExist(err) {
		t.Fatalf("Read without a socket: %v, want does-not-exist", err)
	}
	lingeringSocket(t, path)
	if _, err := r.Read(context.Background()); err == nil {
		t.Fatal("Read succeeded on a socket nobody serves")
	}

	names := ifNames(2)
	cs := []count{{counter: statseg.Rx, sw: 0, pkts: 1, bytes: 100}}
	seg := newSim(t, names)
	apply(t, seg, cs)
	sim := serveSeg(t, seg, path)
	got, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkCounters(t, got, names, expected(2, cs))

	sim.stop(t) // VPP exits; our mapping stays, frozen
	if c, err := r.Read(context.Background()); err == nil {
		t.Fatalf("Read returned a stopped VPP's counters: %+v", c.BySwIfIndex)
	}
	lingeringSocket(t, path) // or was killed, leaving its socket
	if c, err := r.Read(context.Background()); err == nil {
		t.Fatalf("Read returned a dead VPP's counters: %+v", c.BySwIfIndex)
	}

	seg2 := newSim(t, names)
	serveSeg(t, seg2, path)
	got, err = r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkCounters(t, got, names, expected(2, nil))
}

// restartKind is how the new VPP's socket replaces the old one.
type restartKind int

const (
	restartRemove    restartKind = iota // VPP unlinks stats.sock at exit, binds anew
	restartRemoveDir                    // systemd removes RuntimeDirectory on stop
	restartRename                       // the new socket is renamed over the old path
)

func (k restartKind) String() string {
	return [...]string{"remove", "remove-dir", "rename"}[k]
}

// start serves seg at path (a new one when empty) as a VPP started for how
// would: for restartRename the socket is bound at a side path and renamed
// into place, so that stopping it later leaves stats.sock behind, as a VPP
// killed with SIGKILL does.
func start(t *testing.T, seg *statseg.Segment, path string, how restartKind) *vpp {
	t.Helper()
	if how != restartRename {
		return serveSeg(t, seg, path)
	}
	if path == "" {
		path = filepath.Join(t.TempDir(), "stats.sock")
	}
	side := path + "." + itoa(int(time.Now().UnixNano()%1e9))
	v := serveSeg(t, seg, side)
	if err := os.Rename(side, path); err != nil {
		t.Fatal(err)
	}
	v.path = path
	return v
}

// restart stops old and serves seg at the same path as a new VPP would.
func restart(t *testing.T, old *vpp, seg *statseg.Segment, how restartKind) *vpp {
	t.Helper()
	old.stop(t)
	if how == restartRemoveDir {
		dir := filepath.Dir(old.path)
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if how == restartRename {
		if _, err := os.Stat(old.path); err != nil {
			t.Fatalf("the killed VPP's socket is gone: %v", err)
		}
	}
	return start(t, seg, old.path, how)
}

// TestRestartNeverStale: after a VPP restart, Read returns the new
// segment's counters (restarted from 0, same interfaces, same epoch: the
// data itself cannot tell the segments apart) and a new Segment number,
// however the socket was replaced.
func TestRestartNeverStale(t *testing.T) {
	for _, how := range []restartKind{restartRemove, restartRemoveDir, restartRename} {
		t.Run(how.String(), func(t *testing.T) {
			names := ifNames(4)
			before := workerCounts(4, 1000)
			seg := newSim(t, names, statseg.WithThreads(3))
			apply(t, seg, before)
			sim := start(t, seg, "", how)
			r := New(sim.path, WithLogger(quietLogger()), WithTimeout(5*time.Second))
			defer r.Close()
			first, err := r.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			checkCounters(t, first, names, expected(4, before))

			after := workerCounts(4, 1)
			seg2 := newSim(t, names, statseg.WithThreads(3))
			apply(t, seg2, after)
			if seg.Epoch() != seg2.Epoch() {
				t.Fatalf("epochs %d and %d differ; the test wants them equal", seg.Epoch(), seg2.Epoch())
			}
			restart(t, sim, seg2, how)
			got, err := r.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			checkCounters(t, got, names, expected(4, after))
			if got.Segment == first.Segment {
				t.Errorf("Segment stayed %d across the restart", got.Segment)
			}
		})
	}
}

// TestGovppStaleAfterRestart reproduces the govpp v0.13.0 bug the Reader
// works around: a long-lived core.StatsConnection only notices a new
// segment when it sees stats.sock removed. When the old VPP was killed
// (its socket left behind) and the new VPP's socket arrives otherwise (here
// renamed over the old one), it goes on returning the dead VPP's frozen
// counters with no error. (When it does see the removal, it remaps under
// the entry names it keeps, and may crash: see vppsim/statseg's doc.) The Reader, on the same socket, returns the new
// VPP's.
func TestGovppStaleAfterRestart(t *testing.T) {
	names := ifNames(2)
	old := []count{{counter: statseg.Rx, sw: 1, pkts: 777, bytes: 77700}}
	seg := newSim(t, names)
	apply(t, seg, old)
	sim := start(t, seg, "", restartRename)

	conn, err := core.ConnectStats(statsclient.NewStatsClient(sim.path))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Disconnect()
	var st api.InterfaceStats
	if err := conn.GetInterfaceStats(&st); err != nil {
		t.Fatal(err)
	}
	if st.Interfaces[1].Rx.Packets != 777 {
		t.Fatalf("govpp read rx %d before the restart, want 777", st.Interfaces[1].Rx.Packets)
	}
	r := New(sim.path, WithLogger(quietLogger()))
	defer r.Close()
	if _, err := r.Read(context.Background()); err != nil {
		t.Fatal(err)
	}

	fresh := []count{{counter: statseg.Rx, sw: 1, pkts: 3, bytes: 300}}
	seg2 := newSim(t, names)
	apply(t, seg2, fresh)
	restart(t, sim, seg2, restartRename)

	// Without the workaround: old data, no error.
	if err := conn.GetInterfaceStats(&st); err != nil {
		t.Fatalf("govpp GetInterfaceStats after the restart: %v (the bug would be no error)", err)
	}
	if got := st.Interfaces[1].Rx.Packets; got != 777 {
		t.Fatalf("govpp read rx %d after the restart: the stale-segment bug did not reproduce (want the old 777)", got)
	}
	// With it: the new VPP's counters.
	got, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkCounters(t, got, names, expected(2, fresh))
}

// TestBusySegment: while VPP holds in_progress a Read retries, and returns
// the data once VPP is done; if VPP never finishes, the Read fails at its
// deadline instead of returning data; an epoch that moves between reads is
// handled.
func TestBusySegment(t *testing.T) {
	names := ifNames(3)
	cs := workerCounts(3, 2)
	seg := newSim(t, names, statseg.WithThreads(3))
	apply(t, seg, cs)
	sim := serveSeg(t, seg, "")
	m := mapServed(t, sim.path)
	inProgress := word(m, hdrInProgress)
	epoch := word(m, hdrEpoch)

	inProgress.Store(1)
	r := New(sim.path, WithLogger(quietLogger()), WithTimeout(300*time.Millisecond))
	defer r.Close()
	if c, err := r.Read(context.Background()); err == nil {
		t.Fatalf("Read returned data from a segment stuck in progress: %+v", c.BySwIfIndex)
	}

	r2 := New(sim.path, WithLogger(quietLogger()), WithTimeout(5*time.Second))
	defer r2.Close()
	done := make(chan struct{})
	go func() {
		// VPP finishes its change after the read has started.
		defer close(done)
		time.Sleep(150 * time.Millisecond)
		epoch.Add(1)
		inProgress.Store(0)
	}()
	got, err := r2.Read(context.Background())
	<-done
	if err != nil {
		t.Fatal(err)
	}
	checkCounters(t, got, names, expected(3, cs))

	epoch.Add(1) // a directory change between reads
	got, err = r2.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkCounters(t, got, names, expected(3, cs))
}

// TestGarbageSegment: a segment whose directory pointer leads out of the
// mapping is an error, not a crash.
func TestGarbageSegment(t *testing.T) {
	img := fixtureImage(t)
	binary.LittleEndian.PutUint64(img[hdrDirectory:], 0xdead0000beef)
	seg, err := statseg.FromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	sim := serveSeg(t, seg, "")
	r := New(sim.path, WithLogger(quietLogger()), WithTimeout(300*time.Millisecond))
	defer r.Close()
	if c, err := r.Read(context.Background()); err == nil {
		t.Fatalf("Read succeeded on a segment with a bad directory pointer: %d interfaces", len(c.BySwIfIndex))
	}
}

// TestReadIntoReuses: ReadInto overwrites the caller's storage (garbage in
// it does not leak into the sums) and uses it when it is large enough.
func TestReadIntoReuses(t *testing.T) {
	names := ifNames(4)
	seg := newSim(t, names, statseg.WithThreads(3))
	cs := workerCounts(4, 3)
	apply(t, seg, cs)
	sim := serveSeg(t, seg, "")
	r := New(sim.path, WithLogger(quietLogger()))
	defer r.Close()
	buf := make([]model.Counters, 10)
	for i := range buf {
		buf[i] = model.Counters{RxPackets: 999, Drops: 999, TxBytes: 999}
	}
	dst := Counters{BySwIfIndex: buf}
	if err := r.ReadInto(context.Background(), &dst); err != nil {
		t.Fatal(err)
	}
	checkCounters(t, dst, names, expected(4, cs))
	if &dst.BySwIfIndex[0] != &buf[0] {
		t.Error("ReadInto did not reuse a large enough buffer")
	}
	small := Counters{BySwIfIndex: make([]model.Counters, 1)}
	if err := r.ReadInto(context.Background(), &small); err != nil {
		t.Fatal(err)
	}
	checkCounters(t, small, names, expected(4, cs))
}

// TestView: a View reads in place what Read folds into an array, and
// fails when VPP changes the directory while it is applied.
func TestView(t *testing.T) {
	names := ifNames(4)
	seg := newSim(t, names, statseg.WithThreads(3))
	cs := workerCounts(4, 3)
	apply(t, seg, cs)
	sim := serveSeg(t, seg, "")
	r := New(sim.path, WithLogger(quietLogger()))
	defer r.Close()
	want, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v, err := r.View(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := Counters{Names: v.Names, Segment: v.Segment, BootTime: v.BootTime}
	if err := v.Apply(func(fill func(uint32, *model.Counters) bool) {
		for sw := uint32(0); ; sw++ {
			var c model.Counters
			if !fill(sw, &c) {
				return
			}
			got.BySwIfIndex = append(got.BySwIfIndex, c)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("View gave %+v, Read %+v", got, want)
	}
	if err := v.Apply(func(func(uint32, *model.Counters) bool) {}); err == nil {
		t.Error("a View applied twice: no error")
	}

	m := mapServed(t, sim.path)
	v, err = r.View(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Apply(func(func(uint32, *model.Counters) bool) { word(m, hdrEpoch).Add(1) }); err == nil {
		t.Error("a View whose epoch moved under it: no error")
	}
	// The Reader is free again.
	if _, err := r.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
}
