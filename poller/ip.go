package poller

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/mib"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// NeighborEvent says VPP's neighbours on an interface changed.
type NeighborEvent struct {
	Conn      uint64
	SwIfIndex uint32
}

// IPConfig wires the poller to VPP's addresses and neighbours, the sources
// of the MIB modules other than IF-MIB (mib.Sources). Both are asked of the
// API connection of the last interface dump, since they join it by
// sw_if_index.
type IPConfig struct {
	// Addresses dumps the addresses of the interfaces sws.
	Addresses func(ctx context.Context, conn uint64, sws []uint32) ([]model.Address, error)
	// Neighbors dumps the neighbours on interface sw (^0: all).
	Neighbors func(ctx context.Context, conn uint64, sw uint32) ([]model.Neighbor, error)
	// Events names the interfaces whose neighbours changed: each is dumped
	// again at once.
	Events <-chan NeighborEvent
	// Interval is the period of the full neighbour dump and the shortest
	// between two address sweeps, counted from the end of the last (default
	// 30 s). An address sweep costs VPP requests in proportion to the
	// interfaces, so it is further spaced by addressPace per interface and
	// by ipSweepShare.
	Interval time.Duration
}

// ipSweepShare bounds the time spent in full address and neighbour dumps:
// the next one starts no sooner than this many times the last one's
// duration after it (and IPConfig.Interval at least).
const ipSweepShare = 100

// addressPace spaces the address sweeps by the interfaces they cover. VPP
// answers ip_address_dump for one interface and one family per request and
// tells no one when an address changes, so a sweep of 100,000 interfaces
// is 400,000 messages on VPP's main thread. At one sweep per 10 ms of
// interfaces (17 minutes at 100,000, 100 s at 10,000, 10 s at 1,000) that
// stays a sliver of it; what an interface's own change shows (created,
// renamed, set up or down: addressHint) is dumped at once anyway.
const addressPace = 10 * time.Millisecond

// maxHints bounds the interfaces waiting for their addresses to be dumped;
// beyond it a full sweep is due instead.
const maxHints = 1 << 16

// ipState is the poller's side of the IP sources; Run's ipLoop owns it but
// for the hints, which are under mu.
type ipState struct {
	kick chan struct{} // a new API connection: dump everything again
	wake chan struct{} // hints wait (cap 1)

	mu    sync.Mutex
	hints map[uint32]bool // sw_if_index -> deleted; nil when none wait
	over  bool            // more than maxHints: sweep instead
}

func (p *Poller) kickIP() {
	select {
	case p.ip.kick <- struct{}{}:
	default:
	}
}

// addressHint asks the IP loop to dump the addresses of interface sw again
// (gone: to drop what it had, asking nothing). Interface events and dumps
// call it for what they show changed, since VPP sends no address events.
func (p *Poller) addressHint(sw uint32, gone bool) {
	if p.cfg.IP.Addresses == nil && p.cfg.IP.Neighbors == nil {
		return
	}
	p.ip.mu.Lock()
	if p.ip.hints == nil {
		p.ip.hints = make(map[uint32]bool)
	}
	if len(p.ip.hints) < maxHints {
		p.ip.hints[sw] = gone
	} else {
		p.ip.over = true
	}
	p.ip.mu.Unlock()
	select {
	case p.ip.wake <- struct{}{}:
	default:
	}
}

// takeHints returns the waiting hints, and whether there were too many.
func (p *Poller) takeHints() (map[uint32]bool, bool) {
	p.ip.mu.Lock()
	defer p.ip.mu.Unlock()
	h, over := p.ip.hints, p.ip.over
	p.ip.hints, p.ip.over = nil, false
	return h, over
}

// ipLoop keeps the sources of the other MIB modules fresh: everything
// after the first interface dump and after a new API connection's (its
// sw_if_index values may mean other interfaces); the neighbours every
// IPConfig.Interval, and those of one interface on its events; the
// addresses of an interface whose own change hints at theirs, and a sweep
// of every interface's spaced by their number (addressPace). Each result is
// published at once, as a snapshot that shares everything else with the
// last one, and only when it changed something.
func (p *Poller) ipLoop(ctx context.Context) {
	c := p.cfg.IP
	if c.Addresses == nil && c.Neighbors == nil {
		return
	}
	if c.Interval <= 0 {
		c.Interval = 30 * time.Second
	}
	select {
	case <-p.ready:
	case <-ctx.Done():
		return
	}
	var nextAddr, nextNeigh time.Time // zero: due now
	var retryHints time.Time          // hints whose dump failed wait until then; zero: none
	t := time.NewTimer(0)
	defer t.Stop()
	events := c.Events
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !retryHints.IsZero() && !time.Now().Before(retryHints) {
				retryHints = p.dumpHinted(ctx)
			}
		case <-p.ip.kick:
			nextAddr, nextNeigh, retryHints = time.Time{}, time.Time{}, time.Time{}
			p.takeHints() // the sweeps cover them
		case <-p.ip.wake:
			if retryHints.IsZero() { // else they wait for the retry, with the failed ones
				retryHints = p.dumpHinted(ctx)
			}
		case ev, ok := <-events:
			if !ok {
				events = nil
				break
			}
			if !p.neighborsOf(ctx, ev) {
				nextNeigh = time.Time{}
			}
		}
		if now := time.Now(); !now.Before(nextAddr) {
			nextAddr = p.sweep(ctx, "addresses", c.Interval, p.sweepAddresses)
		}
		if now := time.Now(); !now.Before(nextNeigh) {
			nextNeigh = p.sweep(ctx, "neighbours", c.Interval, func(ctx context.Context) (int, error) {
				return 0, p.sweepNeighbors(ctx)
			})
		}
		next := earliest(nextAddr, nextNeigh)
		if !retryHints.IsZero() {
			next = earliest(next, retryHints)
		}
		t.Reset(time.Until(next))
	}
}

// dumpHinted dumps the addresses of the hinted interfaces, or has the
// next sweep come at once when there were too many hints. When VPP could
// not say, the hints wait to be tried again: it returns when (zero: none
// wait). A sweep instead would cost VPP requests for every interface.
func (p *Poller) dumpHinted(ctx context.Context) time.Time {
	hints, over := p.takeHints()
	if over {
		p.kickIP()
		return time.Time{}
	}
	err := p.addressesOf(ctx, hints)
	if err == nil || ctx.Err() != nil {
		return time.Time{}
	}
	p.log.WithError(err).Debug("dumping the addresses of changed interfaces; trying again in a second")
	p.ip.mu.Lock()
	for sw, gone := range hints {
		if _, newer := p.ip.hints[sw]; !newer {
			if p.ip.hints == nil {
				p.ip.hints = make(map[uint32]bool)
			}
			p.ip.hints[sw] = gone
		}
	}
	p.ip.mu.Unlock()
	return time.Now().Add(time.Second)
}

// sweep runs one full dump and returns when the next is due: after
// interval, after addressPace per interface it covered, and after
// ipSweepShare times what it took, failed ones included (one that times
// out would otherwise start again at once); a failed one is retried within
// a second if it was quick.
func (p *Poller) sweep(ctx context.Context, what string, interval time.Duration, dump func(context.Context) (int, error)) time.Time {
	start := time.Now()
	n, err := dump(ctx)
	share := ipSweepShare * time.Since(start)
	if err != nil {
		if ctx.Err() == nil {
			p.log.WithError(err).Debugf("dumping %s; retrying", what)
		}
		return start.Add(max(min(interval, time.Second), share))
	}
	return start.Add(max(interval, share, addressPace*time.Duration(n)))
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// forgetSources drops the addresses and neighbours of the last API
// connection before a build joins them to another's interfaces (a restarted
// VPP may give their sw_if_index values to other interfaces), and asks the
// IP loop for the new ones. p.mu is held.
func (p *Poller) forgetSources() {
	if p.snap == nil {
		return
	}
	if src := p.snap.Sources(); len(src.Addresses) > 0 || len(src.Neighbors) > 0 {
		p.snap = p.snap.WithSources(mib.Sources{}, time.Now()) // published by the build
	}
	p.kickIP()
}

// sweepAddresses dumps the addresses of every interface VPP names and
// publishes them if they changed; n is how many interfaces it asked of.
func (p *Poller) sweepAddresses(ctx context.Context) (n int, err error) {
	if p.cfg.IP.Addresses == nil {
		return 0, nil
	}
	p.mu.Lock()
	conn := p.conn
	sws := make([]uint32, 0, len(p.ifaces))
	for i := range p.ifaces {
		if sw := p.ifaces[i].SwIfIndex; sw < detachedSwIfIndex-uint32(len(p.ifaces)) {
			sws = append(sws, sw) // not a row kept while VPP no longer names it
		}
	}
	p.mu.Unlock()
	// One request per interface and family: the time allowed grows with
	// the interfaces (RequestTimeout per 10,000), or a large router's
	// sweep could never finish.
	rctx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout*time.Duration(1+len(sws)/10000))
	defer cancel()
	start := time.Now()
	addrs, err := p.cfg.IP.Addresses(rctx, conn, sws)
	p.cfg.Observer.Refreshed(SourceAddresses, time.Since(start), err)
	if err != nil {
		return len(sws), err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if conn == p.conn && p.snap != nil {
		src := p.snap.Sources()
		if src.Addresses == nil || !slices.Equal(src.Addresses, addrs) {
			src.Addresses = addrs
			p.publish(p.snap.WithSources(src, time.Now()))
		}
	}
	return len(sws), nil
}

// sweepNeighbors dumps every neighbour and publishes them.
func (p *Poller) sweepNeighbors(ctx context.Context) error {
	if p.cfg.IP.Neighbors == nil {
		return nil
	}
	p.mu.Lock()
	conn := p.conn
	p.mu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
	defer cancel()
	start := time.Now()
	ns, err := p.cfg.IP.Neighbors(rctx, conn, ^uint32(0))
	p.cfg.Observer.Refreshed(SourceNeighbors, time.Since(start), err)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if conn == p.conn && p.snap != nil {
		src := p.snap.Sources()
		src.Neighbors = ns
		p.publish(p.snap.WithSources(src, time.Now()))
	}
	return nil
}

// addressesOf dumps again the addresses of the hinted interfaces (those
// gone lose theirs, and their neighbours, without asking) and publishes
// what changed.
func (p *Poller) addressesOf(ctx context.Context, hints map[uint32]bool) error {
	if len(hints) == 0 {
		return nil
	}
	var ask []uint32
	for sw, gone := range hints {
		if !gone {
			ask = append(ask, sw)
		}
	}
	p.mu.Lock()
	conn := p.conn
	p.mu.Unlock()
	var fresh []model.Address
	if len(ask) > 0 && p.cfg.IP.Addresses != nil {
		rctx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout*time.Duration(1+len(ask)/10000))
		var err error
		start := time.Now()
		fresh, err = p.cfg.IP.Addresses(rctx, conn, ask)
		p.cfg.Observer.Refreshed(SourceAddresses, time.Since(start), err)
		cancel()
		if err != nil {
			return err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if conn != p.conn || p.snap == nil {
		return nil
	}
	src := p.snap.Sources()
	// copy on write: the published snapshot keeps its own
	addrs := make([]model.Address, 0, len(src.Addresses)+len(fresh))
	for _, a := range src.Addresses {
		if _, redone := hints[a.SwIfIndex]; !redone {
			addrs = append(addrs, a)
		}
	}
	addrs = append(addrs, fresh...)
	var ns []model.Neighbor
	for i, n := range src.Neighbors {
		if gone := hints[n.SwIfIndex]; gone && ns == nil {
			ns = append(make([]model.Neighbor, 0, len(src.Neighbors)), src.Neighbors[:i]...)
		} else if ns != nil && !gone {
			ns = append(ns, n)
		}
	}
	if ns == nil && sameAddresses(src.Addresses, addrs) {
		return nil
	}
	src.Addresses = addrs
	if ns != nil {
		src.Neighbors = ns
	}
	p.publish(p.snap.WithSources(src, time.Now()))
	return nil
}

// sameAddresses says whether a and b hold the same addresses, in any order.
func sameAddresses(a, b []model.Address) bool {
	if len(a) != len(b) {
		return false
	}
	seen := make(map[model.Address]int, len(a))
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		if seen[x]--; seen[x] < 0 {
			return false
		}
	}
	return true
}

// neighborsOf dumps again the neighbours of the interface ev names (and of
// every other one whose event is queued) and publishes them. It returns
// false when VPP could not say: the full neighbour dump is due.
func (p *Poller) neighborsOf(ctx context.Context, ev NeighborEvent) bool {
	if p.cfg.IP.Neighbors == nil {
		return true
	}
	sws := []uint32{ev.SwIfIndex}
	for more := true; more && len(sws) < 64; {
		select {
		case e, ok := <-p.cfg.IP.Events:
			if ok && e.Conn == ev.Conn && !slices.Contains(sws, e.SwIfIndex) {
				sws = append(sws, e.SwIfIndex)
			}
			more = ok
		default:
			more = false
		}
	}
	rctx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
	defer cancel()
	fresh := map[uint32][]model.Neighbor{}
	start := time.Now()
	for _, sw := range sws {
		ns, err := p.cfg.IP.Neighbors(rctx, ev.Conn, sw)
		if err != nil {
			p.cfg.Observer.Refreshed(SourceNeighbors, time.Since(start), err)
			return false
		}
		fresh[sw] = ns
	}
	p.cfg.Observer.Refreshed(SourceNeighbors, time.Since(start), nil)
	p.mu.Lock()
	defer p.mu.Unlock()
	if ev.Conn != p.conn || p.snap == nil {
		return true
	}
	src := p.snap.Sources()
	// copy on write: the published snapshot keeps its own
	ns := make([]model.Neighbor, 0, len(src.Neighbors)+4)
	for _, n := range src.Neighbors {
		if _, redone := fresh[n.SwIfIndex]; !redone {
			ns = append(ns, n)
		}
	}
	for _, sw := range sws {
		ns = append(ns, fresh[sw]...)
	}
	src.Neighbors = ns
	p.publish(p.snap.WithSources(src, time.Now()))
	return true
}
