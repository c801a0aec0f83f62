package statsread_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/statsread"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim"
)

// These tests read the stats segment of the whole simulator, whose traffic
// generator counts on worker threads as VPP does.

func startSim(t *testing.T, workers int) (*vppsim.Sim, vppsim.Config) {
	t.Helper()
	dir := t.TempDir()
	l := logrus.New()
	l.Out = io.Discard
	cfg := vppsim.Config{
		APISocket:    filepath.Join(dir, "api.sock"),
		StatsSocket:  filepath.Join(dir, "stats.sock"),
		Workers:      workers,
		Tick:         -1, // traffic moves only on Advance
		RestartDelay: 100 * time.Millisecond,
		Logger:       l,
	}
	s, err := vppsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, cfg
}

func check(t *testing.T, s *vppsim.Sim, got statsread.Counters) {
	t.Helper()
	ifs := s.Interfaces()
	if len(got.BySwIfIndex) < len(ifs) {
		t.Fatalf("%d counters for %d interfaces", len(got.BySwIfIndex), len(ifs))
	}
	busy := 0
	for _, x := range ifs {
		want := s.Counters(x.SwIfIndex)
		if got.BySwIfIndex[x.SwIfIndex] != want {
			t.Errorf("%s (%d):\n got %+v\nwant %+v", x.Name, x.SwIfIndex, got.BySwIfIndex[x.SwIfIndex], want)
		}
		if got.Names[x.SwIfIndex] != x.Name {
			t.Errorf("name %d = %q, want %q", x.SwIfIndex, got.Names[x.SwIfIndex], x.Name)
		}
		if want.RxPackets > 0 {
			busy++
		}
	}
	if busy < 5 {
		t.Errorf("only %d interfaces counted traffic; the test needs some", busy)
	}
}

// TestSimCountersOverWorkers: after simulated traffic on 3 workers, every
// interface's counters equal what the simulator counted, summed over
// threads; and again after more traffic.
func TestSimCountersOverWorkers(t *testing.T) {
	s, cfg := startSim(t, 3)
	r := statsread.New(cfg.StatsSocket, statsread.WithLogger(discard()))
	defer r.Close()
	s.Advance(2 * time.Second)
	got, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	check(t, s, got)
	s.Advance(1500 * time.Millisecond)
	got, err = r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	check(t, s, got)
}

// TestSimRestart: after a simulator restart (new segment, counters from
// zero, interfaces on other indexes) Read returns the new segment's values
// and a new Segment number.
func TestSimRestart(t *testing.T) {
	s, cfg := startSim(t, 2)
	r := statsread.New(cfg.StatsSocket, statsread.WithLogger(discard()), statsread.WithTimeout(5*time.Second))
	defer r.Close()
	s.Advance(10 * time.Second)
	before, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	check(t, s, before)
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	s.Advance(time.Second)
	after, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	check(t, s, after)
	if after.Segment == before.Segment {
		t.Errorf("Segment stayed %d across a restart", after.Segment)
	}
}

func discard() logrus.FieldLogger {
	l := logrus.New()
	l.Out = io.Discard
	return l
}
