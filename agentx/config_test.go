package agentx

import (
	"testing"
	"time"
)

func TestParseAddr(t *testing.T) {
	good := map[string][2]string{
		"":                        {"unix", "/var/agentx/master"},
		"unix:/run/agentx/master": {"unix", "/run/agentx/master"},
		"/tmp/m":                  {"unix", "/tmp/m"},
		"tcp:127.0.0.1:705":       {"tcp", "127.0.0.1:705"},
		"localhost:705":           {"tcp", "localhost:705"},
		"tcp:[::1]:705":           {"tcp", "[::1]:705"},
	}
	for in, want := range good {
		n, a, err := ParseAddr(in)
		if err != nil || n != want[0] || a != want[1] {
			t.Errorf("ParseAddr(%q) = %q, %q, %v; want %v", in, n, a, err, want)
		}
	}
	for _, in := range []string{"unix:", "udp:127.0.0.1:705", "705", "tcp:host", "host:0", "host:notaport", "tcp:"} {
		if _, _, err := ParseAddr(in); err == nil {
			t.Errorf("ParseAddr(%q) accepted", in)
		}
	}
}

func TestNewValidates(t *testing.T) {
	long := make(OID, 140)
	for name, cfg := range map[string]Config{
		"bad addr":      {Addr: "udp:1.2.3.4:705"},
		"timeout 300s":  {Timeout: 300 * time.Second},
		"timeout 10ms":  {Timeout: 10 * time.Millisecond},
		"long subtree":  {Subtrees: []OID{long}},
		"empty subtree": {Subtrees: []OID{{}}},
		"long id":       {ID: long},
		"backoff":       {BackoffMin: time.Second, BackoffMax: time.Millisecond},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	s, err := New(Config{Subtrees: ifSubtrees})
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.Priority != 100 || s.cfg.Timeout != 5*time.Second || s.cfg.BackoffMax != time.Second || s.network != "unix" {
		t.Errorf("defaults: %+v", s.cfg)
	}
}

func TestMasterClock(t *testing.T) {
	c := newMasterClock()
	now := c.base.Add(time.Hour)
	if c.Ticks(now) != 0 {
		t.Error("ticks before any Response")
	}
	c.update(now, 303) // master started 3.03 s before now
	if got := c.Ticks(now); got != 303 {
		t.Errorf("Ticks = %d, want 303", got)
	}
	// A later Response received after a delay gives a later (worse)
	// estimate of the start: the earlier one is kept.
	c.update(now.Add(time.Second+50*time.Millisecond), 403)
	if got := c.Ticks(now.Add(time.Second)); got != 403 {
		t.Errorf("Ticks = %d, want 403", got)
	}
	// A better (earlier) estimate replaces it.
	c.update(now.Add(2*time.Second), 504)
	if got := c.Ticks(now); got != 304 {
		t.Errorf("Ticks = %d, want 304", got)
	}
	// The master restarted: its uptime starts again.
	c.update(now.Add(time.Minute), 10)
	if got := c.Ticks(now.Add(time.Minute)); got != 10 {
		t.Errorf("after restart Ticks = %d, want 10", got)
	}
	if c.Ticks(now) != 0 {
		t.Error("an instant before the restarted master began is not 0")
	}
}
