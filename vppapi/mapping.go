package vppapi

import (
	"strings"

	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// lacpMuxCollectingDistributing is VPP's LACP_MUX_STATE_COLLECTING_DISTRIBUTING
// (src/plugins/lacp/mux_machine.h): the member carries traffic for the bond.
const lacpMuxCollectingDistributing = 3

// fromDetails maps one sw_interface_details to a model.Interface.
func fromDetails(d *interfaces.SwInterfaceDetails) model.Interface {
	var mtu uint32
	if len(d.Mtu) > 0 {
		mtu = d.Mtu[0] // L3 MTU; mtu[1..3] (ip4/ip6/mpls) are 0 on 26.06
	}
	in := model.Interface{
		SwIfIndex:    uint32(d.SwIfIndex),
		SupSwIfIndex: d.SupSwIfIndex,
		Name:         cString(d.InterfaceName),
		DevType:      devType(cString(d.InterfaceDevType)),
		Sub:          d.Type == interface_types.IF_API_TYPE_SUB,
		AdminUp:      d.Flags&interface_types.IF_STATUS_API_FLAG_ADMIN_UP != 0,
		LinkUp:       d.Flags&interface_types.IF_STATUS_API_FLAG_LINK_UP != 0,
		LinkSpeed:    d.LinkSpeed,
		MTU:          mtu,
		LinkMTU:      uint32(d.LinkMtu),
		MAC:          [6]byte(d.L2Address),
		Duplex:       model.Duplex(d.LinkDuplex),
	}
	in.SetTag(cString(d.Tag))
	return in
}

// devTypes are the device types VPP sends, so that 100,000 sub-interfaces
// share one "dpdk" rather than hold a copy each.
var devTypes = func() map[string]string {
	m := map[string]string{}
	for _, t := range []string{"dpdk", "af-packet", "af_packet", "memif", "rdma", "avf", "af_xdp", "vmxnet3",
		"virtio", "tap", "tun", "Loopback", "bond", "VXLAN", "GRE tunnel device", "ipip", "wireguard", "local",
		"geneve", "gtpu", "vxlan-gpe", "IPSec", "octeon", "ena", "idpf"} {
		m[t] = t
	}
	return m
}()

// devType returns s, shared where it is a known device type.
func devType(s string) string {
	if t, ok := devTypes[s]; ok {
		return t
	}
	return s
}

// cString cuts a fixed-size VPP string at its first NUL; govpp does this for
// fixed arrays already, this keeps the mapping right for any decoder.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// bondInfo is what the bond dumps said about one bond.
type bondInfo struct {
	swIfIndex uint32
	lacp      bool     // mode LACP: membership is decided by the LACP mux
	members   []uint32 // sw_if_index of each member, in VPP's order
}

// lcpPair is one linux-cp pair.
type lcpPair struct {
	phy, host uint32
	hostName  string
}

// assemble adds bond members and linux-cp pairs to the interfaces in ifs
// (indexed through pos: sw_if_index to position in ifs). muxState holds the
// LACP mux state per member sw_if_index; nil when VPP has no lacp plugin.
//
// A member is active when it carries traffic for the bond: for LACP bonds
// when its mux is collecting-distributing (or, without the lacp plugin, when
// it is admin and link up); for the other modes when it is admin and link up,
// which is when VPP's bond adds it to the active members.
func assemble(ifs []model.Interface, bonds []bondInfo, muxState map[uint32]uint32, pairs []lcpPair) {
	pos := make(map[uint32]int, len(ifs))
	for i := range ifs {
		pos[ifs[i].SwIfIndex] = i
	}
	for _, b := range bonds {
		bi, ok := pos[b.swIfIndex]
		if !ok {
			continue // bond vanished between the dumps
		}
		members := make([]model.BondMember, 0, len(b.members))
		for _, m := range b.members {
			active := false
			if mi, ok := pos[m]; ok {
				active = ifs[mi].AdminUp && ifs[mi].LinkUp
			}
			if b.lacp && muxState != nil {
				st, ok := muxState[m]
				active = ok && st == lacpMuxCollectingDistributing
			}
			members = append(members, model.BondMember{SwIfIndex: m, Active: active})
		}
		ifs[bi].SetBondMembers(members)
	}
	for _, p := range pairs {
		if i, ok := pos[p.phy]; ok {
			ifs[i].SetLCPHost(cString(p.hostName), p.host)
		}
	}
}
