package vppsim

import (
	"encoding/binary"
	"net/netip"
	"os"
	"reflect"
	"strings"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/bond"
	"go.fd.io/govpp/binapi/ethernet_types"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/ip_neighbor"
	"go.fd.io/govpp/binapi/ip_types"
	"go.fd.io/govpp/binapi/lcp"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/binapi/vpe"
	"go.fd.io/govpp/codec"
)

// VPP's return values (vnet/api_errno.h) the handlers use.
const (
	rvInvalidSwIfIndex    = -2
	rvInvalidValue        = -7
	rvInvalidRegistration = -31
	rvEAGAIN              = -165
)

// handlerSpecs lists what the simulator answers. A message is served only if
// the announced table has it: with 26.06's table lcp_itf_pair_get is absent
// and so unusable, as against that VPP.
func (s *Sim) handlerSpecs() []handler {
	spec := func(m api.Message, fn func(*apiConn, uint32, api.Message)) handler {
		return handler{
			name: m.GetMessageName() + "_" + m.GetCrcString(),
			new:  newOf(m),
			fn:   fn,
		}
	}
	return []handler{
		spec(&memclnt.SockclntCreate{}, s.sockclntCreate),
		spec(&memclnt.SockclntDelete{}, s.sockclntDelete),
		spec(&memclnt.ControlPing{}, s.controlPing),
		spec(&vpe.ShowVersion{}, s.showVersion),
		spec(&interfaces.SwInterfaceDump{}, s.swInterfaceDump),
		spec(&interfaces.WantInterfaceEvents{}, s.wantInterfaceEvents),
		spec(&interfaces.SwInterfaceSetFlags{}, s.swInterfaceSetFlags),
		spec(&interfaces.CollectDetailedInterfaceStats{}, s.collectDetailedStats),
		spec(&ip.IPAddressDump{}, s.ipAddressDump),
		spec(&ip_neighbor.IPNeighborDump{}, s.ipNeighborDump),
		spec(&ip_neighbor.WantIPNeighborEventsV2{}, s.wantIPNeighborEventsV2),
		spec(&bond.SwBondInterfaceDump{}, s.swBondInterfaceDump),
		spec(&bond.SwMemberInterfaceDump{}, s.swMemberInterfaceDump),
		spec(&lcp.LcpItfPairGet{}, s.lcpItfPairGet),
	}
}

// newOf makes a constructor of fresh messages of m's type (handlers must
// not share one value between connections).
func newOf(m api.Message) func() api.Message {
	t := reflect.TypeOf(m).Elem()
	return func() api.Message { return reflect.New(t).Interface().(api.Message) }
}

// sockclntCreate answers with the client index and the message table. The
// reply is a "request"-shaped message (client_index before context); VPP
// leaves header bytes 0..8 zero on it.
func (s *Sim) sockclntCreate(c *apiConn, context uint32, _ api.Message) {
	entries := make([]memclnt.MessageTableEntry, len(s.table.Entries))
	for i, e := range s.table.Entries {
		entries[i] = memclnt.MessageTableEntry{Index: e.ID, Name: e.NameCRC}
	}
	reply := &memclnt.SockclntCreateReply{
		Index:        c.index,
		Count:        uint16(len(entries)),
		MessageTable: entries,
	}
	id, ok := s.table.MsgID(reply)
	if !ok {
		c.srv.log.Warn("cannot answer sockclnt_create: sockclnt_create_reply is not in the message table")
		return
	}
	data, err := codec.EncodeMsg(reply, id)
	if err != nil {
		c.srv.log.WithError(err).Error("encoding sockclnt_create_reply")
		return
	}
	binary.BigEndian.PutUint32(data[6:10], context)
	c.write(data, [8]byte{}, true)
}

// sockclntDelete answers and closes the connection. VPP answers response 1
// (govpp v0.13.0 logs that as an error at debug level and carries on).
func (s *Sim) sockclntDelete(c *apiConn, context uint32, _ api.Message) {
	c.send(context, &memclnt.SockclntDeleteReply{Response: 1})
	c.markClosing()
}

func (s *Sim) controlPing(c *apiConn, context uint32, _ api.Message) {
	c.send(context, &memclnt.ControlPingReply{VpePID: uint32(os.Getpid())})
}

func (s *Sim) showVersion(c *apiConn, context uint32, _ api.Message) {
	v := s.version()
	c.send(context, &vpe.ShowVersionReply{
		Program:        v.Program,
		Version:        v.Version,
		BuildDate:      v.BuildDate,
		BuildDirectory: v.BuildDirectory,
	})
}

// details builds sw_interface_details as send_sw_interface_details does.
func (m *model) details(x *iface) *interfaces.SwInterfaceDetails {
	hw := x
	if x.Kind == KindSub {
		if p := m.get(x.SupSwIfIndex); p != nil {
			hw = p
		}
	}
	var flags interface_types.IfStatusFlags
	if x.AdminUp {
		flags |= interface_types.IF_STATUS_API_FLAG_ADMIN_UP
	}
	if hw.hwLink {
		flags |= interface_types.IF_STATUS_API_FLAG_LINK_UP
	}
	typ := interface_types.IF_API_TYPE_HARDWARE
	if x.Kind == KindSub {
		typ = interface_types.IF_API_TYPE_SUB
	}
	return &interfaces.SwInterfaceDetails{
		SwIfIndex:        interface_types.InterfaceIndex(x.SwIfIndex),
		SupSwIfIndex:     x.SupSwIfIndex,
		L2Address:        ethernet_types.MacAddress(x.MAC),
		Flags:            flags,
		Type:             typ,
		LinkDuplex:       interface_types.LinkDuplex(hw.LinkDuplex),
		LinkSpeed:        hw.LinkSpeed,
		LinkMtu:          hw.LinkMTU,
		Mtu:              []uint32{x.MTU[0], x.MTU[1], x.MTU[2], x.MTU[3]},
		SubID:            x.SubID,
		SubNumberOfTags:  x.SubTags,
		SubOuterVlanID:   x.OuterVlan,
		SubInnerVlanID:   x.InnerVlan,
		SubIfFlags:       interface_types.SubIfFlags(x.SubIfFlags),
		InterfaceName:    x.Name,
		InterfaceDevType: x.DevType,
		Tag:              x.Tag,
	}
}

// swInterfaceDump follows vl_api_sw_interface_dump_t_handler: a single
// interface when no name filter is given and sw_if_index is neither ~0 nor
// 0 (nothing if it does not exist); otherwise every interface whose name
// contains the filter, ignoring case (strcasestr). The details-drop fault
// thins the answer.
func (s *Sim) swInterfaceDump(c *apiConn, context uint32, msg api.Message) {
	req := msg.(*interfaces.SwInterfaceDump)
	idx := uint32(req.SwIfIndex)
	var out []*interfaces.SwInterfaceDetails
	s.mu.Lock()
	m := s.model
	switch {
	case !req.NameFilterValid && idx != NoIndex && idx != 0:
		if x := m.get(idx); x != nil {
			out = append(out, m.details(x))
		}
	default:
		filter := strings.ToLower(req.NameFilter)
		out = make([]*interfaces.SwInterfaceDetails, 0, len(m.ifs))
		for _, x := range m.ifs {
			if x == nil {
				continue
			}
			if req.NameFilterValid && !strings.Contains(strings.ToLower(x.Name), filter) {
				continue
			}
			out = append(out, m.details(x))
		}
	}
	s.mu.Unlock()
	if drop := s.faults.detailsToDrop(len(out)); drop != nil {
		kept := out[:0]
		for i, d := range out {
			if !drop[i] {
				kept = append(kept, d)
			}
		}
		out = kept
	}
	sendDetails(c, context, out)
}

// wantInterfaceEvents is VPP's pub_sub_handler: a second enable or a disable
// without registration is INVALID_REGISTRATION.
func (s *Sim) wantInterfaceEvents(c *apiConn, context uint32, msg api.Message) {
	req := msg.(*interfaces.WantInterfaceEvents)
	rv := int32(0)
	srv := c.srv
	srv.mu.Lock()
	_, registered := srv.eventTo[c.index]
	switch {
	case registered && req.EnableDisable != 0:
		rv = rvInvalidRegistration
	case registered:
		delete(srv.eventTo, c.index)
	case req.EnableDisable == 0:
		rv = rvInvalidRegistration
	default:
		srv.eventTo[c.index] = req.PID
	}
	srv.mu.Unlock()
	c.send(context, &interfaces.WantInterfaceEventsReply{Retval: rv})
}

func (s *Sim) swInterfaceSetFlags(c *apiConn, context uint32, msg api.Message) {
	req := msg.(*interfaces.SwInterfaceSetFlags)
	rv := int32(0)
	s.mu.Lock()
	if x := s.model.get(uint32(req.SwIfIndex)); x == nil {
		rv = rvInvalidSwIfIndex
	} else {
		s.model.setAdmin(x, req.Flags&interface_types.IF_STATUS_API_FLAG_ADMIN_UP != 0)
		s.commitLocked()
	}
	s.mu.Unlock()
	c.send(context, &interfaces.SwInterfaceSetFlagsReply{Retval: rv})
}

func (s *Sim) collectDetailedStats(c *apiConn, context uint32, msg api.Message) {
	req := msg.(*interfaces.CollectDetailedInterfaceStats)
	rv := int32(0)
	s.mu.Lock()
	if x := s.model.get(uint32(req.SwIfIndex)); x == nil {
		rv = rvInvalidSwIfIndex
	} else {
		x.DetailedStats = req.EnableDisable
	}
	s.mu.Unlock()
	c.send(context, &interfaces.CollectDetailedInterfaceStatsReply{Retval: rv})
}

// ipAddressDump sends the configured addresses of one family (VPP sends no
// link-local addresses here); nothing for an unknown interface.
func (s *Sim) ipAddressDump(c *apiConn, context uint32, msg api.Message) {
	req := msg.(*ip.IPAddressDump)
	var out []*ip.IPAddressDetails
	s.mu.Lock()
	if x := s.model.get(uint32(req.SwIfIndex)); x != nil {
		for _, p := range x.Addresses {
			if p.Addr().Is6() != req.IsIPv6 {
				continue
			}
			out = append(out, &ip.IPAddressDetails{
				SwIfIndex: req.SwIfIndex,
				Prefix:    apiPrefix(p),
			})
		}
	}
	s.mu.Unlock()
	sendDetails(c, context, out)
}

func (s *Sim) swBondInterfaceDump(c *apiConn, context uint32, msg api.Message) {
	req := msg.(*bond.SwBondInterfaceDump)
	filter := uint32(req.SwIfIndex)
	var out []*bond.SwBondInterfaceDetails
	s.mu.Lock()
	m := s.model
	for _, x := range m.ifs {
		if x == nil || x.Kind != KindBond || (filter != NoIndex && filter != x.SwIfIndex) {
			continue
		}
		out = append(out, &bond.SwBondInterfaceDetails{
			SwIfIndex:     interface_types.InterfaceIndex(x.SwIfIndex),
			ID:            x.BondID,
			Mode:          bond.BondMode(x.BondMode),
			Lb:            bond.BondLbAlgo(x.BondLB),
			ActiveMembers: m.activeMembers(x),
			Members:       uint32(len(x.members)),
			InterfaceName: x.Name,
		})
	}
	s.mu.Unlock()
	sendDetails(c, context, out)
}

func (s *Sim) swMemberInterfaceDump(c *apiConn, context uint32, msg api.Message) {
	req := msg.(*bond.SwMemberInterfaceDump)
	var out []*bond.SwMemberInterfaceDetails
	s.mu.Lock()
	m := s.model
	if b := m.get(uint32(req.SwIfIndex)); b != nil && b.Kind == KindBond {
		for _, mi := range b.members {
			if x := m.get(mi); x != nil {
				out = append(out, &bond.SwMemberInterfaceDetails{
					SwIfIndex:     interface_types.InterfaceIndex(mi),
					InterfaceName: x.Name,
					IsLocalNuma:   true,
				})
			}
		}
	}
	s.mu.Unlock()
	sendDetails(c, context, out)
}

// lcpItfPairGet is VPP's REPLY_AND_DETAILS_MACRO cursor protocol: details
// from the pool entry at the cursor (or the next used one: a cursor of ~0
// wraps to the start, as VPP's u32 arithmetic does), then the reply with
// the cursor to resume from (~0 when done, retval EAGAIN when a batch
// limit cut the walk short).
func (s *Sim) lcpItfPairGet(c *apiConn, context uint32, msg api.Message) {
	req := msg.(*lcp.LcpItfPairGet)
	var out []*lcp.LcpItfPairDetails
	rv := int32(0)
	s.mu.Lock()
	pairs := s.model.pairs
	next := func(i uint32) uint32 {
		for j := uint64(uint32(i + 1)); j < uint64(len(pairs)); j++ {
			if pairs[j] != nil {
				return uint32(j)
			}
		}
		return NoIndex
	}
	used := func(i uint32) bool { return uint64(i) < uint64(len(pairs)) && pairs[i] != nil }
	empty := true
	for _, p := range pairs {
		if p != nil {
			empty = false
			break
		}
	}
	cursor := req.Cursor
	if empty {
		cursor = NoIndex
	} else {
		if !used(cursor) {
			cursor = next(cursor)
			if cursor == NoIndex {
				rv = rvInvalidValue
			}
		}
		batch := s.cfg.LCPBatch
		for n := 0; cursor != NoIndex; {
			p := pairs[cursor]
			out = append(out, &lcp.LcpItfPairDetails{
				PhySwIfIndex:  interface_types.InterfaceIndex(p.PhySwIfIndex),
				HostSwIfIndex: interface_types.InterfaceIndex(p.HostSwIfIndex),
				VifIndex:      p.VifIndex,
				HostIfName:    p.HostIfName,
				HostIfType:    lcp.LcpItfHostType(p.HostIfType),
				Netns:         p.Netns,
			})
			n++
			cursor = next(cursor)
			if batch > 0 && n >= batch {
				if cursor != NoIndex {
					rv = rvEAGAIN
				}
				break
			}
		}
	}
	s.mu.Unlock()
	if !sendDetails(c, context, out) {
		return
	}
	c.send(context, &lcp.LcpItfPairGetReply{Retval: rv, Cursor: cursor})
}

// sendEvent writes one sw_interface_event: no context, the client's index
// and the pid it registered with.
func (c *apiConn) sendEvent(pid uint32, ev ifEvent) {
	m := &interfaces.SwInterfaceEvent{
		PID:       pid,
		SwIfIndex: interface_types.InterfaceIndex(ev.swIfIndex),
		Flags:     interface_types.IfStatusFlags(ev.flags),
		Deleted:   ev.deleted,
	}
	id, ok := c.srv.sim.table.MsgID(m)
	if !ok {
		return
	}
	data, err := codec.EncodeMsg(m, id)
	if err != nil {
		c.srv.log.WithError(err).Error("encoding sw_interface_event")
		return
	}
	binary.BigEndian.PutUint32(data[2:6], c.index)
	c.write(data, vppPointer, false)
}

// apiPrefix encodes an address with its prefix length, host bits kept
// (VPP reports 192.0.2.1/24, not the network).
func apiPrefix(p netip.Prefix) ip_types.AddressWithPrefix {
	var a ip_types.Address
	if p.Addr().Is4() {
		a.Af = ip_types.ADDRESS_IP4
		a.Un.SetIP4(ip_types.IP4Address(p.Addr().As4()))
	} else {
		a.Af = ip_types.ADDRESS_IP6
		a.Un.SetIP6(ip_types.IP6Address(p.Addr().As16()))
	}
	return ip_types.AddressWithPrefix{Address: a, Len: uint8(p.Bits())}
}
