package poller

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/ifindex"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/mib"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// Event is an interface event from VPP, or news of the API connection.
//
// AdminUp and LinkUp are sw_interface_event's flags, which name the events
// that happened, not the state: VPP sets ADMIN_UP only if an admin-up event
// happened since its link-state process last ran, LINK_UP only if a
// link-up event did (interface_api.c, send_sw_interface_event). A carrier
// loss on an admin-up port comes as neither, a carrier return as LinkUp
// alone, a sub-interface's admin change as AdminUp or neither.
type Event struct {
	// Conn is the API connection the event came on (Dump.Conn): an event of
	// another connection than the last dump's is not applied, since its
	// sw_if_index may name another interface there.
	Conn      uint64
	Resync    bool // VPP (re)connected or events were lost: dump again
	Down      bool // the API connection was lost (closed, refused, or silent)
	SwIfIndex uint32
	AdminUp   bool
	LinkUp    bool
	Deleted   bool
	// Check asks VPP for the interface whatever the flags (the poller's
	// own: /if/names changed at this sw_if_index).
	Check bool
}

// Dump is one full interface dump and the API connection it came from.
type Dump struct {
	Interfaces []model.Interface
	Conn       uint64
}

// Stats is one read of VPP's stats segment.
type Stats struct {
	// Counters are indexed by sw_if_index.
	Counters []model.Counters
	// Names is /if/names, indexed by sw_if_index: what VPP's stats say
	// exists, read without VPP's main thread. A slot of a deleted
	// interface is empty or "deleted". nil when not known.
	Names []string
	// Segment identifies the segment read: it changes when VPP restarts.
	Segment uint64
	// Apply, when set, stands for Counters: the reader holds the segment
	// and Apply calls fn with a function that sets one sw_if_index's
	// counters from it in place (no array of every interface's counters
	// in between), then lets the reader go; it fails when the values were
	// not consistent. The poller calls it exactly once, also when it does
	// not use the counters.
	Apply func(fn func(fill func(sw uint32, c *model.Counters) bool)) error
}

// release lets the reader go when st's counters are not used.
func (st Stats) release() {
	if st.Apply != nil {
		_ = st.Apply(func(func(uint32, *model.Counters) bool) {})
	}
}

// into returns snap with st's counters (snap itself when they could not be
// read consistently).
func (st Stats) into(snap *mib.Snapshot, now time.Time) (*mib.Snapshot, error) {
	if st.Apply == nil {
		return snap.WithCounters(st.Counters, now), nil
	}
	out := snap
	err := st.Apply(func(fill func(uint32, *model.Counters) bool) {
		out = snap.WithCountersFunc(fill, now)
	})
	if err != nil {
		return snap, err
	}
	return out, nil
}

// ErrStatsGone is wrapped by Config.Counters' error when there is no stats
// segment at all (VPP's stats socket is missing or dead), as against one
// that is busy or slow: only the former, with the API connection lost too,
// means VPP is gone.
var ErrStatsGone = errors.New("the stats segment is gone")

// Config wires a Poller to its sources and sinks.
type Config struct {
	// Interfaces dumps VPP's interfaces, saying on which API connection.
	Interfaces func(context.Context) (Dump, error)
	// Interface, when set, dumps one interface on connection conn (found
	// false when VPP has none; an error when conn is not the current
	// connection): an event that leaves its state in doubt asks it rather
	// than dumping everything.
	Interface func(ctx context.Context, conn uint64, sw uint32) (in model.Interface, found bool, err error)
	// Counters reads the stats segment, into reuse's storage when it is
	// large enough: the counters of an earlier read that the poller no
	// longer uses (nil when there is none), so that a read every second
	// does not allocate a new copy of every counter.
	Counters func(ctx context.Context, reuse []model.Counters) (Stats, error)
	// Events delivers VPP's interface events; nil when there are none.
	Events <-chan Event
	// Publish makes a snapshot the one served (agentx.Session.SetTree).
	Publish func(agentx.Tree)
	// Notify receives every oper state change, in order. It must not block
	// (see Notifier).
	Notify func(mib.Transition)
	// Indexes is the persistent ifIndex map at start; SaveIndexes stores it
	// whenever a new interface got an ifIndex.
	Indexes     *ifindex.Registry
	SaveIndexes func(*ifindex.Registry) error
	// Options for mib.Build (Clock, LCPNames, Aliases); SetAliases changes
	// the aliases later.
	Options mib.Options
	// MaxAge is the oldest a counter value may be when served (default 1 s):
	// counters are read in the background that often, never on a request's
	// path. DetailsInterval is the period of the full interface dump
	// (default 10 minutes): events and /if/names show what changes, and
	// the dump catches what they do not carry (MTU, MAC, tag, speed).
	MaxAge          time.Duration
	DetailsInterval time.Duration
	// DownAfter is how long the API connection must be lost and the stats
	// segment gone before every interface reads down (default 5 s: longer
	// than a quick VPP restart). A VPP that is slow but there (its stats
	// segment readable) keeps its states: its workers still forward.
	DownAfter time.Duration
	// RequestTimeout bounds every call to VPP (default 5 s).
	RequestTimeout time.Duration
	Logger         logrus.FieldLogger
	// Observer, when set, is told what the poller does (metrics).
	Observer Observer
	// IP, when set, feeds the MIB modules other than IF-MIB (ip.go).
	IP IPConfig
}

// Source names a data source of the poller, for Observer.
type Source string

const (
	SourceInterfaces Source = "interfaces" // the binary API's interface dump
	SourceStats      Source = "stats"      // the stats segment
	SourceAddresses  Source = "addresses"  // ip_address_dump, a sweep or the interfaces a change hints at
	SourceNeighbors  Source = "neighbors"  // ip_neighbor_dump, of all or of one interface
)

// ErrShortDump is what Observer.Refreshed is told of a dump that lacked
// interfaces the stats segment names.
var ErrShortDump = errors.New("the interface dump came back short")

// Observer is told what the poller does. Its methods must be quick and must
// not block: most are called with the poller's lock held.
type Observer interface {
	// Refreshed: a read of source took took and failed with err (nil: it
	// succeeded).
	Refreshed(source Source, took time.Duration, err error)
	// Published: a snapshot of rows interfaces was published (a build, a
	// patch, a counter read or new IP sources), kept of them
	// rows that the last dump lacked (fade-out), vppDown when every row is
	// served down because VPP is gone.
	Published(rows, kept int, vppDown bool)
	// Event: an event from VPP was received.
	Event()
}

// nopObserver is the Observer of a Poller without one.
type nopObserver struct{}

func (nopObserver) Refreshed(Source, time.Duration, error) {}
func (nopObserver) Published(int, int, bool)               {}
func (nopObserver) Event()                                 {}

// Poller produces snapshots. Create it with New, run it with Run.
type Poller struct {
	cfg Config
	log logrus.FieldLogger

	// mu serialises snapshot production: the Run loop and the counter
	// reader both build from the last snapshot. Readers never take it.
	mu     sync.Mutex
	snap   *mib.Snapshot
	ifaces []model.Interface // the last dump, with the rows kept by fade-out
	conn   uint64            // the API connection ifaces came from
	// counters are the read a full build joins with its dump, nil the rest
	// of the time: the snapshot holds what is served, and a build without
	// counters keeps each row's. spare is a read's storage free for the
	// next read.
	counters []model.Counters
	spare    []model.Counters
	pending  *Stats   // a full build's read held in place (Stats.Apply), for build
	names    []string // /if/names of the last read; nil when unknown
	segment  uint64
	idx      *ifindex.Registry
	opt      mib.Options
	kept     int // rows of ifaces the last dump lacked
	// optChanged: opt changed since the last build (SetAliases), so the
	// next full dump builds even if the interfaces did not change.
	optChanged bool
	builds     int       // builds and patches published, for tests
	vppDown    bool      // every row served down: VPP is gone
	goneAt     time.Time // when the stats segment was first found gone; zero while there

	readAt      time.Time              // when the published counters' read began; p.mu
	readFailing bool                   // the last counter read failed (log once); p.mu
	kick        chan struct{}          // asks Run for a full rebuild
	saveq       chan *ifindex.Registry // the newest ifIndex map to save (cap 1)
	saveRetry   time.Duration          // pause after a failed save
	ready       chan struct{}          // closed at the first published snapshot
	readyOnce   sync.Once

	// Fade-out, owned by Run: a row leaves only on a delete event, or when
	// two complete dumps in a row and /if/names agree it is gone.
	deleted map[string]bool // names VPP said it deleted, until a dump confirms
	absent  map[string]int  // name -> complete dumps in a row without it

	// Owned by Run: position+1 in ifaces by sw_if_index (nil: to make
	// again), and the sw_if_index of every bond member.
	pos     []int32
	members map[uint32]bool
	// hints carries sw_if_index values whose /if/names entry changed, from
	// the counter reads to Run (cap 1; a sender merges with what waits).
	hints chan []uint32

	ip ipState
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
		cfg.DetailsInterval = 10 * time.Minute
	}
	if cfg.DownAfter <= 0 {
		cfg.DownAfter = 5 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	if cfg.Notify == nil {
		cfg.Notify = func(mib.Transition) {}
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.Logger == nil {
		l := logrus.New()
		l.SetOutput(discard{})
		cfg.Logger = l
	}
	idx := cfg.Indexes
	if idx == nil {
		var err error
		if idx, err = ifindex.New(nil); err != nil {
			return nil, err
		}
	}
	return &Poller{
		cfg:       cfg,
		log:       cfg.Logger,
		idx:       idx,
		opt:       cfg.Options,
		kick:      make(chan struct{}, 1),
		saveq:     make(chan *ifindex.Registry, 1),
		saveRetry: 5 * time.Second,
		ready:     make(chan struct{}),
		deleted:   make(map[string]bool),
		absent:    make(map[string]int),
		hints:     make(chan []uint32, 1),
		ip:        ipState{kick: make(chan struct{}, 1), wake: make(chan struct{}, 1)},
	}, nil
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
	p.optChanged = true // every row's ifAlias may differ: no dump says so
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

// readCounters keeps the served counters at most MaxAge old, off the
// request path: a read's values are as old as its start, so the next read
// starts MaxAge after this one's start, less what a read takes. A failed
// read is retried with a backoff that doubles up to MaxAge, so a busy or
// missing stats segment costs little, and fresh counters are served again
// within MaxAge of it coming back.
func (p *Poller) readCounters(ctx context.Context) {
	select {
	case <-p.ready: // Run reads the counters with the first build
	case <-ctx.Done():
		return
	}
	const firstBackoff = 10 * time.Millisecond
	backoff := firstBackoff
	t := time.NewTimer(p.cfg.MaxAge / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
		start := time.Now()
		st, err := p.cfg.Counters(rctx, p.takeSpare())
		cancel()
		took := time.Since(start)
		if ctx.Err() != nil {
			return
		}
		p.mu.Lock()
		p.cfg.Observer.Refreshed(SourceStats, took, err)
		p.applyRead(start, st, err)
		p.spare = st.Counters
		p.mu.Unlock()
		if err != nil {
			t.Reset(backoff)
			backoff = min(2*backoff, p.cfg.MaxAge)
			continue
		}
		backoff = firstBackoff
		// Served from the end of the next read until the end of the one
		// after: start the next one early enough, allowing it twice this
		// one's time.
		t.Reset(max(p.cfg.MaxAge-3*took, p.cfg.MaxAge/4))
	}
}

// applyRead publishes a counter read begun at start. p.mu is held.
func (p *Poller) applyRead(start time.Time, st Stats, err error) {
	switch {
	case err != nil:
		if errors.Is(err, ErrStatsGone) {
			if p.goneAt.IsZero() {
				p.goneAt = time.Now()
			}
		} else {
			p.goneAt = time.Time{} // busy or slow, but there
		}
		if !p.readFailing {
			p.log.WithError(err).Warn("reading counters; serving the previous ones")
			p.readFailing = true
		}
		return
	case st.Segment != p.segment:
		// sw_if_index values may name other interfaces now: counters are
		// only joined with details dumped from the same VPP.
		st.release()
		p.goneAt = time.Time{}
		p.requestFull()
		return
	}
	p.goneAt = time.Time{}
	if p.readFailing {
		p.log.Info("counters readable again")
		p.readFailing = false
	}
	p.hint(namesDiff(p.names, st.Names))
	p.names = st.Names
	if start.Before(p.readAt) {
		st.release()
		return // Run published a newer read meanwhile: never go back
	}
	snap, err := st.into(p.snap, time.Now())
	if err != nil {
		p.log.WithError(err).Debug("counters changed under the read; reading again at the next poll")
		return
	}
	p.readAt = start
	p.publish(snap)
}

// takeSpare returns storage for the next counter read, if any is free.
func (p *Poller) takeSpare() []model.Counters {
	p.mu.Lock()
	defer p.mu.Unlock()
	buf := p.spare
	p.spare = nil
	return buf
}

// namesDiff returns the sw_if_index values at which cur differs from old;
// none when old is unknown.
func namesDiff(old, cur []string) []uint32 {
	if old == nil || cur == nil || (len(old) == len(cur) && (len(cur) == 0 || &old[0] == &cur[0])) {
		return nil // the reader hands the same slice back while nothing changed
	}
	var sws []uint32
	for i := range max(len(old), len(cur)) {
		var o, c string
		if i < len(old) {
			o = old[i]
		}
		if i < len(cur) {
			c = cur[i]
		}
		if o != c {
			sws = append(sws, uint32(i))
		}
	}
	return sws
}

// hint hands Run the sw_if_index values whose names changed. p.mu is held.
func (p *Poller) hint(sws []uint32) {
	if len(sws) == 0 {
		return
	}
	select {
	case waiting := <-p.hints:
		sws = append(waiting, sws...)
	default:
	}
	p.hints <- sws
}

// checksFor turns hinted sw_if_index values into Check events, leaving out
// those where the rows already agree with the names last read: an event
// said it first. Run's goroutine only.
func (p *Poller) checksFor(sws []uint32) []Event {
	p.mu.Lock()
	names := p.names
	p.mu.Unlock()
	p.indexIfaces()
	var evs []Event
	for _, sw := range sws {
		name := ""
		if int(sw) < len(names) {
			name = names[sw]
		}
		i, known := p.posOf(sw)
		if known && p.ifaces[i].Name == name || !known && (name == "" || name == "deleted") {
			continue
		}
		evs = append(evs, Event{Conn: p.conn, SwIfIndex: sw, Check: true})
	}
	return evs
}

// Run builds and publishes snapshots until ctx is done: at start, on every
// event, on Resync and every DetailsInterval; it reads the counters in the
// background and serves every row down once VPP has been gone for
// DownAfter. It returns nil when ctx ends.
func (p *Poller) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(3)
	go func() { defer wg.Done(); p.saver(ctx) }()
	go func() { defer wg.Done(); p.readCounters(ctx) }()
	go func() { defer wg.Done(); p.ipLoop(ctx) }()
	details := time.NewTicker(p.cfg.DetailsInterval)
	defer details.Stop()
	retry := time.NewTimer(0) // the first full build starts at once
	defer retry.Stop()
	waiting := true // retry is armed: no full dump before it fires
	downCheck := time.NewTimer(time.Hour)
	downCheck.Stop()
	defer downCheck.Stop()
	var (
		apiLost      time.Time // when the API connection was lost; zero while up
		needFull     = true
		backoff      = firstRetry
		failingSince time.Time // first failure of the current streak
		warned       bool
		pending      *Event // where the last burst of events stopped
		fade         fadeLog
	)
	for {
		var ev Event
		var checks []Event // from /if/names
		have := false
		if pending != nil {
			ev, have, pending = *pending, true, nil
		} else {
			select {
			case <-ctx.Done():
				return nil
			case <-retry.C:
				waiting = false
			case <-details.C:
				needFull = true
			case <-p.kick:
				needFull = true
			case <-downCheck.C:
				if !apiLost.IsZero() && !p.checkDown(apiLost) {
					downCheck.Reset(downPoll)
				}
			case sws := <-p.hints:
				checks = p.checksFor(sws)
			case e, ok := <-p.cfg.Events:
				if !ok {
					p.cfg.Events = nil // a nil channel blocks: no more events
					continue
				}
				ev, have = e, true
			}
		}
		if have {
			p.cfg.Observer.Event()
			switch {
			case ev.Down:
				if apiLost.IsZero() {
					apiLost = time.Now()
					downCheck.Reset(p.cfg.DownAfter)
				}
			case ev.Resync:
				// A new connection is worth a dump at once, whatever the
				// backoff of the failures while there was none.
				needFull, waiting, backoff = true, false, firstRetry
				apiLost = time.Time{}
				downCheck.Stop()
			case ev.Conn != p.conn:
				// Another connection's event: a newer one's waits for (is
				// answered by) the dump its Resync asked for; an older one's
				// is stale.
				needFull = needFull || ev.Conn > p.conn
			default:
				// Applied even with a dump due: a short dump may lack the
				// interface, whose row then keeps what this event says.
				var ok bool
				ok, pending = p.applyEvents(ctx, ev)
				needFull = needFull || !ok
			}
		}
		if len(checks) > 0 && !needFull && apiLost.IsZero() {
			var ok bool
			ok, pending = p.applyEvents(ctx, checks...)
			needFull = !ok
		}
		if !needFull || waiting {
			continue
		}
		res, err := p.full(ctx)
		if err != nil {
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
			waiting = true
			backoff = min(backoff*2, 2*time.Second)
			continue
		}
		if warned {
			p.log.Info("interfaces refreshed from VPP again")
		}
		failingSince, warned = time.Time{}, false
		needFull = false
		backoff = firstRetry
		if again, ok := fade.after(p.log, res, p.cfg.DetailsInterval); ok {
			// Rows kept from an earlier dump: dump again soon, to fill
			// them in or to confirm they are gone.
			needFull = true
			retry.Reset(again)
			waiting = true
		}
	}
}

const (
	// eventSettle is how long the first event of a burst waits for the
	// rest: well within the second a change may take to show.
	eventSettle = 50 * time.Millisecond
	// firstRetry is the first pause after a failed full dump; it doubles
	// up to 2 s.
	firstRetry = 100 * time.Millisecond
	// downPoll is how often, once the API connection is lost, the stats
	// segment's absence is checked for VPP being gone.
	downPoll = 250 * time.Millisecond
)

// fullResult says what a full dump left in doubt.
type fullResult struct {
	dumped int // interfaces in the dump
	short  int // named in the stats segment but missing from the dump
	fading int // missing from the dump and the segment, not yet confirmed gone
}

// fadeLog paces the dumps that follow a short one and logs a streak of
// them once.
type fadeLog struct {
	pause  time.Duration
	warned bool
}

// after returns when to dump again after res (ok false: no hurry), logging
// the first short dump of a streak and the streak's end.
func (f *fadeLog) after(log logrus.FieldLogger, res fullResult, most time.Duration) (time.Duration, bool) {
	if res.short == 0 && res.fading == 0 {
		if f.warned {
			log.WithField("interfaces", res.dumped).Info("interface dump complete again")
		}
		*f = fadeLog{}
		return 0, false
	}
	f.pause = min(max(2*f.pause, firstRetry), most)
	entry := log.WithFields(logrus.Fields{"missing": res.short, "dumped": res.dumped, "unconfirmed": res.fading, "retry_in": f.pause})
	if res.short > 0 && !f.warned {
		entry.Warn("interface dump came back short of what the stats segment names; keeping the missing interfaces' last details and dumping again")
		f.warned = true
	} else {
		entry.Debug("interfaces to confirm; dumping again")
	}
	return f.pause, true
}

// checkDown serves every row down when the API connection has been lost
// since apiLost and the stats segment gone, both for DownAfter, and says
// whether VPP is down (so no further check is needed).
func (p *Poller) checkDown(apiLost time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.vppDown {
		return true
	}
	if p.goneAt.IsZero() || p.snap == nil {
		return false // the stats segment is there: VPP is slow, not gone
	}
	since := apiLost
	if p.goneAt.After(since) {
		since = p.goneAt
	}
	if time.Since(since) < p.cfg.DownAfter {
		return false
	}
	p.log.WithFields(logrus.Fields{"api_lost": apiLost.Format(time.RFC3339), "stats_gone": p.goneAt.Format(time.RFC3339)}).
		Warn("VPP is gone (API connection lost, no stats segment): serving every interface down until it is back")
	p.vppDown = true
	p.build(time.Now(), nil)
	return true
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
	var pending *ifindex.Registry
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
func (p *Poller) full(ctx context.Context) (fullResult, error) {
	rctx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
	defer cancel()
	start := time.Now()
	dump, err := p.cfg.Interfaces(rctx)
	dumpTook := time.Since(start)
	if err != nil {
		p.mu.Lock()
		p.cfg.Observer.Refreshed(SourceInterfaces, dumpTook, err)
		p.mu.Unlock()
		return fullResult{}, fmt.Errorf("dumping interfaces: %w", err)
	}
	start = time.Now()
	st, cerr := p.cfg.Counters(rctx, p.takeSpare())
	p.mu.Lock()
	defer p.mu.Unlock()
	prevSegment := p.segment
	held := cerr == nil && st.Apply != nil // the reader waits for Apply
	defer func() {
		// The snapshot holds the counters now: the read's storage is free.
		p.counters, p.spare, p.pending = nil, st.Counters, nil
		if held {
			st.release()
		}
	}()
	p.cfg.Observer.Refreshed(SourceStats, time.Since(start), cerr)
	var names []string // what the stats segment says exists, when read
	switch {
	case cerr == nil && (st.Segment != p.segment || !start.Before(p.readAt)):
		p.segment, p.readAt = st.Segment, start
		if st.Apply != nil {
			p.pending, held = &st, false // build applies it
		} else {
			p.counters = st.Counters
		}
		p.names, names = st.Names, st.Names
		p.goneAt = time.Time{}
	case cerr == nil:
		// A newer read of the same segment was published meanwhile: keep
		// its counters; the names of this one fit the dump as well.
		names = st.Names
	default:
		// The last counters were joined with an older dump by sw_if_index,
		// which VPP may have handed to other interfaces since: without
		// counters, Build keeps each row's previous ones by ifIndex.
		if !p.readFailing {
			p.log.WithError(cerr).Warn("reading counters; serving the previous ones")
			p.readFailing = true
		}
	}
	shareNames(dump.Interfaces, names)
	var res fullResult
	prev, wasDown := p.ifaces, p.vppDown
	p.ifaces, res = p.reconcile(dump.Interfaces, names)
	p.kept = len(p.ifaces) - len(dump.Interfaces)
	var short error
	if res.short > 0 {
		short = ErrShortDump
	}
	p.cfg.Observer.Refreshed(SourceInterfaces, dumpTook, short)
	prevConn := p.conn
	if dump.Conn != p.conn {
		p.forgetSources()
	}
	p.conn = dump.Conn
	if p.vppDown {
		p.log.WithField("interfaces", len(dump.Interfaces)).Info("VPP is back: serving its interfaces' states again")
		p.vppDown = false
	}
	p.pos = nil // p.ifaces is new
	if dump.Conn == prevConn && !wasDown && p.segment == prevSegment && p.snap != nil && !p.optChanged {
		changed := p.dumpChanges(prev, p.ifaces)
		if changed != nil && len(changed) == 0 {
			// The periodic dump of a router at rest: no build, only the
			// counters read with it, and the present names recorded seen
			// (ifIndex forget-after).
			now := time.Now()
			p.touchNames(now)
			snap, err := p.snap, error(nil)
			switch {
			case p.pending != nil:
				snap, err = p.pending.into(snap, now)
				p.pending = nil
			case p.counters != nil:
				snap = snap.WithCounters(p.counters, now)
			}
			if err == nil && snap != p.snap {
				p.publish(snap)
			}
			return res, nil
		}
		p.build(time.Now(), changed)
		return res, nil
	}
	p.optChanged = false
	p.build(time.Now(), nil)
	return res, nil
}

// dumpChanges returns the names whose rows a full dump changed, from prev
// (the interfaces before it) to p.ifaces, and hints at each one's
// addresses; nil when there are more than a patch takes (mib.Patch).
// p.mu is held.
func (p *Poller) dumpChanges(prev, cur []model.Interface) map[string]bool {
	at := make(map[uint32]int, 0)
	dense := make([]int32, 0)
	for i := range prev {
		if sw := prev[i].SwIfIndex; sw < maxDenseSw {
			if int(sw) >= len(dense) {
				dense = append(dense, make([]int32, int(sw)+1-len(dense))...)
			}
			dense[sw] = int32(i) + 1
		} else {
			at[sw] = i
		}
	}
	find := func(sw uint32) (int, bool) {
		if sw < maxDenseSw {
			if int(sw) < len(dense) && dense[sw] > 0 {
				return int(dense[sw]) - 1, true
			}
			return 0, false
		}
		i, ok := at[sw]
		return i, ok
	}
	changed := make(map[string]bool)
	matched := make([]bool, len(prev))
	var hints []uint32
	for i := range cur {
		in := &cur[i]
		j, ok := find(in.SwIfIndex)
		if ok && prev[j].Name == in.Name {
			matched[j] = true
			if sameInterface(&prev[j], in) {
				continue
			}
		}
		changed[in.Name] = true
		hints = append(hints, in.SwIfIndex)
		if len(changed) > maxChanges {
			return nil
		}
	}
	for j := range prev {
		if !matched[j] {
			changed[prev[j].Name] = true
			p.addressHint(prev[j].SwIfIndex, true)
		}
		if len(changed) > maxChanges {
			return nil
		}
	}
	for _, sw := range hints {
		p.addressHint(sw, false)
	}
	return changed
}

// maxChanges is the most changed rows a full dump patches the last
// snapshot with (beyond, mib.Patch declines anyway).
const maxChanges = 256

// touchNames records the present names seen (ifindex.Registry.Assign does
// it only when due), saving the map when that changed it. p.mu is held.
func (p *Poller) touchNames(now time.Time) {
	names := make([]string, len(p.ifaces))
	sws := make([]uint32, len(p.ifaces))
	for i := range p.ifaces {
		names[i], sws[i] = p.ifaces[i].Name, p.ifaces[i].SwIfIndex
	}
	if _, idx := p.idx.Assign(names, sws, now); idx != p.idx {
		p.idx = idx
		p.queueSave(idx)
	}
}

// shareNames makes each interface's name the very string /if/names holds
// for its sw_if_index where the two are equal: the dump's copy is then
// garbage, and the ifIndex map, which keys by the names it is given, shares
// it too. At 100,000 interfaces each copy of the names is about 5 MB.
func shareNames(ifaces []model.Interface, names []string) {
	for i := range ifaces {
		in := &ifaces[i]
		if int(in.SwIfIndex) < len(names) && names[in.SwIfIndex] == in.Name {
			in.Name = names[in.SwIfIndex]
		}
	}
}

// dumpedNames returns whether dump has an interface of a name, looked up
// first at the sw_if_index it is expected at: a map of every name of a
// large router, made at every full dump, was most of what one allocated
// beyond the dump itself; it is made only when a name is not where
// expected.
func dumpedNames(dump []model.Interface) func(name string, sw uint32) bool {
	var hi uint32
	for i := range dump {
		hi = max(hi, dump[i].SwIfIndex)
	}
	var at []string // name by sw_if_index
	if uint64(hi) < 4*uint64(len(dump))+1024 {
		at = make([]string, hi+1)
		for i := range dump {
			at[dump[i].SwIfIndex] = dump[i].Name
		}
	}
	var byName map[string]bool
	return func(name string, sw uint32) bool {
		if int(sw) < len(at) && at[sw] == name && name != "" {
			return true
		}
		if byName == nil {
			byName = make(map[string]bool, len(dump))
			for i := range dump {
				byName[dump[i].Name] = true
			}
		}
		return byName[name]
	}
}

// detachedSwIfIndex is the first of the sw_if_index values given to rows
// kept while VPP no longer names them: high enough that no counter and no
// event reaches them (VPP allocates sw_if_index from 0, densely).
const detachedSwIfIndex = ^uint32(0)

// reconcile returns the interfaces to build: dump's, and the previous
// dump's rows that a single dump is not allowed to delete (net-snmp's
// "fade out, never drop"). An interface missing from dump is dropped when
// VPP said it deleted it, or when two dumps in a row lack it and
// /if/names (names, read without VPP's main thread, so never short) does
// not name it either; until then it keeps its last details. A dump short
// of what names lists does not stop that: the two sources agreeing on one
// interface is what counts. With names nil (the stats segment unreadable)
// nothing is dropped but what VPP said it deleted. Run's goroutine only;
// p.mu is held.
func (p *Poller) reconcile(dump []model.Interface, names []string) ([]model.Interface, fullResult) {
	res := fullResult{dumped: len(dump)}
	inDump := dumpedNames(dump)
	for i, n := range names {
		if n != "" && n != "deleted" && !inDump(n, uint32(i)) {
			res.short++
		}
	}
	var (
		bySegment map[string]uint32 // names inverted, made when first needed
		dumpedSw  map[uint32]bool
		detached  = detachedSwIfIndex
	)
	out := dump
	for _, in := range p.ifaces {
		if inDump(in.Name, in.SwIfIndex) {
			delete(p.absent, in.Name)
			continue
		}
		if p.deleted[in.Name] {
			delete(p.deleted, in.Name)
			delete(p.absent, in.Name)
			continue // VPP said so
		}
		sw, named := uint32(0), false
		if names != nil {
			if int(in.SwIfIndex) < len(names) && names[in.SwIfIndex] == in.Name {
				sw, named = in.SwIfIndex, true
			} else {
				if bySegment == nil {
					bySegment = make(map[string]uint32, len(names))
					for i, n := range names {
						bySegment[n] = uint32(i)
					}
				}
				sw, named = bySegment[in.Name]
			}
		}
		if named {
			if dumpedSw == nil {
				dumpedSw = make(map[uint32]bool, len(dump))
				for i := range dump {
					dumpedSw[dump[i].SwIfIndex] = true
				}
			}
			named = !dumpedSw[sw] // else the segment is older than the dump
		}
		if !named {
			if names != nil {
				p.absent[in.Name]++
			}
			if p.absent[in.Name] >= 2 {
				delete(p.absent, in.Name)
				continue // gone: two complete dumps and the segment agree
			}
			res.fading++
			sw = detached
			detached--
		}
		// Kept with its last details, at the sw_if_index the segment gives
		// it now (its counters stay live), or detached from any.
		kept := in
		if !kept.Sub {
			kept.SupSwIfIndex = sw
		}
		kept.SwIfIndex = sw
		out = append(out, kept)
	}
	// The deletions VPP announced are settled by this dump either way.
	clear(p.deleted)
	return out, res
}

// applyEvents applies evs and every event already queued behind them, in
// order, to the interfaces, and publishes one build for the lot: a burst
// (vppcfg setting a thousand sub-interfaces down) costs one build, not one
// each. An interface seen again in the burst gets a build of its own first,
// so a flapping link keeps every transition. An interface created, renamed
// or not known yet is asked of VPP alone (one details message, not a dump
// of the router); a deleted one leaves at once. It returns false when a
// full dump is needed: a bond or a bond member changed (a bond's speed and
// status follow its members' activity, which only a dump of the bond
// says), an interface appeared that a single details message cannot
// describe (a bond, a linux-cp tap), or VPP could not be asked. An event
// that is not an interface event of the same connection ends the burst and
// is returned for Run to handle.
func (p *Poller) applyEvents(ctx context.Context, evs ...Event) (ok bool, next *Event) {
	select {
	case <-p.ready:
	default:
		return false, nil // nothing built yet
	}
	// Let the burst gather first: VPP sends related events moments apart
	// (an interface created, then set up; a short-lived one created, then
	// deleted), and one patch for them all costs what one costs alone.
	settle := time.NewTimer(eventSettle)
	select {
	case <-settle.C:
	case <-ctx.Done():
		settle.Stop()
		return true, nil
	}
	// Only this goroutine writes p.ifaces; it does so under p.mu, so that
	// a build elsewhere never sees half a change.
	p.indexIfaces()
	changed := make(map[string]bool) // names whose rows changed since the last build
	flush := func() {
		if len(changed) == 0 {
			return
		}
		p.mu.Lock()
		p.build(time.Now(), changed)
		p.mu.Unlock()
		clear(changed)
	}
	ok = true
	ev := evs[0]
	evs = evs[1:]
	for n := 0; ; n++ {
		i, known := p.posOf(ev.SwIfIndex)
		switch {
		case known && p.members[ev.SwIfIndex], known && len(p.ifaces[i].BondMembers()) > 0:
			// even with nothing visible changed: it may have flapped
			p.noteDeleted(ev)
			ok = false
		case ev.Deleted:
			if known {
				if changed[p.ifaces[i].Name] {
					flush()
				}
				changed[p.ifaces[i].Name] = true
				p.removeIface(i)
				p.addressHint(ev.SwIfIndex, true)
			}
		case !known || ev.Check:
			if !p.refreshOne(ctx, ev.SwIfIndex, changed, flush) {
				ok = false
			}
		default:
			in := &p.ifaces[i]
			admin, link, sure := p.resolve(ctx, *in, ev)
			if !sure {
				ok = false
				break
			}
			if in.AdminUp == admin && in.LinkUp == link {
				break
			}
			if changed[in.Name] {
				flush()
			}
			if in.AdminUp != admin {
				// addresses are often set just before an interface is
				// set up, and VPP says nothing of them
				p.addressHint(in.SwIfIndex, false)
			}
			p.mu.Lock()
			in.AdminUp, in.LinkUp = admin, link
			p.mu.Unlock()
			changed[in.Name] = true
		}
		if len(evs) > 0 {
			ev, evs = evs[0], evs[1:]
			continue
		}
		if n >= cap(p.cfg.Events) {
			break
		}
		e, more := p.nextEvent()
		if !more {
			break
		}
		if e.Down || e.Resync || e.Conn != p.conn {
			next = &e
			break
		}
		ev = e
	}
	flush()
	return ok, next
}

// refreshOne asks VPP for sw_if_index sw alone and puts what it says in
// place of what p.ifaces holds for it (or for its name): added, replaced or
// removed. It returns false when a full dump is needed instead. Run's
// goroutine only.
func (p *Poller) refreshOne(ctx context.Context, sw uint32, changed map[string]bool, flush func()) bool {
	if p.cfg.Interface == nil {
		return false
	}
	rctx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
	in, found, err := p.cfg.Interface(rctx, p.conn, sw)
	cancel()
	if err != nil {
		return false
	}
	p.mu.Lock()
	if int(in.SwIfIndex) < len(p.names) && p.names[in.SwIfIndex] == in.Name {
		in.Name = p.names[in.SwIfIndex] // stored once (shareNames)
	}
	p.mu.Unlock()
	i, known := p.posOf(sw)
	if !found {
		if known { // gone already: its delete event may follow
			if changed[p.ifaces[i].Name] {
				flush()
			}
			changed[p.ifaces[i].Name] = true
			p.removeIface(i)
			p.addressHint(sw, true)
		}
		return true
	}
	// Whatever it is now, its addresses may be new too.
	defer p.addressHint(sw, false)
	if strings.EqualFold(in.DevType, "bond") || isTap(in.Name) {
		// A bond's members and a linux-cp tap's pair come only with a
		// full dump.
		return false
	}
	if known && p.ifaces[i].Name == in.Name {
		old := &p.ifaces[i]
		// What one details message does not say (bond members, the
		// linux-cp pair) stays as the last full dump said it.
		e := old.Extra()
		e.Tag = in.Tag()
		in.SetExtra(e)
		if sameInterface(old, &in) {
			return true
		}
		if changed[in.Name] {
			flush()
		}
		changed[in.Name] = true
		p.mu.Lock()
		*old = in
		p.mu.Unlock()
		return true
	}
	if known { // the index names another interface now
		if changed[p.ifaces[i].Name] {
			flush()
		}
		changed[p.ifaces[i].Name] = true
		p.removeIface(i)
	}
	// A row of the same name elsewhere (kept by fade-out at a detached
	// index) is replaced.
	if j := slices.IndexFunc(p.ifaces, func(x model.Interface) bool { return x.Name == in.Name }); j >= 0 {
		if changed[in.Name] {
			flush()
		}
		p.removeIface(j)
	}
	if changed[in.Name] {
		// Deleted earlier in this burst and created again: a build
		// between, so that it comes back as a new row (its counters
		// started again: ifCounterDiscontinuityTime).
		flush()
	}
	changed[in.Name] = true
	p.mu.Lock()
	p.ifaces = append(p.ifaces, in)
	p.mu.Unlock()
	p.setPos(in.SwIfIndex, len(p.ifaces)-1)
	return true
}

// sameInterface reports whether a and b say the same of an interface.
// DeepEqual follows the pointer to their extras (model.Extra).
func sameInterface(a, b *model.Interface) bool {
	return reflect.DeepEqual(*a, *b)
}

// isTap tells VPP's taps (linux-cp's host side among them) by name, as mib
// does.
func isTap(name string) bool {
	return len(name) >= 3 && (strings.EqualFold(name[:3], "tap") || strings.EqualFold(name[:3], "tun"))
}

// indexIfaces makes p.pos and p.members describe p.ifaces, unless they
// already do. Run's goroutine only.
func (p *Poller) indexIfaces() {
	if p.pos != nil {
		return
	}
	p.pos = make([]int32, 0, len(p.ifaces))
	p.members = make(map[uint32]bool)
	for i := range p.ifaces {
		p.setPos(p.ifaces[i].SwIfIndex, i)
		for _, m := range p.ifaces[i].BondMembers() {
			p.members[m.SwIfIndex] = true
		}
	}
}

// maxDenseSw bounds p.pos: VPP allocates sw_if_index densely from 0, and
// the rows kept at detached indexes (near 2^32) get no events.
const maxDenseSw = 1 << 24

// posOf returns the position in p.ifaces of sw_if_index sw.
func (p *Poller) posOf(sw uint32) (int, bool) {
	if int(sw) >= len(p.pos) || p.pos[sw] == 0 {
		return 0, false
	}
	return int(p.pos[sw]) - 1, true
}

func (p *Poller) setPos(sw uint32, i int) {
	if sw >= maxDenseSw {
		return
	}
	if int(sw) >= len(p.pos) {
		p.pos = append(p.pos, make([]int32, int(sw)+1-len(p.pos))...)
	}
	p.pos[sw] = int32(i) + 1
}

// removeIface removes p.ifaces[i], moving the last one in its place.
func (p *Poller) removeIface(i int) {
	gone := p.ifaces[i].SwIfIndex
	last := len(p.ifaces) - 1
	p.mu.Lock()
	p.ifaces[i] = p.ifaces[last]
	p.ifaces[last] = model.Interface{}
	p.ifaces = p.ifaces[:last]
	p.mu.Unlock()
	if q, ok := p.posOf(gone); ok && q == i && gone < maxDenseSw {
		p.pos[gone] = 0
	}
	if i < last {
		p.setPos(p.ifaces[i].SwIfIndex, i)
	}
}

// noteDeleted remembers the name of the interface a delete event names, so
// that the next dump drops it at once. Run's goroutine only.
func (p *Poller) noteDeleted(ev Event) {
	if !ev.Deleted || ev.Conn != p.conn {
		return
	}
	for i := range p.ifaces {
		if p.ifaces[i].SwIfIndex == ev.SwIfIndex {
			p.deleted[p.ifaces[i].Name] = true
			return
		}
	}
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
func (p *Poller) resolve(ctx context.Context, in model.Interface, ev Event) (admin, link, sure bool) {
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

// adminState asks VPP, on the connection of the last dump, for the admin
// state of sw_if_index sw; ok is false when it cannot say (the caller then
// dumps everything).
func (p *Poller) adminState(ctx context.Context, sw uint32) (up, ok bool) {
	rctx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
	defer cancel()
	if p.cfg.Interface != nil {
		in, found, err := p.cfg.Interface(rctx, p.conn, sw)
		return in.AdminUp, found && err == nil
	}
	dump, err := p.cfg.Interfaces(rctx)
	if err != nil || dump.Conn != p.conn {
		return false, false
	}
	for _, in := range dump.Interfaces {
		if in.SwIfIndex == sw {
			return in.AdminUp, true
		}
	}
	return false, false
}

// build makes a snapshot of the current inputs and publishes it: with
// changed (the names whose rows changed since the last one) as a patch of
// the last snapshot where mib.Patch can, else by mib.Build. p.mu is held.
func (p *Poller) build(now time.Time, changed map[string]bool) {
	opt := p.opt
	opt.Segment = p.segment // a new segment (VPP restarted) is a discontinuity
	opt.VPPDown = p.vppDown
	var (
		snap  *mib.Snapshot
		idx   *ifindex.Registry
		trans []mib.Transition
		ok    bool
	)
	if changed != nil && p.snap != nil {
		snap, idx, trans, ok = mib.Patch(p.snap, p.ifaces, changed, p.counters, p.idx, now, opt)
	}
	if !ok {
		snap, idx, trans = mib.Build(p.snap, p.ifaces, p.counters, p.idx, now, opt)
	}
	if st := p.pending; st != nil {
		// Counters read in place, into the new rows (the build itself kept
		// each row's previous ones): in the build's own snapshot, which
		// nothing reads yet, unless it shares rows with the last.
		p.pending = nil
		var err error
		if ok {
			snap, err = st.into(snap, now)
		} else if err = st.Apply(func(fill func(uint32, *model.Counters) bool) { snap.FillCounters(fill, now) }); err != nil {
			// What was written may be half a moved vector: build again.
			snap, idx, trans = mib.Build(p.snap, p.ifaces, nil, p.idx, now, opt)
		}
		if err != nil {
			p.log.WithError(err).Debug("counters changed under the read; reading again at the next poll")
		}
	}
	if idx != p.idx {
		p.idx = idx
		p.queueSave(idx)
	}
	p.builds++
	p.publish(snap)
	for _, t := range trans {
		p.cfg.Notify(t)
	}
}

// queueSave hands idx to saver, off the lock that requests may wait on;
// only the newest map matters. p.mu is held.
func (p *Poller) queueSave(idx *ifindex.Registry) {
	select {
	case <-p.saveq:
	default:
	}
	p.saveq <- idx
}

// publish serves s: a build, a patch, a counter read or the IP sources.
// p.mu is held.
func (p *Poller) publish(s *mib.Snapshot) {
	p.snap = s
	p.cfg.Publish(s)
	p.cfg.Observer.Published(s.Len(), p.kept, p.vppDown)
	p.readyOnce.Do(func() { close(p.ready) })
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
