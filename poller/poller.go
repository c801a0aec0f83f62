package poller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/mib"
)

// Event is an interface event from VPP, or a hint that everything must be
// dumped again (Resync).
//
// AdminUp and LinkUp are sw_interface_event's flags, which name the events
// that happened, not the state: VPP sets ADMIN_UP only if an admin-up event
// happened since its link-state process last ran, LINK_UP only if a
// link-up event did (interface_api.c, send_sw_interface_event). A carrier
// loss on an admin-up port comes as neither, a carrier return as LinkUp
// alone, a sub-interface's admin change as AdminUp or neither.
type Event struct {
	Resync    bool // VPP (re)connected or events were lost: dump again
	SwIfIndex uint32
	AdminUp   bool
	LinkUp    bool
	Deleted   bool
}

// Config wires a Poller to its sources and sinks.
type Config struct {
	// Interfaces dumps VPP's interfaces; Counters reads the stats segment
	// (the slice is indexed by sw_if_index) and says which segment it read,
	// so a VPP restart is seen even when the API connection did not drop.
	Interfaces func(context.Context) ([]mib.Interface, error)
	// Interface, when set, dumps one interface (found false when VPP has
	// none): an event that leaves its state in doubt asks it rather than
	// dumping everything.
	Interface func(context.Context, uint32) (in mib.Interface, found bool, err error)
	Counters  func(context.Context) (counters []mib.Counters, segment uint64, err error)
	// Events delivers VPP's interface events; nil when there are none.
	Events <-chan Event
	// Publish makes a snapshot the one served (agentx.Session.SetTree).
	Publish func(agentx.Tree)
	// Notify receives every oper state change, in order. It must not block
	// (see Notifier).
	Notify func(mib.Transition)
	// Indexes is the persistent ifIndex map at start; SaveIndexes stores it
	// whenever a new interface got an ifIndex.
	Indexes     *mib.Indexes
	SaveIndexes func(*mib.Indexes) error
	// Options for mib.Build (Clock, LCPNames, Aliases); SetAliases changes
	// the aliases later.
	Options mib.Options
	// MaxAge is the oldest a counter value may be when served (default 1 s);
	// DetailsInterval the period of the full interface dump (default 30 s).
	MaxAge          time.Duration
	DetailsInterval time.Duration
	// RequestTimeout bounds every call to VPP (default 5 s); FreshTimeout
	// the counter read made on a request's path (default 500 ms, so that a
	// stuck stats segment delays one answer, never the session).
	RequestTimeout time.Duration
	FreshTimeout   time.Duration
	Logger         logrus.FieldLogger
}

// Poller produces snapshots. Create it with New, run it with Run.
type Poller struct {
	cfg Config
	log logrus.FieldLogger

	// mu serialises snapshot production: the Run loop and Fresh both build
	// from the last snapshot. Readers never take it.
	mu       sync.Mutex
	snap     *mib.Snapshot
	ifaces   []mib.Interface
	counters []mib.Counters
	segment  uint64
	idx      *mib.Indexes
	opt      mib.Options

	readAt      time.Time   // when the published counters' read began; p.mu
	stale       atomic.Bool // set by a timer when the counters reach MaxAge
	refreshing  atomic.Bool // a Fresh is reading counters
	readFailing bool        // the last counter read failed (log once); p.mu
	staleTimer  *time.Timer
	kick        chan struct{}     // asks Run for a full rebuild
	saveq       chan *mib.Indexes // the newest ifIndex map to save (cap 1)
	saveRetry   time.Duration     // pause after a failed save
	ready       chan struct{}     // closed at the first published snapshot
	readyOnce   sync.Once
}

// New checks cfg and returns a Poller.
func New(cfg Config) (*Poller, error) {
	if cfg.Interfaces == nil || cfg.Counters == nil || cfg.Publish == nil {
		return nil, errors.New("poller: Interfaces, Counters and Publish are required")
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = time.Second
	}
	if cfg.DetailsInterval <= 0 {
		cfg.DetailsInterval = 30 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	if cfg.FreshTimeout <= 0 {
		cfg.FreshTimeout = 500 * time.Millisecond
	}
	if cfg.Notify == nil {
		cfg.Notify = func(mib.Transition) {}
	}
	if cfg.Logger == nil {
		l := logrus.New()
		l.SetOutput(discard{})
		cfg.Logger = l
	}
	idx := cfg.Indexes
	if idx == nil {
		var err error
		if idx, err = mib.NewIndexes(nil); err != nil {
			return nil, err
		}
	}
	p := &Poller{
		cfg:       cfg,
		log:       cfg.Logger,
		idx:       idx,
		opt:       cfg.Options,
		kick:      make(chan struct{}, 1),
		saveq:     make(chan *mib.Indexes, 1),
		saveRetry: 5 * time.Second,
		ready:     make(chan struct{}),
	}
	p.stale.Store(true)
	p.staleTimer = time.AfterFunc(time.Hour, func() { p.stale.Store(true) })
	p.staleTimer.Stop()
	return p, nil
}

// Ready is closed once the first snapshot is published.
func (p *Poller) Ready() <-chan struct{} { return p.ready }

// Snapshot returns the last snapshot built (nil before the first).
func (p *Poller) Snapshot() *mib.Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.snap
}

// SetAliases replaces the ifAlias map (a vppcfg reload) and rebuilds.
func (p *Poller) SetAliases(a map[string]string) {
	p.mu.Lock()
	p.opt.Aliases = a
	p.mu.Unlock()
	p.requestFull()
}

// requestFull asks Run for a full dump and build.
func (p *Poller) requestFull() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Fresh makes sure the counters about to be served are at most MaxAge old,
// reading them first when they are not. It runs once before each request
// is answered: when the counters are fresh it costs one atomic load, and an
// idle agent reads nothing at all. It never waits on VPP's API: a read that
// finds a new stats segment (VPP restarted) leaves the rebuild to Run and
// serves the previous snapshot meanwhile.
func (p *Poller) Fresh() {
	if !p.stale.Load() || !p.refreshing.CompareAndSwap(false, true) {
		return // fresh, or another request is reading them right now
	}
	defer p.refreshing.Store(false)
	select {
	case <-p.ready:
	default:
		return // no snapshot to refresh yet: Run reads the counters with the first
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.FreshTimeout)
	defer cancel()
	start := time.Now()
	counters, segment, err := p.cfg.Counters(ctx)
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if start.Before(p.readAt) {
		return // Run published a newer read meanwhile: never go back
	}
	// After a failure, or a new segment, try again shortly rather than at
	// every request.
	retry := now.Add(-p.cfg.MaxAge + 200*time.Millisecond)
	switch {
	case err != nil:
		if !p.readFailing {
			p.log.WithError(err).Warn("reading counters; serving the previous ones")
			p.readFailing = true
		}
		p.markRead(retry)
	case segment != p.segment:
		// sw_if_index values may name other interfaces now: counters are
		// only joined with details dumped from the same VPP.
		p.markRead(retry)
		p.requestFull()
	default:
		if p.readFailing {
			p.log.Info("counters readable again")
			p.readFailing = false
		}
		p.counters, p.readAt = counters, start
		p.markRead(start) // the counters are as old as the read's start
		p.publish(p.snap.WithCounters(counters, now))
	}
}

// Run builds and publishes snapshots until ctx is done: at start, on every
// event, on Resync and every DetailsInterval. It returns nil when ctx ends.
func (p *Poller) Run(ctx context.Context) error {
	saved := make(chan struct{})
	go func() { defer close(saved); p.saver(ctx) }()
	defer func() { <-saved }()
	details := time.NewTicker(p.cfg.DetailsInterval)
	defer details.Stop()
	retry := time.NewTimer(0) // the first full build starts at once
	defer retry.Stop()
	needFull := true
	backoff := 100 * time.Millisecond
	var failingSince time.Time // first failure of the current streak
	warned := false
	for {
		select {
		case <-ctx.Done():
			p.staleTimer.Stop()
			return nil
		case <-retry.C:
		case <-details.C:
			needFull = true
		case <-p.kick:
			needFull = true
		case ev, ok := <-p.cfg.Events:
			if !ok {
				p.cfg.Events = nil // a nil channel blocks: no more events
				continue
			}
			needFull = !p.applyEvents(ctx, ev) || needFull
		}
		if !needFull {
			continue
		}
		if err := p.full(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// Once per outage, not once per retry (VPP may be away for
			// long), and not for the moments VPP takes to answer at start.
			if failingSince.IsZero() {
				failingSince = time.Now()
			}
			entry := p.log.WithError(err).WithField("retry_in", backoff)
			if !warned && time.Since(failingSince) >= 3*time.Second {
				entry.WithField("since", failingSince.Format(time.RFC3339)).
					Warn("refreshing interfaces from VPP; serving the previous snapshot until it answers")
				warned = true
			} else {
				entry.Debug("refreshing interfaces from VPP")
			}
			retry.Reset(backoff)
			backoff = min(backoff*2, 2*time.Second)
			continue
		}
		if warned {
			p.log.Info("interfaces refreshed from VPP again")
		}
		failingSince, warned = time.Time{}, false
		needFull = false
		backoff = 100 * time.Millisecond
	}
}

// saver stores every new ifIndex map, retrying a failed save every few
// seconds (an ifIndex not on disk would be lost at the next restart) and
// saying so at error level again at least once a minute while it fails, so
// that a state it cannot save does not scroll out of sight. When ctx ends
// it saves once more: what is pending, else the current map unchanged, so
// that the previous copy the file keeps beside it holds the same map and a
// file damaged while the agent is stopped costs no ifIndex.
func (p *Poller) saver(ctx context.Context) {
	if p.cfg.SaveIndexes == nil {
		return
	}
	// Logging every retry would flood the log; logging once gets lost in it.
	logEvery := min(time.Minute, 12*p.saveRetry)
	var pending *mib.Indexes
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	failures := 0
	var failingSince, loggedAt time.Time
	for {
		select {
		case <-ctx.Done():
			select {
			case pending = <-p.saveq:
			default:
			}
			if pending == nil {
				p.mu.Lock()
				pending = p.idx
				p.mu.Unlock()
			}
			if err := p.cfg.SaveIndexes(pending); err != nil {
				p.log.WithError(err).Error("saving the ifIndex map at exit; ifIndexes allocated since the last save are lost")
			}
			return
		case pending = <-p.saveq:
		case <-retry.C:
		}
		if pending == nil {
			continue
		}
		if err := p.cfg.SaveIndexes(pending); err != nil {
			now := time.Now()
			failures++
			if failures == 1 {
				failingSince = now
			}
			if failures == 1 || now.Sub(loggedAt) >= logEvery {
				p.log.WithError(err).WithFields(logrus.Fields{
					"retry_every": p.saveRetry, "failing_since": failingSince.Format(time.RFC3339), "attempts": failures,
				}).Error("saving the ifIndex map; retrying (ifIndexes allocated since the last save are lost if the agent stops)")
				loggedAt = now
			}
			retry.Reset(p.saveRetry)
			continue
		}
		if failures > 0 {
			p.log.WithField("attempts", failures+1).Info("ifIndex map saved")
			failures = 0
		}
		pending = nil
	}
}

// full dumps the interfaces, reads the counters and publishes a new build.
func (p *Poller) full(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
	defer cancel()
	ifaces, err := p.cfg.Interfaces(rctx)
	if err != nil {
		return fmt.Errorf("dumping interfaces: %w", err)
	}
	start := time.Now()
	counters, segment, cerr := p.cfg.Counters(rctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ifaces = ifaces
	switch {
	case cerr == nil && !start.Before(p.readAt):
		p.counters, p.segment, p.readAt = counters, segment, start
		p.markRead(start)
	case cerr == nil:
		// Fresh published a newer read meanwhile: keep it if it came from
		// the same segment as this dump, else let rows keep their own.
		if segment != p.segment {
			p.counters = nil
		}
	default:
		// The last counters were joined with an older dump by sw_if_index,
		// which VPP may have handed to other interfaces since: without
		// counters, Build keeps each row's previous ones by ifIndex.
		p.counters = nil
		if !p.readFailing {
			p.log.WithError(cerr).Warn("reading counters; serving the previous ones")
			p.readFailing = true
		}
	}
	p.build(time.Now())
	return nil
}

// applyEvents applies ev and every event already queued behind it, in
// order, to the last dump, and publishes one build for the lot: a burst
// (vppcfg setting a thousand sub-interfaces down) costs one build, not one
// each. An interface seen again in the burst gets a build of its own first,
// so a flapping link keeps every transition. It returns false when a full
// dump is needed: an interface created, deleted or not known yet, a bond
// member's change (a bond's speed and status follow its members' activity,
// which only a dump of the bond says), or a Resync.
func (p *Poller) applyEvents(ctx context.Context, ev Event) bool {
	select {
	case <-p.ready:
	default:
		return false // nothing built yet
	}
	// Only this goroutine writes p.ifaces, so it reads them without p.mu.
	pos := make(map[uint32]int, len(p.ifaces))
	members := make(map[uint32]bool)
	for i := range p.ifaces {
		pos[p.ifaces[i].SwIfIndex] = i
		for _, m := range p.ifaces[i].BondMembers {
			members[m.SwIfIndex] = true
		}
	}
	var work []mib.Interface // p.ifaces with this batch's changes
	touched := make(map[uint32]bool)
	flush := func() {
		if work == nil {
			return
		}
		p.mu.Lock()
		p.ifaces = work
		p.build(time.Now())
		p.mu.Unlock()
		work = nil
		clear(touched)
	}
	ok := true
	for n := 0; ; n++ {
		i, known := pos[ev.SwIfIndex]
		switch {
		case ev.Resync || ev.Deleted || !known:
			ok = false
		default:
			cur := p.ifaces
			if work != nil {
				cur = work
			}
			admin, link, sure := p.resolve(ctx, cur[i], ev)
			if !sure {
				ok = false
				break
			}
			if members[ev.SwIfIndex] {
				ok = false // even with nothing visible changed: it may have flapped
			}
			if cur[i].AdminUp == admin && cur[i].LinkUp == link {
				break
			}
			if touched[ev.SwIfIndex] {
				flush()
			}
			if work == nil {
				// Copy on write: published dumps stay as they were built.
				work = slices.Clone(p.ifaces)
			}
			work[i].AdminUp, work[i].LinkUp = admin, link
			touched[ev.SwIfIndex] = true
		}
		if n >= cap(p.cfg.Events) {
			break
		}
		next, more := p.nextEvent()
		if !more {
			break
		}
		ev = next
	}
	flush()
	return ok
}

// nextEvent returns an event already queued, without waiting.
func (p *Poller) nextEvent() (Event, bool) {
	select {
	case ev, open := <-p.cfg.Events:
		return ev, open
	default:
		return Event{}, false
	}
}

// resolve returns the admin and link state of in after ev. sure is false
// when VPP could not be asked (the caller then dumps everything).
//
// The flags name only up events (see Event), so what they leave out did
// not change, except that neither flag means something went down: on a
// sub-interface its admin state (it gets no link events); on an interface
// already admin down its link; on one whose link was down its admin state;
// on one that was up, either, and only VPP can say which: it is asked for
// that interface. Every step is applied, so a flap keeps every transition.
func (p *Poller) resolve(ctx context.Context, in mib.Interface, ev Event) (admin, link, sure bool) {
	admin, link = in.AdminUp, in.LinkUp
	switch {
	case ev.AdminUp || ev.LinkUp:
		return admin || ev.AdminUp, link || ev.LinkUp, true
	case in.Sub:
		return false, link, true
	case !in.AdminUp:
		return admin, false, true
	case !in.LinkUp:
		return false, link, true
	}
	admin, sure = p.adminState(ctx, ev.SwIfIndex) // admin down or carrier lost
	return admin, false, sure
}

// adminState asks VPP for the admin state of sw_if_index sw; ok is false
// when it cannot say (the caller then dumps everything).
func (p *Poller) adminState(ctx context.Context, sw uint32) (up, ok bool) {
	rctx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
	defer cancel()
	if p.cfg.Interface != nil {
		in, found, err := p.cfg.Interface(rctx, sw)
		return in.AdminUp, found && err == nil
	}
	ifaces, err := p.cfg.Interfaces(rctx)
	if err != nil {
		return false, false
	}
	for _, in := range ifaces {
		if in.SwIfIndex == sw {
			return in.AdminUp, true
		}
	}
	return false, false
}

// build runs mib.Build on the current inputs and publishes. p.mu is held.
func (p *Poller) build(now time.Time) {
	opt := p.opt
	opt.Segment = p.segment // a new segment (VPP restarted) is a discontinuity
	snap, idx, trans := mib.Build(p.snap, p.ifaces, p.counters, p.idx, now, opt)
	if idx != p.idx {
		p.idx = idx
		// Saved by saver, off the lock that requests may wait on; only
		// the newest map matters.
		select {
		case <-p.saveq:
		default:
		}
		p.saveq <- idx
	}
	p.publish(snap)
	for _, t := range trans {
		p.cfg.Notify(t)
	}
}

// markRead arms the timer that marks counters read at "at" stale when they
// reach MaxAge (at once if they already have). p.mu is held.
func (p *Poller) markRead(at time.Time) {
	age := time.Since(at)
	if age >= p.cfg.MaxAge {
		p.stale.Store(true)
		return
	}
	p.stale.Store(false)
	p.staleTimer.Reset(p.cfg.MaxAge - age)
}

func (p *Poller) publish(s *mib.Snapshot) {
	p.snap = s
	p.cfg.Publish(s)
	p.readyOnce.Do(func() { close(p.ready) })
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
