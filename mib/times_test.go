package mib

import (
	"strings"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// monoClock is a master clock that measures, as agentx's does, from a
// monotonic base, and fails the test when handed an instant without a
// monotonic reading: such an instant is compared on the wall clock, so an
// NTP step after start would shift every served TimeTicks.
type monoClock struct {
	t    *testing.T
	base time.Time
}

func (c monoClock) Ticks(at time.Time) uint32 {
	c.t.Helper()
	if !hasMono(at) {
		c.t.Errorf("Ticks(%v): no monotonic reading", at)
	}
	return uint32(at.Sub(c.base) / (10 * time.Millisecond))
}

func hasMono(t time.Time) bool { return strings.Contains(t.String(), " m=") }

// TestTimesMonotonic: every served TimeTicks and every Row time is the
// caller's instant with its monotonic reading, in Build and WithCounters.
func TestTimesMonotonic(t *testing.T) {
	base := time.Now() // the master's start, as agentx's clock sees it
	clk := monoClock{t: t, base: base}
	opt := Options{Clock: clk}
	ifaces := []model.Interface{iface(0, "Te0", "dpdk", true), iface(1, "Te1", "dpdk", true)}
	now1 := base.Add(time.Second)
	s1, idx, _ := Build(nil, ifaces, []model.Counters{{RxPackets: 10}, {RxPackets: 10}}, nil, now1, opt)

	now2 := now1.Add(5 * time.Second)
	ifaces[0].LinkUp = false
	ifaces = append(ifaces, iface(2, "Te2", "dpdk", true))
	s2, _, tr := Build(s1, ifaces, []model.Counters{{RxPackets: 11}, {RxPackets: 11}}, idx, now2, opt)
	if len(tr) != 1 || !hasMono(tr[0].At) {
		t.Errorf("transitions %+v: want one, At with a monotonic reading", tr)
	}
	now3 := now2.Add(7 * time.Second)
	s3 := s2.WithCounters([]model.Counters{{RxPackets: 12}, {RxPackets: 1}}, now3) // Te1 cleared

	at := func(t1 time.Time) uint64 { return uint64(t1.Sub(base) / (10 * time.Millisecond)) }
	if got := num(t, s3, ifT, colIfLastChange, 1000, tt); got != at(now2) {
		t.Errorf("ifLastChange %d, want %d", got, at(now2))
	}
	if got := num(t, s3, ifXT, colIfCounterDiscontinuityTime, 1001, tt); got != at(now3) {
		t.Errorf("ifCounterDiscontinuityTime %d, want %d", got, at(now3))
	}
	for _, o := range []string{"1.3.6.1.2.1.31.1.5.0", "1.3.6.1.2.1.31.1.6.0"} {
		if v := s3.Get(oid(t, o)); v.Type != tt || v.Integer != at(now2) {
			t.Errorf("%s = %s, want %d", o, format(v), at(now2))
		}
	}
	r := s3.Row(0)
	if !hasMono(r.LastChange) || r.LastChange.Sub(now2) != 0 {
		t.Errorf("Row.LastChange %v, want %v", r.LastChange, now2)
	}
	if r := s3.Row(1); !hasMono(r.CounterDiscontinuity) || r.CounterDiscontinuity.Sub(now3) != 0 {
		t.Errorf("Row.CounterDiscontinuity %v, want %v", r.CounterDiscontinuity, now3)
	}
	// an unchanged row stays "before the agent knew", also when a change
	// lands exactly on the first Build's instant
	s4, _, _ := Build(s3, ifaces, nil, idx, now1, opt)
	if got := num(t, s4, ifT, colIfLastChange, 1001, tt); got != 0 {
		t.Errorf("unchanged row: ifLastChange %d, want 0", got)
	}
	if !s4.Row(1).LastChange.IsZero() {
		t.Errorf("unchanged row: Row.LastChange %v, want zero", s4.Row(1).LastChange)
	}
}
