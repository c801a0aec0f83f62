package model

import (
	"net/netip"
	"time"
)

// Interface is what VPP says of one interface, as plain data: vppapi fills it
// from sw_interface_details, linux-cp pairs and bond dumps, so that mib never
// imports govpp.
//
// What nearly every interface lacks (a tag, bond members, a linux-cp pair)
// is behind one pointer, nil when it has none of them: the agent keeps an
// array of these per full dump, two at once, 100,000 long on a large router.
// That took Interface from 128 bytes to 72 (TestInterfaceSize).
type Interface struct {
	// _ keeps Interface incomparable: == would compare the extra pointer,
	// not what it points to. Zero bytes, first so that it adds no padding.
	_ [0]func()

	SwIfIndex    uint32
	SupSwIfIndex uint32 // parent of a sub-interface; its own index otherwise
	Name         string // VPP interface name, e.g. TenGigabitEthernet3/0/0.100
	DevType      string // InterfaceDevType as VPP sends it: "dpdk", "af-packet", "Loopback", "VXLAN", ...
	Sub          bool   // Type == IF_API_TYPE_SUB
	AdminUp      bool   // Flags bit 1
	LinkUp       bool   // Flags bit 2
	LinkSpeed    uint32 // kbit/s, 0 where unknown
	MTU          uint32 // L3 MTU (mtu[0]); 0 when unset
	LinkMTU      uint32
	MAC          [6]byte
	// Duplex is link_duplex. Only hardware drivers (dpdk) report one;
	// af_packet, memif, loopbacks and tunnels say unknown.
	Duplex Duplex
	// extra is nil when every field of Extra is its zero value (BondMembers
	// nil), so that reflect.DeepEqual of two Interfaces says what it said
	// when these were fields. Never written through: interfaces are copied
	// by value and share it (SetExtra makes a new one).
	extra *Extra
}

// Extra is what few interfaces have.
type Extra struct {
	Tag string // VPP interface tag (used for ifAlias when vppcfg has none)
	// LCPHostName is the Linux host interface name of a linux-cp pair whose
	// phy side this interface is (e.g. "e0"); empty when it has none.
	LCPHostName string
	// BondMembers lists the sw_if_index of each member of a bond interface
	// (empty for anything else), with whether the member is active.
	BondMembers []BondMember
	// LCPHostSwIfIndex is the VPP tap side of that pair (valid when
	// LCPHostName is set).
	LCPHostSwIfIndex uint32
}

// WithExtra returns in with its Extra set to e.
func WithExtra(in Interface, e Extra) Interface {
	in.SetExtra(e)
	return in
}

// Extra returns a copy of in's Extra (the zero Extra when it has none).
func (in *Interface) Extra() Extra {
	if in == nil || in.extra == nil {
		return Extra{}
	}
	return *in.extra
}

// SetExtra sets in's Extra to e, without touching the one in had: other
// copies of in may share it.
func (in *Interface) SetExtra(e Extra) {
	if e.Tag == "" && e.LCPHostName == "" && e.BondMembers == nil && e.LCPHostSwIfIndex == 0 {
		in.extra = nil
		return
	}
	in.extra = &e
}

// Tag is VPP's interface tag.
func (in *Interface) Tag() string {
	if in == nil || in.extra == nil {
		return ""
	}
	return in.extra.Tag
}

// BondMembers are a bond's members; nil for anything else.
func (in *Interface) BondMembers() []BondMember {
	if in == nil || in.extra == nil {
		return nil
	}
	return in.extra.BondMembers
}

// LCPHostName is the host name of the linux-cp pair in is the phy of.
func (in *Interface) LCPHostName() string {
	if in == nil || in.extra == nil {
		return ""
	}
	return in.extra.LCPHostName
}

// LCPHostSwIfIndex is the tap side of the linux-cp pair in is the phy of.
func (in *Interface) LCPHostSwIfIndex() uint32 {
	if in == nil || in.extra == nil {
		return 0
	}
	return in.extra.LCPHostSwIfIndex
}

// SetTag sets in's tag.
func (in *Interface) SetTag(tag string) {
	if tag == in.Tag() {
		return // nothing to copy: most interfaces have no tag
	}
	e := in.Extra()
	e.Tag = tag
	in.SetExtra(e)
}

// SetBondMembers sets in's bond members.
func (in *Interface) SetBondMembers(m []BondMember) {
	e := in.Extra()
	e.BondMembers = m
	in.SetExtra(e)
}

// SetLCPHost sets the linux-cp pair in is the phy of.
func (in *Interface) SetLCPHost(name string, sw uint32) {
	e := in.Extra()
	e.LCPHostName, e.LCPHostSwIfIndex = name, sw
	in.SetExtra(e)
}

// Duplex is VPP's link_duplex (vnet_link_duplex_t's API values).
type Duplex uint8

// VPP's link_duplex values.
const (
	DuplexUnknown Duplex = 0
	DuplexHalf    Duplex = 1
	DuplexFull    Duplex = 2
)

// BondMember is one member of a bond.
type BondMember struct {
	SwIfIndex uint32
	Active    bool
}

// Counters are one interface's stats-segment counters, summed over threads.
type Counters struct {
	RxPackets, RxBytes uint64 // /if/rx
	TxPackets, TxBytes uint64 // /if/tx

	RxUnicastPackets, RxUnicastBytes     uint64 // /if/rx-unicast
	RxMulticastPackets, RxMulticastBytes uint64 // /if/rx-multicast
	RxBroadcastPackets, RxBroadcastBytes uint64 // /if/rx-broadcast
	TxUnicastPackets, TxUnicastBytes     uint64 // /if/tx-unicast
	TxMulticastPackets, TxMulticastBytes uint64 // /if/tx-multicast
	TxBroadcastPackets, TxBroadcastBytes uint64 // /if/tx-broadcast

	Drops   uint64 // /if/drops
	Punts   uint64 // /if/punt
	RxNoBuf uint64 // /if/rx-no-buf
	RxMiss  uint64 // /if/rx-miss
	RxError uint64 // /if/rx-error
	TxError uint64 // /if/tx-error
}

// Address is one IP address configured on an interface (ip_address_dump):
// the address with its prefix length, e.g. 192.0.2.1/31. VPP reports no
// IPv6 link-local addresses there.
type Address struct {
	SwIfIndex uint32
	Prefix    netip.Prefix
}

// Neighbor is one entry of VPP's IP neighbour table (ip_neighbor_dump, or
// an ip_neighbor_event).
type Neighbor struct {
	SwIfIndex uint32
	IP        netip.Addr
	MAC       [6]byte
	// Static is VPP's STATIC flag (set with "static"); others were learnt
	// from traffic (ARP, ND).
	Static bool
	// Updated is when VPP last refreshed the entry: the dump's time less
	// the age VPP gives.
	Updated time.Time
}
