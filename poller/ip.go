package poller

import (
	"context"
	"slices"
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
	// Interval is the period of the full address and neighbour dump,
	// counted from the end of the last (default 5 s); longer where a dump
	// takes long (ipSweepShare): a large router's takes seconds.
	Interval time.Duration
}

// ipSweepShare bounds the time spent in full address and neighbour dumps:
// the next one starts no sooner than this many times the last one's
// duration after it (and IPConfig.Interval at least).
const ipSweepShare = 100

// ipState is the poller's side of the IP sources; Run's ipLoop owns it.
type ipState struct {
	kick chan struct{} // a new interface dump: dump addresses again
}

func (p *Poller) kickIP() {
	select {
	case p.ip.kick <- struct{}{}:
	default:
	}
}

// ipLoop keeps the sources of the other MIB modules fresh: a full dump
// every IPConfig.Interval and after every full interface dump (a new
// connection's sw_if_index values may mean other interfaces), one
// interface's neighbours on its events. Each result is published at once,
// as a snapshot that shares everything else with the last one.
func (p *Poller) ipLoop(ctx context.Context) {
	c := p.cfg.IP
	if c.Addresses == nil && c.Neighbors == nil {
		return
	}
	if c.Interval <= 0 {
		c.Interval = 5 * time.Second
	}
	select {
	case <-p.ready:
	case <-ctx.Done():
		return
	}
	t := time.NewTimer(0)
	defer t.Stop()
	events := c.Events
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.ip.kick:
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			p.neighborsOf(ctx, ev)
			continue
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		start := time.Now()
		err := p.dumpIP(ctx)
		// VPP answers one interface's addresses per request: at 100,000
		// interfaces a sweep is 400,000 messages on VPP's main thread and
		// seconds of ours. Sweep at most 1 % of the time, failed sweeps
		// included (one that times out would otherwise start again at once).
		share := ipSweepShare * time.Since(start)
		if err != nil && ctx.Err() == nil {
			p.log.WithError(err).Debug("dumping addresses and neighbours; retrying")
			t.Reset(max(min(c.Interval, time.Second), share))
			continue
		}
		t.Reset(max(c.Interval, share))
	}
}

// forgetSources drops the addresses and neighbours of the last API
// connection before a build joins them to another's interfaces (a restarted
// VPP may give their sw_if_index values to other interfaces); the dump
// that follows every full build brings the new ones. p.mu is held.
func (p *Poller) forgetSources() {
	if p.snap == nil {
		return
	}
	if src := p.snap.Sources(); len(src.Addresses) > 0 || len(src.Neighbors) > 0 {
		p.snap = p.snap.WithSources(mib.Sources{}, time.Now()) // published by the build
	}
}

// dumpIP dumps every address and neighbour and publishes them.
func (p *Poller) dumpIP(ctx context.Context) error {
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
	var src mib.Sources
	var err error
	if p.cfg.IP.Addresses != nil {
		if src.Addresses, err = p.cfg.IP.Addresses(rctx, conn, sws); err != nil {
			return err
		}
	}
	if p.cfg.IP.Neighbors != nil {
		if src.Neighbors, err = p.cfg.IP.Neighbors(rctx, conn, ^uint32(0)); err != nil {
			return err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if conn == p.conn && p.snap != nil {
		p.publish(p.snap.WithSources(src, time.Now()))
	}
	return nil
}

// neighborsOf dumps again the neighbours of the interface ev names (and of
// every other one whose event is queued) and publishes them.
func (p *Poller) neighborsOf(ctx context.Context, ev NeighborEvent) {
	if p.cfg.IP.Neighbors == nil {
		return
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
	for _, sw := range sws {
		ns, err := p.cfg.IP.Neighbors(rctx, ev.Conn, sw)
		if err != nil {
			p.kickIP() // the full dump will say
			return
		}
		fresh[sw] = ns
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if ev.Conn != p.conn || p.snap == nil {
		return
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
}
