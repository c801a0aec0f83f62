package statsread

import (
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/mib"
)

func quietLogger() logrus.FieldLogger {
	l := logrus.New()
	l.Out = io.Discard
	return l
}

func fixtureImage(t *testing.T) []byte {
	t.Helper()
	f, err := os.Open("testdata/stats_segment.bin.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 32<<20 {
		t.Fatalf("fixture segment is %d bytes, want 32 MiB", len(b))
	}
	return b
}

// fixtureCounters is interface_counters.json: what govpp's own
// GetInterfaceStats read from the real VPP right before the segment copy.
func fixtureCounters(t *testing.T) ([]string, []mib.Counters) {
	t.Helper()
	b, err := os.ReadFile("testdata/interface_counters.json")
	if err != nil {
		t.Fatal(err)
	}
	type pb struct{ Packets, Bytes uint64 }
	var doc struct {
		InterfaceStats struct {
			Interfaces []struct {
				InterfaceIndex                      uint32
				InterfaceName                       string
				Rx, Tx                              pb
				RxErrors, TxErrors                  uint64
				RxUnicast, RxMulticast, RxBroadcast pb
				TxUnicast, TxMulticast, TxBroadcast pb
				Drops, Punts, RxNoBuf, RxMiss       uint64
			}
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var names []string
	var cs []mib.Counters
	for i, x := range doc.InterfaceStats.Interfaces {
		if x.InterfaceIndex != uint32(i) {
			t.Fatalf("fixture entry %d has index %d", i, x.InterfaceIndex)
		}
		names = append(names, x.InterfaceName)
		cs = append(cs, mib.Counters{
			RxPackets: x.Rx.Packets, RxBytes: x.Rx.Bytes, TxPackets: x.Tx.Packets, TxBytes: x.Tx.Bytes,
			RxUnicastPackets: x.RxUnicast.Packets, RxUnicastBytes: x.RxUnicast.Bytes,
			RxMulticastPackets: x.RxMulticast.Packets, RxMulticastBytes: x.RxMulticast.Bytes,
			RxBroadcastPackets: x.RxBroadcast.Packets, RxBroadcastBytes: x.RxBroadcast.Bytes,
			TxUnicastPackets: x.TxUnicast.Packets, TxUnicastBytes: x.TxUnicast.Bytes,
			TxMulticastPackets: x.TxMulticast.Packets, TxMulticastBytes: x.TxMulticast.Bytes,
			TxBroadcastPackets: x.TxBroadcast.Packets, TxBroadcastBytes: x.TxBroadcast.Bytes,
			Drops: x.Drops, Punts: x.Punts, RxNoBuf: x.RxNoBuf, RxMiss: x.RxMiss,
			RxError: x.RxErrors, TxError: x.TxErrors,
		})
	}
	return names, cs
}

// TestReadFixture reads the real VPP 26.06 segment and gets exactly what
// govpp's GetInterfaceStats got from the live VPP.
func TestReadFixture(t *testing.T) {
	srv := serveSegment(t, fixtureImage(t))
	r := New(srv.path, WithLogger(quietLogger()))
	defer r.Close()
	got, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	names, want := fixtureCounters(t)
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
	// Literal spot checks from the capture's README.
	veth0 := got.BySwIfIndex[1]
	if veth0.RxPackets != 167 || veth0.RxBytes != 32798 || veth0.TxPackets != 138 || veth0.Drops != 20 || veth0.Punts != 9 ||
		veth0.RxMulticastPackets != 13 || veth0.TxBroadcastPackets != 1 {
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

// TestSumOverThreads: counters are summed over every thread's vector.
func TestSumOverThreads(t *testing.T) {
	tc := testCounters{n: 5, threads: 3, seed: 1}
	seg := interfaceSegment(tc, nil)
	srv := serveSegment(t, seg.finish(7))
	r := New(srv.path, WithLogger(quietLogger()))
	defer r.Close()
	got, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkSynthetic(t, got, tc)
}

// checkSynthetic compares with the values interfaceSegment wrote, summed
// here independently.
func checkSynthetic(t *testing.T, got Counters, tc testCounters) {
	t.Helper()
	if len(got.BySwIfIndex) != tc.n {
		t.Fatalf("%d interfaces, want %d", len(got.BySwIfIndex), tc.n)
	}
	sum := func(k, i int) uint64 {
		var v uint64
		for th := range tc.threads {
			v += simpleVal(tc.seed, k, th, i)
		}
		return v
	}
	for i, c := range got.BySwIfIndex {
		want := mib.Counters{
			Drops: sum(0, i), Punts: sum(1, i), RxNoBuf: sum(4, i), RxMiss: sum(5, i), RxError: sum(6, i), TxError: sum(7, i),
			RxPackets: sum(100, i), RxBytes: 64 * sum(100, i),
			RxUnicastPackets: sum(101, i), RxUnicastBytes: 64 * sum(101, i),
			RxMulticastPackets: sum(102, i), RxMulticastBytes: 64 * sum(102, i),
			RxBroadcastPackets: sum(103, i), RxBroadcastBytes: 64 * sum(103, i),
			TxPackets: sum(104, i), TxBytes: 64 * sum(104, i),
			TxUnicastPackets: sum(105, i), TxUnicastBytes: 64 * sum(105, i),
			TxMulticastPackets: sum(106, i), TxMulticastBytes: 64 * sum(106, i),
			TxBroadcastPackets: sum(107, i), TxBroadcastBytes: 64 * sum(107, i),
		}
		if c != want {
			t.Fatalf("sw_if_index %d:\n got %+v\nwant %+v", i, c, want)
		}
		if got.Names[i] != "TenGigabitEthernet"+itoa(i) {
			t.Fatalf("name %d = %q", i, got.Names[i])
		}
	}
	if got.BootTime != 1795304893+tc.seed {
		t.Errorf("BootTime = %d", got.BootTime)
	}
}

// TestCountersFollowVPP: values VPP writes in place show up in the next
// Read, and unchanged names are not rebuilt.
func TestCountersFollowVPP(t *testing.T) {
	tc := testCounters{n: 3, threads: 2}
	seg := interfaceSegment(tc, nil)
	srv := serveSegment(t, seg.finish(1))
	r := New(srv.path, WithLogger(quietLogger()))
	defer r.Close()
	first, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := srv.mapRW()
	// Worker 1 receives 5 packets of 100 bytes on sw_if_index 2.
	rx := seg.counters["/if/rx"][1] + 16*2
	binary.LittleEndian.PutUint64(m[rx:], binary.LittleEndian.Uint64(m[rx:])+5)
	binary.LittleEndian.PutUint64(m[rx+8:], binary.LittleEndian.Uint64(m[rx+8:])+500)
	second, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := second.BySwIfIndex[2].RxPackets - first.BySwIfIndex[2].RxPackets; d != 5 {
		t.Errorf("rx packets grew by %d, want 5", d)
	}
	if d := second.BySwIfIndex[2].RxBytes - first.BySwIfIndex[2].RxBytes; d != 500 {
		t.Errorf("rx bytes grew by %d, want 500", d)
	}
	if second.BySwIfIndex[1] != first.BySwIfIndex[1] {
		t.Errorf("sw_if_index 1 changed")
	}
	if &second.Names[0] != &first.Names[0] {
		t.Errorf("unchanged names were rebuilt")
	}
	if second.Segment != first.Segment {
		t.Errorf("segment changed without a restart")
	}
}

// TestVPPAbsent: no socket, then a socket nobody serves (VPP died, the file
// stayed): both are errors, and the Reader works once VPP is back.
func TestVPPAbsent(t *testing.T) {
	dir := t.TempDir()
	r := New(dir+"/stats.sock", WithLogger(quietLogger()), WithTimeout(200*time.Millisecond))
	defer r.Close()
	if _, err := r.Read(context.Background()); err == nil {
		t.Fatal("Read succeeded without a stats socket")
	}

	tc := testCounters{n: 2, threads: 1, seed: 3}
	srv := serveSegment(t, interfaceSegment(tc, nil).finish(1))
	r = New(srv.path, WithLogger(quietLogger()), WithTimeout(200*time.Millisecond))
	defer r.Close()
	if _, err := r.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.stop() // VPP dies; its mapping (and ours) stays, frozen
	if c, err := r.Read(context.Background()); err == nil {
		t.Fatalf("Read returned a dead VPP's counters: %+v", c.BySwIfIndex)
	}
	srv.restart(interfaceSegment(tc, nil).finish(1), false)
	got, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkSynthetic(t, got, tc)
}

// TestRestartNeverStale: after a VPP restart Read returns the new segment's
// counters and a new Segment number, whether systemd removed the socket's
// directory or VPP just replaced the socket.
func TestRestartNeverStale(t *testing.T) {
	for _, removeDir := range []bool{false, true} {
		old := testCounters{n: 4, threads: 2, seed: 10}
		srv := serveSegment(t, interfaceSegment(old, nil).finish(5))
		r := New(srv.path, WithLogger(quietLogger()))
		before, err := r.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		checkSynthetic(t, before, old)

		// The new VPP has the same interfaces, its counters restarted (seed
		// 0: smaller), and the same epoch: nothing in the data itself tells
		// the segments apart.
		fresh := testCounters{n: 4, threads: 2, seed: 0}
		srv.restart(interfaceSegment(fresh, nil).finish(5), removeDir)
		after, err := r.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		checkSynthetic(t, after, fresh)
		if after.Segment == before.Segment {
			t.Errorf("removeDir=%v: Segment stayed %d across a restart", removeDir, after.Segment)
		}
		r.Close()
	}
}

// TestBusySegment: while VPP holds in_progress the Read waits, and returns
// the data once VPP is done; if VPP never finishes, the Read fails at its
// deadline instead of returning data.
func TestBusySegment(t *testing.T) {
	tc := testCounters{n: 3, threads: 1, seed: 2}
	seg := interfaceSegment(tc, nil)
	srv := serveSegment(t, seg.finish(40))
	m := srv.mapRW()
	inProgress := (*atomic.Uint64)(unsafePointer(m, 24))
	epoch := (*atomic.Uint64)(unsafePointer(m, 16))

	inProgress.Store(1)
	r := New(srv.path, WithLogger(quietLogger()), WithTimeout(300*time.Millisecond))
	defer r.Close()
	if c, err := r.Read(context.Background()); err == nil {
		t.Fatalf("Read returned data from a segment stuck in progress: %+v", c.BySwIfIndex)
	}

	// VPP finishes its change shortly after the read starts.
	r2 := New(srv.path, WithLogger(quietLogger()), WithTimeout(5*time.Second))
	defer r2.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(50 * time.Millisecond)
		epoch.Add(1)
		inProgress.Store(0)
	}()
	got, err := r2.Read(context.Background())
	<-done
	if err != nil {
		t.Fatal(err)
	}
	checkSynthetic(t, got, tc)
}

// TestEpochMovesUnderRead: a directory change (epoch++) between reads makes
// the Reader prepare its directory again and still return right values.
func TestEpochMovesUnderRead(t *testing.T) {
	tc := testCounters{n: 3, threads: 1, seed: 4}
	seg := interfaceSegment(tc, nil)
	srv := serveSegment(t, seg.finish(9))
	m := srv.mapRW()
	r := New(srv.path, WithLogger(quietLogger()))
	defer r.Close()
	if _, err := r.Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	(*atomic.Uint64)(unsafePointer(m, 16)).Add(2)
	got, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkSynthetic(t, got, tc)
}

// TestGarbageSegment: a segment whose pointers lead nowhere is an error,
// not a crash.
func TestGarbageSegment(t *testing.T) {
	img := interfaceSegment(testCounters{n: 2, threads: 1}, nil).finish(1)
	binary.LittleEndian.PutUint64(img[32:], 0xdeadbeef) // directory outside the segment
	srv := serveSegment(t, img)
	r := New(srv.path, WithLogger(quietLogger()), WithTimeout(300*time.Millisecond))
	defer r.Close()
	if _, err := r.Read(context.Background()); err == nil {
		t.Fatal("Read succeeded on a segment with a bad directory pointer")
	}
}
