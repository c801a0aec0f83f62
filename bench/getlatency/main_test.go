package main

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

func TestPercentileNearestRank(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	var v []time.Duration
	for i := 1000; i >= 1; i-- { // unsorted on purpose
		v = append(v, ms(i))
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, ms(500)}, {0.9, ms(900)}, {0.99, ms(990)}, {0.999, ms(999)}, {1, ms(1000)}, {0, ms(1)}} {
		if got := percentile(v, c.q); got != c.want {
			t.Errorf("percentile(1..1000 ms, %v) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile(nil) = %v", got)
	}
	// 1,800 GETs (40 s at 45/s): p99.9 is the second worst.
	v = v[:0]
	for i := 1; i <= 1800; i++ {
		v = append(v, ms(i))
	}
	if got := percentile(v, 0.999); got != ms(1799) {
		t.Errorf("p99.9 of 1,800 = %v, want the second worst", got)
	}
}

func TestSummaryRanksTimeoutsLast(t *testing.T) {
	reqs := make([]request, 1000)
	for i := range reqs {
		reqs[i] = request{latency: time.Millisecond, result: ok}
	}
	reqs[3].result, reqs[3].latency = timedOut, 0
	reqs[4] = request{result: failed, detail: "error-status NoSuchName index 1", latency: 2 * time.Millisecond}
	s := summarize(reqs)
	if s.timeouts != 1 || s.errors != 1 || s.pct["max"] != inf || s.pct["p99"] != time.Millisecond {
		t.Errorf("summary = %+v", s)
	}
	o := options{label: "x", duration: 40 * time.Second, rate: 45, arrivals: "poisson", timeout: time.Second,
		p99Target: 5 * time.Millisecond, p999Target: 20 * time.Millisecond}
	line := s.line(o, 10)
	for _, want := range []string{"max timeout", "timeouts 1", "errors 1", "p99 <= 5ms PASS", "0 timeouts MISS", "first error: error-status"} {
		if !strings.Contains(line, want) {
			t.Errorf("summary line %q lacks %q", line, want)
		}
	}
}

func TestScheduleCountAndOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fixed := schedule(rng, 45, 40*time.Second, true)
	if len(fixed) != 1800 || fixed[0] != 0 || fixed[1799] >= 40*time.Second {
		t.Errorf("fixed schedule: %d requests, first %v, last %v", len(fixed), fixed[0], fixed[len(fixed)-1])
	}
	p := schedule(rng, 45, 40*time.Second, false)
	if len(p) < 1600 || len(p) > 2000 {
		t.Errorf("Poisson schedule of 45/s over 40 s has %d requests", len(p))
	}
	for i := 1; i < len(p); i++ {
		if p[i] < p[i-1] || p[i] >= 40*time.Second {
			t.Fatalf("Poisson schedule out of order or range at %d: %v after %v", i, p[i], p[i-1])
		}
	}
}

func TestCheck(t *testing.T) {
	oids := []string{".1.3.6.1.2.1.31.1.1.1.6.1001", ".1.3.6.1.2.1.2.2.1.8.1001"}
	good := &gosnmp.SnmpPacket{Variables: []gosnmp.SnmpPDU{
		{Name: oids[0], Type: gosnmp.Counter64, Value: uint64(1)},
		{Name: oids[1], Type: gosnmp.Integer, Value: 1},
	}}
	if r, d := check(good, nil, oids); r != ok {
		t.Errorf("good answer: %v %s", r, d)
	}
	missing := &gosnmp.SnmpPacket{Variables: []gosnmp.SnmpPDU{
		{Name: oids[0], Type: gosnmp.Counter64, Value: uint64(1)},
		{Name: oids[1], Type: gosnmp.NoSuchInstance},
	}}
	if r, _ := check(missing, nil, oids); r != failed {
		t.Errorf("noSuchInstance: %v, want failed", r)
	}
	timeout := errors.New("request timeout (after 0 retries): " + gosnmp.ErrMaxRetriesExceeded.Error())
	if r, _ := check(nil, timeout, oids); r != timedOut {
		t.Errorf("timeout: %v", r)
	}
	if r, _ := check(nil, errors.New("connection refused"), oids); r != failed {
		t.Errorf("refused: %v", r)
	}
}

func TestStatCPU(t *testing.T) {
	line := "1234 (a (b) c) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 100 0 0"
	if got, ok := statCPU(line); !ok || got != 3 {
		t.Errorf("statCPU = %v %v, want 3 s", got, ok)
	}
	if _, ok := statCPU("garbage"); ok {
		t.Error("statCPU accepted garbage")
	}
	if _, err := parseWatch("agent=12,snmpd=x"); err == nil {
		t.Error("parseWatch accepted a bad pid")
	}
	if w, err := parseWatch("agent=12,snmpd=13"); err != nil || len(w) != 2 || w[1].pid != 13 {
		t.Errorf("parseWatch = %v %v", w, err)
	}
}
