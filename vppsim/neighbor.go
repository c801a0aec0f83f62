package vppsim

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/ethernet_types"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/ip_neighbor"
	"go.fd.io/govpp/binapi/ip_types"
	"go.fd.io/govpp/codec"
)

// Neighbor is one entry of the simulated IP neighbour table.
type Neighbor struct {
	SwIfIndex uint32
	IP        netip.Addr
	MAC       [6]byte
	Static    bool
	Updated   time.Time // last refreshed (VPP's age counts from it)
}

// neighborRefresh is how often learnt neighbours are refreshed.
const neighborRefresh = time.Second

type neighborKey struct {
	sw uint32
	ip netip.Addr
}

// neighbors is VPP's neighbour table and who asked for its events. Static
// entries stay until deleted; dynamic ones are learnt while their interface
// passes traffic and flushed when it goes down, as ARP/ND would.
type neighbors struct {
	mu      sync.Mutex
	byKey   map[neighborKey]*Neighbor
	eventTo map[*apiConn]uint32 // want_ip_neighbor_events_v2: client -> pid
}

// neighborEvent is one ip_neighbor_event_v2 to send.
type neighborEvent struct {
	n       Neighbor
	removed bool
}

func (t *neighbors) init() {
	if t.byKey == nil {
		t.byKey = make(map[neighborKey]*Neighbor)
		t.eventTo = make(map[*apiConn]uint32)
	}
}

// set adds or replaces an entry and says whether it is new or changed.
func (t *neighbors) set(n Neighbor) bool {
	t.init()
	k := neighborKey{n.SwIfIndex, n.IP}
	if old, ok := t.byKey[k]; ok {
		changed := old.MAC != n.MAC || old.Static != n.Static
		if old.Static && !n.Static {
			return false // learning does not overwrite a static entry
		}
		*old = n
		return changed
	}
	t.byKey[k] = &n
	return true
}

func (t *neighbors) del(sw uint32, a netip.Addr) (Neighbor, bool) {
	t.init()
	k := neighborKey{sw, a}
	n, ok := t.byKey[k]
	if !ok {
		return Neighbor{}, false
	}
	delete(t.byKey, k)
	return *n, true
}

// list returns the entries of one family (and one interface, NoIndex for
// all), by interface and address.
func (t *neighbors) list(sw uint32, v6 bool) []Neighbor {
	var out []Neighbor
	for _, n := range t.byKey {
		if n.IP.Is6() == v6 && (sw == NoIndex || sw == n.SwIfIndex) {
			out = append(out, *n)
		}
	}
	slices.SortFunc(out, func(a, b Neighbor) int {
		if a.SwIfIndex != b.SwIfIndex {
			return int(a.SwIfIndex) - int(b.SwIfIndex)
		}
		return a.IP.Compare(b.IP)
	})
	return out
}

// Neighbors returns the neighbour table, IPv4 then IPv6.
func (s *Sim) Neighbors() []Neighbor {
	s.nb.mu.Lock()
	defer s.nb.mu.Unlock()
	return append(s.nb.list(NoIndex, false), s.nb.list(NoIndex, true)...)
}

// SetNeighbor adds (or replaces) a neighbour, as `set ip neighbor` does.
func (s *Sim) SetNeighbor(ifName string, a netip.Addr, mac [6]byte, static bool) error {
	x, err := s.Interface(ifName)
	if err != nil {
		return err
	}
	n := Neighbor{SwIfIndex: x.SwIfIndex, IP: a.Unmap(), MAC: mac, Static: static, Updated: time.Now()}
	s.nb.mu.Lock()
	changed := s.nb.set(n)
	s.nb.mu.Unlock()
	if changed {
		s.neighborEvents([]neighborEvent{{n: n}})
	}
	return nil
}

// DeleteNeighbor removes a neighbour, as `set ip neighbor del` does.
func (s *Sim) DeleteNeighbor(ifName string, a netip.Addr) error {
	x, err := s.Interface(ifName)
	if err != nil {
		return err
	}
	s.nb.mu.Lock()
	n, ok := s.nb.del(x.SwIfIndex, a.Unmap())
	s.nb.mu.Unlock()
	if !ok {
		return fmt.Errorf("no neighbor %s on %s", a, ifName)
	}
	s.neighborEvents([]neighborEvent{{n: n, removed: true}})
	return nil
}

// SetAddress adds or removes an interface address, as `set interface ip
// address [del]` does.
func (s *Sim) SetAddress(ifName string, p netip.Prefix, del bool) error {
	return s.change(ifName, func(_ *model, x *iface) error {
		i := slices.Index(x.Addresses, p)
		switch {
		case del && i < 0:
			return fmt.Errorf("address %s not found on %s", p, ifName)
		case del:
			x.Addresses = slices.Delete(x.Addresses, i, i+1)
		case i < 0:
			x.Addresses = append(x.Addresses, p)
		}
		return nil
	})
}

// learnNeighbors is ARP/ND on the simulated wire: an interface's scenario
// neighbours that are static are set once; the dynamic ones are learnt (and
// refreshed) while the interface passes traffic and forgotten when it goes
// down. It runs with the traffic ticker.
func (s *Sim) learnNeighbors() {
	var set, learn []Neighbor
	up := map[uint32]bool{}
	s.mu.Lock()
	if s.model != nil {
		for _, x := range s.model.ifs {
			if x == nil || len(x.peers) == 0 {
				continue
			}
			passing := x.Rates.RxPPS > 0 && x.AdminUp && s.model.linkUp(x)
			up[x.SwIfIndex] = passing
			for _, n := range x.peers {
				n.SwIfIndex = x.SwIfIndex
				switch {
				case n.Static && !x.peersSet:
					set = append(set, n)
				case !n.Static && passing:
					learn = append(learn, n)
				}
			}
			x.peersSet = true
		}
	}
	s.mu.Unlock()
	now := time.Now()
	var evs []neighborEvent
	s.nb.mu.Lock()
	s.nb.init()
	for _, n := range append(set, learn...) {
		n.Updated = now
		if s.nb.set(n) {
			evs = append(evs, neighborEvent{n: n})
		}
	}
	for k, n := range s.nb.byKey {
		if passing, known := up[k.sw]; known && !passing && !n.Static {
			delete(s.nb.byKey, k)
			evs = append(evs, neighborEvent{n: *n, removed: true})
		}
	}
	s.nb.mu.Unlock()
	s.neighborEvents(evs)
}

// forgetNeighbors drops every neighbour (VPP restarted).
func (s *Sim) forgetNeighbors() {
	s.nb.mu.Lock()
	clear(s.nb.byKey)
	clear(s.nb.eventTo)
	s.nb.mu.Unlock()
}

func (s *Sim) neighborEvents(evs []neighborEvent) {
	if len(evs) == 0 {
		return
	}
	s.nb.mu.Lock()
	targets := make(map[*apiConn]uint32, len(s.nb.eventTo))
	for c, pid := range s.nb.eventTo {
		targets[c] = pid
	}
	s.nb.mu.Unlock()
	for c, pid := range targets {
		for _, ev := range evs {
			c.sendNeighborEvent(pid, ev)
		}
		_ = c.flush()
	}
}

func (c *apiConn) sendNeighborEvent(pid uint32, ev neighborEvent) {
	flags := ip_neighbor.IP_NEIGHBOR_API_EVENT_FLAG_ADDED
	if ev.removed {
		flags = ip_neighbor.IP_NEIGHBOR_API_EVENT_FLAG_REMOVED
	}
	m := &ip_neighbor.IPNeighborEventV2{PID: pid, Flags: flags, Neighbor: apiNeighbor(ev.n)}
	id, ok := c.srv.sim.table.MsgID(m)
	if !ok {
		return
	}
	data, err := codec.EncodeMsg(m, id)
	if err != nil {
		c.srv.log.WithError(err).Error("encoding ip_neighbor_event_v2")
		return
	}
	binary.BigEndian.PutUint32(data[2:6], c.index)
	c.write(data, vppPointer, false)
}

func apiNeighbor(n Neighbor) ip_neighbor.IPNeighbor {
	var flags ip_neighbor.IPNeighborFlags
	if n.Static {
		flags = ip_neighbor.IP_API_NEIGHBOR_FLAG_STATIC
	}
	return ip_neighbor.IPNeighbor{
		SwIfIndex:  interface_types.InterfaceIndex(n.SwIfIndex),
		Flags:      flags,
		MacAddress: ethernet_types.MacAddress(n.MAC),
		IPAddress:  apiPrefix(netip.PrefixFrom(n.IP, n.IP.BitLen())).Address,
	}
}

// ipNeighborDump sends one family's entries of one interface (~0: all),
// with their age in seconds.
func (s *Sim) ipNeighborDump(c *apiConn, context uint32, msg api.Message) {
	req := msg.(*ip_neighbor.IPNeighborDump)
	s.nb.mu.Lock()
	list := s.nb.list(uint32(req.SwIfIndex), req.Af == ip_types.ADDRESS_IP6)
	s.nb.mu.Unlock()
	now := time.Now()
	out := make([]*ip_neighbor.IPNeighborDetails, 0, len(list))
	for _, n := range list {
		out = append(out, &ip_neighbor.IPNeighborDetails{Age: now.Sub(n.Updated).Seconds(), Neighbor: apiNeighbor(n)})
	}
	sendDetails(c, context, out)
}

// wantIPNeighborEventsV2 registers a client for every interface's events
// (VPP's filter by sw_if_index and address is not simulated).
func (s *Sim) wantIPNeighborEventsV2(c *apiConn, context uint32, msg api.Message) {
	req := msg.(*ip_neighbor.WantIPNeighborEventsV2)
	s.nb.mu.Lock()
	s.nb.init()
	if req.Enable {
		s.nb.eventTo[c] = req.PID
	} else {
		delete(s.nb.eventTo, c)
	}
	s.nb.mu.Unlock()
	c.send(context, &ip_neighbor.WantIPNeighborEventsV2Reply{})
}

// dropNeighborClient forgets a closed connection's registration.
func (s *Sim) dropNeighborClient(c *apiConn) {
	s.nb.mu.Lock()
	delete(s.nb.eventTo, c)
	s.nb.mu.Unlock()
}

// neighborCLI is `set ip neighbor [del] <if> <ip> <mac> [static]`.
func (s *Sim) neighborCLI(f []string) string {
	del := len(f) > 0 && f[0] == "del"
	if del {
		f = f[1:]
	}
	if len(f) < 2 || (!del && len(f) < 3) {
		return "set ip neighbor: expected [del] <interface> <ip-address> <mac-address> [static]\n"
	}
	a, err := netip.ParseAddr(f[1])
	if err != nil {
		return fmt.Sprintf("set ip neighbor: unknown input `%s'\n", f[1])
	}
	if del {
		if err := s.DeleteNeighbor(f[0], a); err != nil {
			return "set ip neighbor: " + err.Error() + "\n"
		}
		return ""
	}
	hw, err := net.ParseMAC(f[2])
	if err != nil || len(hw) != 6 {
		return fmt.Sprintf("set ip neighbor: unknown input `%s'\n", f[2])
	}
	static := len(f) > 3 && f[3] == "static"
	if err := s.SetNeighbor(f[0], a, [6]byte(hw), static); err != nil {
		return "set ip neighbor: " + err.Error() + "\n"
	}
	return ""
}

// addressCLI is `set interface ip address [del] <if> <addr/len>`.
func (s *Sim) addressCLI(f []string) string {
	del := len(f) > 0 && f[0] == "del"
	if del {
		f = f[1:]
	}
	if len(f) < 2 {
		return "set interface ip address: expected [del] <interface> <address>/<length>\n"
	}
	p, err := netip.ParsePrefix(f[1])
	if err != nil {
		return fmt.Sprintf("set interface ip address: unknown input `%s'\n", f[1])
	}
	if err := s.SetAddress(f[0], p, del); err != nil {
		return "set interface ip address: " + err.Error() + "\n"
	}
	return ""
}

// showNeighbors is `show ip neighbors`, in VPP's layout.
func (s *Sim) showNeighbors() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%10s%25s%25s%20s%25s\n", "Age", "IP", "Flags", "Ethernet", "Interface")
	now := time.Now()
	names := map[uint32]string{}
	for _, x := range s.Interfaces() {
		names[x.SwIfIndex] = x.Name
	}
	for _, n := range s.Neighbors() {
		flag := "D"
		if n.Static {
			flag = "S"
		}
		fmt.Fprintf(&b, "%10.4f%25s%25s%20s%25s\n", now.Sub(n.Updated).Seconds(), n.IP, flag, net.HardwareAddr(n.MAC[:]), names[n.SwIfIndex])
	}
	return b.String()
}
