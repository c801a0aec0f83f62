package agentx

import (
	"sync/atomic"
	"time"
)

// masterClock is the master's sysUpTime as a Clock. Every Response from the
// master carries its sysUpTime (in centiseconds), so the instant the master
// started is received_at − sysUpTime. That estimate is never earlier than
// the truth (the value was read before we received it, and is truncated),
// so the earliest estimate is the best one; an estimate more than a second
// away means the master restarted and replaces the old one.
type masterClock struct {
	base   time.Time    // a monotonic reference taken at New
	origin atomic.Int64 // master start − base, in ns
	known  atomic.Bool
}

var _ Clock = (*masterClock)(nil)

func newMasterClock() *masterClock { return &masterClock{base: time.Now()} }

func (c *masterClock) update(received time.Time, sysUpTime uint32) {
	cand := int64(received.Sub(c.base)) - int64(sysUpTime)*int64(10*time.Millisecond)
	for {
		cur := c.origin.Load()
		if c.known.Load() && cand >= cur && cand-cur < int64(time.Second) {
			return
		}
		if c.origin.CompareAndSwap(cur, cand) {
			c.known.Store(true)
			return
		}
	}
}

// Ticks returns the master's sysUpTime at t in hundredths of a second, or 0
// if t is before the master started or no Response has been seen yet.
func (c *masterClock) Ticks(t time.Time) uint32 {
	if !c.known.Load() {
		return 0
	}
	d := int64(t.Sub(c.base)) - c.origin.Load()
	if d < 0 {
		return 0
	}
	// sysUpTime wraps at 2^32 centiseconds, as the master's does.
	return uint32(d / int64(10*time.Millisecond))
}
