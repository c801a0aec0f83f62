package poller

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/mib"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// fakeIP is VPP's addresses and neighbours as the poller sees them.
type fakeIP struct {
	mu        sync.Mutex
	addrs     []model.Address
	neighbors []model.Neighbor
	events    chan NeighborEvent
	dumps     int        // full neighbour dumps
	asked     [][]uint32 // the interfaces of each address dump
	fail      int        // address dumps that fail first
}

func (f *fakeIP) Addresses(_ context.Context, _ uint64, sws []uint32) ([]model.Address, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, slices.Clone(sws))
	if f.fail > 0 {
		f.fail--
		return nil, errors.New("VPP did not answer")
	}
	var out []model.Address
	for _, a := range f.addrs {
		if slices.Contains(sws, a.SwIfIndex) {
			out = append(out, a)
		}
	}
	return out, nil
}

// askedSince returns the interfaces of each address dump after the first n.
func (f *fakeIP) askedSince(n int) [][]uint32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.asked[n:])
}

func (f *fakeIP) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.asked)
}

func (f *fakeIP) Neighbors(_ context.Context, _ uint64, sw uint32) ([]model.Neighbor, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if sw == ^uint32(0) {
		f.dumps++
	}
	var out []model.Neighbor
	for _, n := range f.neighbors {
		if sw == ^uint32(0) || n.SwIfIndex == sw {
			out = append(out, n)
		}
	}
	return out, nil
}

// TestIPSources: addresses and neighbours are dumped after the first
// interface dump, and a neighbour event re-dumps that interface's
// neighbours at once (the periodic dump is an hour away).
func TestIPSources(t *testing.T) {
	ip := &fakeIP{
		addrs:  []model.Address{{SwIfIndex: 1, Prefix: netip.MustParsePrefix("192.0.2.1/31")}},
		events: make(chan NeighborEvent, 8),
	}
	h := startWith(t, newFake(), time.Second, func(p *Poller) {
		p.cfg.IP = IPConfig{Addresses: ip.Addresses, Neighbors: ip.Neighbors, Events: ip.events, Interval: time.Hour}
		p.opt.MIBs = mib.MIBs()
	}, 0)
	ipAdEntIfIndex := agentx.OID{1, 3, 6, 1, 2, 1, 4, 20, 1, 2, 192, 0, 2, 1}
	h.waitFor("ipAdEntIfIndex.192.0.2.1", func() bool { return h.tree.Load().Get(ipAdEntIfIndex).Integer == 1001 })

	ip.mu.Lock()
	ip.neighbors = append(ip.neighbors, model.Neighbor{SwIfIndex: 1, IP: netip.MustParseAddr("192.0.2.0"), MAC: [6]byte{2, 0, 0, 0, 0, 1}, Static: true})
	dumps := ip.dumps
	ip.mu.Unlock()
	ip.events <- NeighborEvent{Conn: h.vpp.conn, SwIfIndex: 1}
	phys := agentx.OID{1, 3, 6, 1, 2, 1, 4, 35, 1, 4, 1001, 1, 4, 192, 0, 2, 0}
	h.waitFor("the neighbour of the event", func() bool {
		v := h.tree.Load().Get(phys)
		return v.Type == agentx.TypeOctetString && string(v.Bytes) == "\x02\x00\x00\x00\x00\x01"
	})
	ip.mu.Lock()
	defer ip.mu.Unlock()
	if ip.dumps != dumps {
		t.Errorf("the event cost a full neighbour dump")
	}
	// the interfaces' own rows are untouched by it
	if v := h.tree.Load().Get(ifNumber0); v.Integer != 3 {
		t.Errorf("ifNumber.0 = %d after an IP update", v.Integer)
	}
	if v := h.get(ifInOctets, 1001); v.Integer != 100 {
		t.Errorf("ifInOctets.1001 = %d after an IP update", v.Integer)
	}
}

// TestIPSourcesFollowTheConnection: after VPP reconnects, the addresses are
// joined by the new connection's sw_if_index values.
func TestIPSourcesFollowTheConnection(t *testing.T) {
	ip := &fakeIP{addrs: []model.Address{{SwIfIndex: 1, Prefix: netip.MustParsePrefix("192.0.2.1/31")}}}
	vpp := newFake()
	vpp.conn = 1
	h := startWith(t, vpp, time.Second, func(p *Poller) {
		p.cfg.IP = IPConfig{Addresses: ip.Addresses, Neighbors: ip.Neighbors, Interval: time.Hour}
		p.opt.MIBs = mib.MIBs()
	}, 0)
	ipAdEntIfIndex := agentx.OID{1, 3, 6, 1, 2, 1, 4, 20, 1, 2, 192, 0, 2, 1}
	h.waitFor("ipAdEntIfIndex.192.0.2.1 on 1001", func() bool { return h.tree.Load().Get(ipAdEntIfIndex).Integer == 1001 })
	vpp.mu.Lock()
	vpp.conn = 2
	vpp.mu.Unlock()
	ip.mu.Lock()
	ip.addrs = []model.Address{{SwIfIndex: 2, Prefix: netip.MustParsePrefix("192.0.2.1/31")}}
	ip.mu.Unlock()
	h.events <- Event{Resync: true, Conn: 2}
	h.waitFor("ipAdEntIfIndex.192.0.2.1 on 1002", func() bool { return h.tree.Load().Get(ipAdEntIfIndex).Integer == 1002 })
}

// countingObserver counts the interface dumps applied and the IP sources'
// reads.
type countingObserver struct {
	nopObserver
	dumps atomic.Int32
	mu    sync.Mutex
	ip    []string // "addresses ok", "neighbors failed", ...
}

func (o *countingObserver) Refreshed(s Source, _ time.Duration, err error) {
	if s == SourceInterfaces && err == nil {
		o.dumps.Add(1) // told under p.mu, which the rest of the dump's work holds
	}
	if s == SourceAddresses || s == SourceNeighbors {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.ip = append(o.ip, map[bool]string{true: string(s) + " ok", false: string(s) + " failed"}[err == nil])
	}
}

// TestAddressesFollowInterfaceChanges: VPP sends no address events, so an
// interface's own change (created, deleted, changed in a full dump) is what
// has its addresses asked again: that interface's alone, never a sweep of
// the router, and nothing at all for one deleted.
func TestAddressesFollowInterfaceChanges(t *testing.T) {
	ip := &fakeIP{addrs: []model.Address{{SwIfIndex: 1, Prefix: netip.MustParsePrefix("192.0.2.1/31")}}}
	vpp := newFake()
	h := startWith(t, vpp, time.Hour, func(p *Poller) {
		p.cfg.IP = IPConfig{Addresses: ip.Addresses, Neighbors: ip.Neighbors, Interval: time.Hour}
		p.opt.MIBs = mib.MIBs()
	}, 0)
	ipAdEntIfIndex := func(a ...uint32) agentx.Value {
		return h.tree.Load().Get(append(agentx.OID{1, 3, 6, 1, 2, 1, 4, 20, 1, 2}, a...))
	}
	h.waitFor("the first sweep", func() bool { return ipAdEntIfIndex(192, 0, 2, 1).Integer == 1001 })
	n := ip.calls()

	// created, with an address
	vpp.mu.Lock()
	vpp.ifaces = append(vpp.ifaces, model.Interface{SwIfIndex: 3, SupSwIfIndex: 3, Name: "loop0", DevType: "Loopback"})
	vpp.mu.Unlock()
	ip.mu.Lock()
	ip.addrs = append(ip.addrs, model.Address{SwIfIndex: 3, Prefix: netip.MustParsePrefix("198.51.100.1/32")})
	ip.mu.Unlock()
	h.events <- Event{SwIfIndex: 3}
	h.waitFor("loop0's address", func() bool { return ipAdEntIfIndex(198, 51, 100, 1).Integer == 1003 })
	if got := ip.askedSince(n); !slices.EqualFunc(got, [][]uint32{{3}}, slices.Equal) {
		t.Errorf("address dumps for a created interface: %v, want [[3]]", got)
	}

	// deleted: its address goes, asking nothing
	n = ip.calls()
	vpp.mu.Lock()
	vpp.ifaces = vpp.ifaces[:3]
	vpp.mu.Unlock()
	h.events <- Event{SwIfIndex: 3, Deleted: true}
	h.waitFor("loop0's address gone", func() bool { return ipAdEntIfIndex(198, 51, 100, 1).Type == agentx.TypeNoSuchInstance })
	if got := ip.askedSince(n); len(got) != 0 {
		t.Errorf("address dumps for a deleted interface: %v, want none", got)
	}

	// a full dump that changes one interface: that one's addresses
	n = ip.calls()
	vpp.mu.Lock()
	vpp.ifaces[2].MTU = 1500
	vpp.mu.Unlock()
	ip.mu.Lock()
	ip.addrs = append(ip.addrs, model.Address{SwIfIndex: 2, Prefix: netip.MustParsePrefix("203.0.113.1/24")})
	ip.mu.Unlock()
	h.p.requestFull()
	h.waitFor("the sub-interface's address", func() bool { return ipAdEntIfIndex(203, 0, 113, 1).Integer == 1002 })
	if v := h.get(ifMtu, 1002); v.Integer != 1500 {
		t.Errorf("ifMtu.1002 = %d after the dump, want 1500", v.Integer)
	}
	if got := ip.askedSince(n); !slices.EqualFunc(got, [][]uint32{{2}}, slices.Equal) {
		t.Errorf("address dumps after a full dump changing one interface: %v, want [[2]]", got)
	}
}

// TestRestingFullDumpBuildsNothing: the periodic full dump of a router
// where nothing changed publishes no build, asks no address, and leaves
// every row as it was.
func TestRestingFullDumpBuildsNothing(t *testing.T) {
	ip := &fakeIP{addrs: []model.Address{{SwIfIndex: 1, Prefix: netip.MustParsePrefix("192.0.2.1/31")}}}
	vpp := newFake()
	obs := &countingObserver{}
	h := startWith(t, vpp, time.Hour, func(p *Poller) {
		p.cfg.IP = IPConfig{Addresses: ip.Addresses, Neighbors: ip.Neighbors, Interval: time.Hour}
		p.cfg.Observer = obs
		p.opt.MIBs = mib.MIBs()
	}, 0)
	h.waitFor("the first sweep", func() bool { return ip.calls() > 0 })
	h.p.mu.Lock()
	builds := h.p.builds
	h.p.mu.Unlock()
	n := ip.calls()
	for range 3 {
		want := obs.dumps.Load() + 1
		h.p.requestFull()
		h.waitFor("a full dump", func() bool { return obs.dumps.Load() >= want })
	}
	h.p.mu.Lock() // the rest of the last dump's work is done under it
	rows, built := h.p.snap.Len(), h.p.builds-builds
	h.p.mu.Unlock()
	if rows != 3 {
		t.Errorf("%d rows after full dumps that changed nothing, want 3", rows)
	}
	if got := built; got != 0 {
		t.Errorf("%d builds for full dumps that changed nothing, want 0", got)
	}
	if got := ip.askedSince(n); len(got) != 0 {
		t.Errorf("address dumps after full dumps that changed nothing: %v", got)
	}
	if v := h.tree.Load().Get(ifNumber0); v.Integer != 3 {
		t.Errorf("ifNumber.0 = %d, want 3", v.Integer)
	}
}

// TestSweepSpacing: a sweep is followed by the next no sooner than the
// interval, nor than addressPace per interface it covered.
func TestSweepSpacing(t *testing.T) {
	p := &Poller{log: logrus.New()}
	for _, c := range []struct {
		n    int
		want time.Duration
	}{{0, time.Second}, {10, time.Second}, {1000, 10 * time.Second}, {100_000, 1000 * time.Second}} {
		start := time.Now()
		next := p.sweep(context.Background(), "addresses", time.Second, func(context.Context) (int, error) { return c.n, nil })
		if got := next.Sub(start); got < c.want || got > c.want+time.Second {
			t.Errorf("%d interfaces: next sweep after %v, want %v", c.n, got, c.want)
		}
	}
}

// TestFailedAddressDumpRetried: when the dump of a changed interface's
// addresses fails, that interface is asked again a second later, not every
// interface of the router.
func TestFailedAddressDumpRetried(t *testing.T) {
	ip := &fakeIP{}
	vpp := newFake()
	obs := &countingObserver{}
	h := startWith(t, vpp, time.Hour, func(p *Poller) {
		p.cfg.IP = IPConfig{Addresses: ip.Addresses, Neighbors: ip.Neighbors, Interval: time.Hour}
		p.cfg.Observer = obs
		p.opt.MIBs = mib.MIBs()
	}, 0)
	h.waitFor("the first sweep", func() bool { return ip.calls() > 0 })
	n := ip.calls()
	vpp.mu.Lock()
	vpp.ifaces = append(vpp.ifaces, model.Interface{SwIfIndex: 3, SupSwIfIndex: 3, Name: "loop0", DevType: "Loopback"})
	vpp.mu.Unlock()
	ip.mu.Lock()
	ip.addrs = append(ip.addrs, model.Address{SwIfIndex: 3, Prefix: netip.MustParsePrefix("198.51.100.1/32")})
	ip.fail = 1
	ip.mu.Unlock()
	h.events <- Event{SwIfIndex: 3}
	ipAdEntIfIndex := agentx.OID{1, 3, 6, 1, 2, 1, 4, 20, 1, 2, 198, 51, 100, 1}
	h.waitFor("loop0's address after a failed dump", func() bool { return h.tree.Load().Get(ipAdEntIfIndex).Integer == 1003 })
	if got := ip.askedSince(n); !slices.EqualFunc(got, [][]uint32{{3}, {3}}, slices.Equal) {
		t.Errorf("address dumps: %v, want [[3] [3]] (failed, then again)", got)
	}
	// the sources' health, as /metrics shows it
	obs.mu.Lock()
	defer obs.mu.Unlock()
	for _, want := range []string{"addresses ok", "neighbors ok", "addresses failed"} {
		if !slices.Contains(obs.ip, want) {
			t.Errorf("the observer was not told %q: %v", want, obs.ip)
		}
	}
}
