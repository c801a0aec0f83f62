package vppapi

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"time"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/ip_neighbor"
	"go.fd.io/govpp/binapi/ip_types"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/core"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// neighborQueue bounds the neighbour events waiting for the receiver; beyond
// it they are dropped (the periodic neighbour dump is the backstop).
const neighborQueue = 1024

// NeighborEvent says that VPP added or removed a neighbour on an
// interface (ip_neighbor_event_v2): dump that interface's neighbours.
type NeighborEvent struct {
	Conn      uint64
	SwIfIndex uint32
}

func init() {
	features = append(features,
		feature{
			msgs:    []api.Message{&ip.IPAddressDump{}, &ip.IPAddressDetails{}},
			without: "IP addresses (IP-MIB ipAddrTable, ipAddressTable)",
			set:     func(s *session) { s.addresses = true },
		},
		feature{
			msgs: []api.Message{&ip_neighbor.IPNeighborDump{}, &ip_neighbor.IPNeighborDetails{},
				&ip_neighbor.WantIPNeighborEventsV2{}, &ip_neighbor.WantIPNeighborEventsV2Reply{}, &ip_neighbor.IPNeighborEventV2{}},
			without: "IP neighbours (IP-MIB ipNetToPhysicalTable, ipNetToMediaTable)",
			set:     func(s *session) { s.neighbors = true },
		})
}

// NeighborEvents delivers VPP's neighbour events: which interface's
// neighbours changed. A receiver that falls behind loses events, never
// blocks the API connection.
func (c *Client) NeighborEvents() <-chan NeighborEvent { return c.neigh }

// watchNeighbors subscribes the session to ip_neighbor_event_v2 for every
// interface, when the running VPP has it, and forwards each as a
// NeighborEvent until the session ends.
func (c *Client) watchNeighbors(ctx context.Context, s *session) error {
	if !s.neighbors {
		return nil
	}
	w, err := s.conn.WatchEventWithOptions(s.ctx, &ip_neighbor.IPNeighborEventV2{},
		core.WithEventBufferSize(eventQueue), core.WithNotifBufferSize(eventQueue))
	if err != nil {
		return fmt.Errorf("watching ip_neighbor_event_v2: %w", err)
	}
	reply := &ip_neighbor.WantIPNeighborEventsV2Reply{}
	err = s.conn.Invoke(ctx, &ip_neighbor.WantIPNeighborEventsV2{
		Enable: true, PID: uint32(os.Getpid()), SwIfIndex: allInterfaces,
	}, reply)
	if err == nil {
		err = api.RetvalToVPPApiError(reply.Retval)
	}
	if err != nil {
		w.Close()
		return fmt.Errorf("enabling neighbour events: %w", err)
	}
	go func() {
		for m := range w.Events() {
			e, ok := m.(*ip_neighbor.IPNeighborEventV2)
			if !ok {
				continue
			}
			select {
			case c.neigh <- NeighborEvent{Conn: s.id, SwIfIndex: uint32(e.Neighbor.SwIfIndex)}:
			default:
			}
		}
	}()
	return nil
}

// sessionOf returns the current session when it is conn's (0: any).
func (c *Client) sessionOf(conn uint64) (*session, error) {
	s := c.sess.Load()
	if s == nil {
		return nil, ErrNotConnected
	}
	if conn != 0 && conn != s.id {
		return nil, ErrOtherConnection
	}
	return s, nil
}

// Addresses returns the IPv4 and IPv6 addresses of the interfaces sws, as
// ip_address_dump gives them (VPP dumps one interface and one family per
// request), asked of connection conn (0: the current one). None when the
// running VPP lacks the message.
func (c *Client) Addresses(ctx context.Context, conn uint64, sws []uint32) ([]model.Address, error) {
	s, err := c.sessionOf(conn)
	if err != nil || !s.addresses {
		return nil, err
	}
	// One request per interface and family: the request timeout per
	// 10,000 interfaces, or a large router's dump could never finish.
	ctx, cancel := s.requestContext(ctx, c.reqTimeout*time.Duration(1+len(sws)/10000))
	defer cancel()
	var out []model.Address
	for len(sws) > 0 {
		n := min(len(sws), addressBatch)
		if err := addressBatchDump(ctx, s.conn, sws[:n], &out); err != nil {
			return nil, err
		}
		sws = sws[n:]
	}
	return out, nil
}

// addressBatch is how many interfaces' address dumps are in flight at
// once: VPP answers one interface and one family per request, so at
// 100,000 interfaces waiting for each in turn would cost 200,000 round
// trips. Each request yields few replies, so a batch stays well within the
// reply queue.
const addressBatch = 256

// addressBatchDump sends both families' ip_address_dump of every interface
// of sws, each followed by a control_ping, on one stream, and then reads
// the replies until every ping is answered: one round trip per batch.
func addressBatchDump(ctx context.Context, conn api.Connection, sws []uint32, out *[]model.Address) error {
	stream, err := conn.NewStream(ctx, core.WithReplySize(replyQueue))
	if err != nil {
		return fmt.Errorf("dumping addresses: %w", err)
	}
	defer func() { _ = stream.Close() }()
	pings := 0
	for _, sw := range sws {
		for _, v6 := range []bool{false, true} {
			if err := stream.SendMsg(&ip.IPAddressDump{SwIfIndex: interface_types.InterfaceIndex(sw), IsIPv6: v6}); err != nil {
				return fmt.Errorf("dumping addresses of interface %d: %w", sw, err)
			}
			if err := stream.SendMsg(&memclnt.ControlPing{}); err != nil {
				return fmt.Errorf("dumping addresses of interface %d: %w", sw, err)
			}
			pings++
		}
	}
	for pings > 0 {
		m, err := stream.RecvMsg()
		if err != nil {
			return fmt.Errorf("dumping addresses: %w", err)
		}
		switch m := m.(type) {
		case *memclnt.ControlPingReply:
			pings--
		case *ip.IPAddressDetails:
			if p, ok := prefixFrom(m.Prefix); ok {
				*out = append(*out, model.Address{SwIfIndex: uint32(m.SwIfIndex), Prefix: p})
			}
		default:
			return fmt.Errorf("dumping addresses: %w", unexpected(m))
		}
	}
	return nil
}

// Neighbors returns VPP's IPv4 and IPv6 neighbours on interface sw (~0:
// all), asked of connection conn (0: the current one). None when the
// running VPP lacks the message.
func (c *Client) Neighbors(ctx context.Context, conn uint64, sw uint32) ([]model.Neighbor, error) {
	s, err := c.sessionOf(conn)
	if err != nil || !s.neighbors {
		return nil, err
	}
	ctx, cancel := s.requestContext(ctx, c.reqTimeout)
	defer cancel()
	var out []model.Neighbor
	for _, af := range []ip_types.AddressFamily{ip_types.ADDRESS_IP4, ip_types.ADDRESS_IP6} {
		now := time.Now()
		err := dump(ctx, s.conn, &ip_neighbor.IPNeighborDump{SwIfIndex: interface_types.InterfaceIndex(sw), Af: af}, func(m api.Message) error {
			d, ok := m.(*ip_neighbor.IPNeighborDetails)
			if !ok {
				return unexpected(m)
			}
			if n, ok := neighborFrom(d, now); ok {
				out = append(out, n)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("dumping neighbours: %w", err)
		}
	}
	return out, nil
}

// prefixFrom maps an address with its prefix length; ok is false for a
// family or length that is neither IPv4's nor IPv6's.
func prefixFrom(p ip_types.AddressWithPrefix) (netip.Prefix, bool) {
	a, ok := addrFrom(p.Address)
	if !ok || int(p.Len) > a.BitLen() {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, int(p.Len)), true
}

func addrFrom(a ip_types.Address) (netip.Addr, bool) {
	switch a.Af {
	case ip_types.ADDRESS_IP4:
		return netip.AddrFrom4(a.Un.GetIP4()), true
	case ip_types.ADDRESS_IP6:
		return netip.AddrFrom16(a.Un.GetIP6()), true
	}
	return netip.Addr{}, false
}

// neighborFrom maps one ip_neighbor_details: its age (seconds, a float)
// becomes the time VPP last refreshed it, counted back from at.
func neighborFrom(d *ip_neighbor.IPNeighborDetails, at time.Time) (model.Neighbor, bool) {
	a, ok := addrFrom(d.Neighbor.IPAddress)
	if !ok {
		return model.Neighbor{}, false
	}
	n := model.Neighbor{
		SwIfIndex: uint32(d.Neighbor.SwIfIndex),
		IP:        a,
		MAC:       [6]byte(d.Neighbor.MacAddress),
		Static:    d.Neighbor.Flags&ip_neighbor.IP_API_NEIGHBOR_FLAG_STATIC != 0,
	}
	// a NaN, negative or absurd age says nothing of when
	if age := d.Age; age >= 0 && age < 1e9 {
		n.Updated = at.Add(-time.Duration(age * float64(time.Second)))
	}
	return n, true
}
