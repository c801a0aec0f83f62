package mib

import (
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// WithCountersFunc is WithCounters with each row's counters asked of fill
// (false: the row keeps its own), so that they can be read from where they
// are (the stats segment, in place) into the snapshot without an array of
// every interface's counters in between.
func (s *Snapshot) WithCountersFunc(fill func(sw uint32, c *model.Counters) bool, now time.Time) *Snapshot {
	if s == nil {
		return nil
	}
	n := *s
	n.ctr, n.slot, n.ovf = make([]ctrRow, len(s.rows)), nil, nil // compact again
	nowAt := s.stamp(now)
	var v model.Counters
	for i := range s.rows {
		old := s.ctrOf(i)
		c := &n.ctr[i]
		*c = *old
		if fill(s.rows[i].swIfIndex, &v) {
			c.read(&v)
			c.follow(old, false, nowAt)
		}
	}
	return &n
}

// FillCounters is WithCountersFunc done in s itself rather than in a copy,
// for a snapshot fresh from Build and not yet published (nothing else may
// read it): a full build needs no second counter array.
//
// It writes in place only into the counter array Build made for s: any
// other snapshot (a Patch, whose array is its published prev's, or a copy
// of a Build's) gets a new array, as from WithCountersFunc.
func (s *Snapshot) FillCounters(fill func(sw uint32, c *model.Counters) bool, now time.Time) {
	if s == nil {
		return
	}
	if s.ctrFor.Value() != s {
		*s = *s.WithCountersFunc(fill, now)
		return
	}
	nowAt := s.stamp(now)
	var v model.Counters
	for i := range s.rows {
		if !fill(s.rows[i].swIfIndex, &v) {
			continue
		}
		old := s.ctr[i]
		c := &s.ctr[i]
		c.read(&v)
		c.follow(&old, false, nowAt)
	}
}
