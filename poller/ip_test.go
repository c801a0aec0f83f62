package poller

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

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
	dumps     int // full neighbour dumps
}

func (f *fakeIP) Addresses(_ context.Context, _ uint64, sws []uint32) ([]model.Address, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]model.Address(nil), f.addrs...), nil
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
