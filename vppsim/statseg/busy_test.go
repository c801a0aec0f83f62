package statseg

import (
	"encoding/binary"
	"errors"
	"testing"

	"go.fd.io/govpp/adapter"
	"go.fd.io/govpp/api"
)

// TestSetBusyHoldsInProgress: SetBusy keeps in_progress set through
// directory changes and a move to a new memfd, govpp's statsclient gives up
// while it is set, and reads again once it is released.
func TestSetBusyHoldsInProgress(t *testing.T) {
	s, err := New(WithCapacity(16))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	names := numbered("loop%d", 4)
	if err := s.SetInterfaces(names); err != nil {
		t.Fatal(err)
	}
	s.AddCombined(Rx, 0, 2, 7, 700)
	path := serve(t, s)
	conn := connect(t, path)
	if got := ifaceStats(t, conn)[2].Rx.Packets; got != 7 {
		t.Fatalf("before SetBusy: rx %d at 2, want 7", got)
	}

	if err := s.SetBusy(true); err != nil {
		t.Fatal(err)
	}
	if p := header(t, path); p.inProg != 1 {
		t.Fatalf("after SetBusy(true): in_progress %d, want 1", p.inProg)
	}
	var st api.InterfaceStats
	if err := conn.GetInterfaceStats(&st); !errors.Is(err, adapter.ErrStatsAccessFailed) {
		t.Errorf("govpp read while busy: %v, want ErrStatsAccessFailed", err)
	}
	// A directory change in the window: the epoch moves, the flag stays.
	epoch := s.Epoch()
	names = numbered("loop%d", 6)
	if err := s.SetInterfaces(names); err != nil {
		t.Fatal(err)
	}
	if p := header(t, path); p.inProg != 1 || p.epoch == epoch {
		t.Errorf("after a directory change while busy: in_progress %d epoch %d (was %d), want 1 and a new epoch", p.inProg, p.epoch, epoch)
	}
	// A move to a new memfd carries the hold over.
	names = numbered("loop%d", 5000)
	if err := s.SetInterfaces(names); err != nil {
		t.Fatal(err)
	}
	if s.Generation() != 1 {
		t.Fatalf("5000 interfaces: generation %d, want a new memfd", s.Generation())
	}
	if p := header(t, path); p.inProg != 1 {
		t.Errorf("new memfd while busy: in_progress %d, want 1", p.inProg)
	}

	if err := s.SetBusy(false); err != nil {
		t.Fatal(err)
	}
	if p := header(t, path); p.inProg != 0 {
		t.Errorf("after SetBusy(false): in_progress %d, want 0", p.inProg)
	}
	got := ifaceStats(t, connect(t, path))
	if len(got) != 5000 || got[2].Rx.Packets != 7 {
		t.Errorf("after the window: %d interfaces, rx %d at 2; want 5000 and 7", len(got), got[2].Rx.Packets)
	}

	img, err := FromImage(make([]byte, heapStart))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if err := img.SetBusy(true); !errors.Is(err, ErrReadOnly) {
		t.Errorf("SetBusy on an image: %v, want ErrReadOnly", err)
	}
}

type hdrWords struct{ epoch, inProg uint64 }

// header reads the served segment's epoch and in_progress.
func header(t *testing.T, path string) hdrWords {
	t.Helper()
	h := fetchHeader(t, path)
	return hdrWords{epoch: binary.LittleEndian.Uint64(h[hdrEpoch:]), inProg: binary.LittleEndian.Uint64(h[hdrInProgress:])}
}
