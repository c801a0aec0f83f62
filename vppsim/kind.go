package vppsim

import "fmt"

// Kind is what sort of VPP interface a simulated interface is. It decides the
// name VPP gives it, the InterfaceDevType string it reports and how its link
// state behaves.
type Kind string

// The kinds the simulator knows. The InterfaceDevType strings are VPP's
// device-class names, as a real VPP 26.06 reports them (fixtures) or as its
// source names them (dpdk, bond, virtio).
const (
	KindLocal    Kind = "local"     // local0: always down, dev type "local"
	KindDPDK     Kind = "dpdk"      // physical port: link = admin up and carrier
	KindAfPacket Kind = "af-packet" // host-xxx: link follows admin (as measured)
	KindMemif    Kind = "memif"     // memifN/M: link = admin up and a peer (carrier)
	KindSub      Kind = "sub"       // dot1q / QinQ sub-interface: parent's dev type
	KindLoopback Kind = "loopback"  // loopN: dev type "Loopback", link follows admin
	KindBond     Kind = "bond"      // BondEthernetN: link = admin up and an active member
	KindTap      Kind = "tap"       // tapN (linux-cp host side): dev type "virtio"
	KindVXLAN    Kind = "vxlan"     // vxlan_tunnelN: dev type "VXLAN", link follows admin
	KindGRE      Kind = "gre"       // greN: dev type "GRE tunnel device", link follows admin
)

// devType is the InterfaceDevType VPP reports for a kind (sub-interfaces
// report their parent's, handled by the model).
func (k Kind) devType() string {
	switch k {
	case KindLocal:
		return "local"
	case KindDPDK:
		return "dpdk"
	case KindAfPacket:
		return "af-packet"
	case KindMemif:
		return "memif"
	case KindLoopback:
		return "Loopback"
	case KindBond:
		return "bond"
	case KindTap:
		// VPP's tap interfaces are virtio devices (device class "virtio").
		return "virtio"
	case KindVXLAN:
		return "VXLAN"
	case KindGRE:
		return "GRE tunnel device"
	}
	return ""
}

// kindOfDevType maps a reported InterfaceDevType back to a kind, for replays
// of captured interface lists.
func kindOfDevType(devType string, sub bool) Kind {
	if sub {
		return KindSub
	}
	switch devType {
	case "local":
		return KindLocal
	case "dpdk":
		return KindDPDK
	case "af-packet":
		return KindAfPacket
	case "memif":
		return KindMemif
	case "Loopback":
		return KindLoopback
	case "bond":
		return KindBond
	case "virtio", "tap":
		return KindTap
	case "VXLAN":
		return KindVXLAN
	case "GRE tunnel device":
		return KindGRE
	}
	// Anything else behaves like a port with a carrier.
	return KindDPDK
}

// linkFollowsAdmin is true for kinds whose hardware link goes up and down with
// the admin state (VPP's loopback, af_packet, tap, vxlan and gre device
// classes set the link flag in their admin up/down function).
func (k Kind) linkFollowsAdmin() bool {
	switch k {
	case KindAfPacket, KindLoopback, KindTap, KindVXLAN, KindGRE:
		return true
	}
	return false
}

// hasCarrier is true for kinds whose link also needs something outside VPP
// (a cable, a memif peer).
func (k Kind) hasCarrier() bool {
	return k == KindDPDK || k == KindMemif
}

// ethernet is true for kinds VPP gives an ethernet (MAC) address in
// sw_interface_details; GRE and local0 report all zeros, as do
// sub-interfaces.
func (k Kind) ethernet() bool {
	switch k {
	case KindDPDK, KindAfPacket, KindMemif, KindLoopback, KindBond, KindTap, KindVXLAN:
		return true
	}
	return false
}

// parseKind accepts the kind names of scenario files.
func parseKind(s string) (Kind, error) {
	switch Kind(s) {
	case KindLocal, KindDPDK, KindAfPacket, KindMemif, KindSub, KindLoopback, KindBond, KindTap, KindVXLAN, KindGRE:
		return Kind(s), nil
	}
	switch s {
	case "physical", "phy", "port":
		return KindDPDK, nil
	case "dot1q", "qinq", "vlan":
		return KindSub, nil
	case "lcp", "linux-cp":
		return KindTap, nil
	}
	return "", fmt.Errorf("unknown interface kind %q (want dpdk, af-packet, memif, sub, loopback, bond, tap, vxlan, gre)", s)
}
