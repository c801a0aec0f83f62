package mib

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// cellOID returns the OID of a column of ifEntry (x false) or ifXEntry.
func cellOID(x bool, col, ifIndex uint32) agentx.OID {
	base := oidIfEntry
	if x {
		base = oidIfXEntry
	}
	return append(append(agentx.OID(nil), base...), col, ifIndex)
}

// get returns a cell's value by Get, failing when it is absent.
func get(t *testing.T, s *Snapshot, x bool, col, ifIndex uint32) agentx.Value {
	t.Helper()
	v := s.Get(cellOID(x, col, ifIndex))
	if v.Type == agentx.TypeNoSuchObject || v.Type == agentx.TypeNoSuchInstance {
		t.Fatalf("Get(%s): type %d", oidString(cellOID(x, col, ifIndex)), v.Type)
	}
	return v
}

// num returns a cell's number, checking its type.
func num(t *testing.T, s *Snapshot, x bool, col, ifIndex uint32, typ agentx.VarType) uint64 {
	t.Helper()
	v := get(t, s, x, col, ifIndex)
	if v.Type != typ {
		t.Fatalf("%s: type %d, want %d", oidString(cellOID(x, col, ifIndex)), v.Type, typ)
	}
	return v.Integer
}

func octets(t *testing.T, s *Snapshot, x bool, col, ifIndex uint32) string {
	t.Helper()
	v := get(t, s, x, col, ifIndex)
	if v.Type != agentx.TypeOctetString {
		t.Fatalf("%s: type %d, want OCTET STRING", oidString(cellOID(x, col, ifIndex)), v.Type)
	}
	return string(v.Bytes)
}

const (
	ifT  = false // ifTable
	ifXT = true  // ifXTable
	i32  = agentx.TypeInteger
	c32  = agentx.TypeCounter32
	c64  = agentx.TypeCounter64
	g32  = agentx.TypeGauge32
	tt   = agentx.TypeTimeTicks
)

// TestFixtureMapping checks every interface of the real VPP 26.06 capture,
// column by column, against what RFC 2863 and docs/architecture.md ("The IF-MIB mapping") say.
func TestFixtureMapping(t *testing.T) {
	s := fixtureSnapshot(t)
	const veth0 = "\x02\xfe\x03\x4f\x56\x90"
	type counters struct {
		inOct, inU, inM, inB, inDisc, outOct, outU, outM, outB uint64
	}
	cases := []struct {
		ifIndex      uint32
		descr        string
		ifType       uint64
		mtu          uint64
		phys         string
		admin, oper  uint64
		trap, conn   uint64
		alias        string
		c            counters
		stackAbove   []uint32 // ifStackTable higher layers (0: none)
		stackBelow   []uint32
		parentSpeeds bool
	}{
		{1000, "local0", 1, 0, "", 2, 2, 1, 2, "", counters{}, []uint32{0}, []uint32{0}, false},
		{1001, "host-vpp-veth0", 6, 9000, veth0, 1, 1, 1, 1, "uplink-to-vppns1",
			// rx 167 = 13 multicast + 3 broadcast + 151; tx 138 = 2 + 1 + 135
			counters{32798, 151, 13, 3, 20, 30064, 135, 2, 1}, []uint32{1008, 1009}, []uint32{0}, false},
		{1002, "host-vpp-veth1", 6, 9000, "\x02\xfe\x45\x22\xb2\x47", 1, 1, 1, 1, "idle-port",
			counters{1496, 18, 0, 0, 18, 0, 0, 0, 0}, []uint32{0}, []uint32{0}, false},
		{1003, "loop0", 24, 9000, "\xde\xad\x00\x00\x00\x00", 1, 1, 1, 2, "",
			counters{0, 0, 0, 0, 4, 168, 4, 0, 0}, []uint32{0}, []uint32{0}, false},
		{1004, "loop1", 24, 9000, "\x02\x00\x00\x00\x01\x01", 2, 2, 1, 2, "", counters{}, []uint32{0}, []uint32{0}, false},
		// memif without a peer: admin up, link down
		{1005, "memif1/0", 6, 9000, "\x02\xfe\x22\x4b\xa3\xcd", 1, 2, 1, 1, "", counters{}, []uint32{0}, []uint32{0}, false},
		{1006, "vxlan_tunnel0", 131, 9000, "\x02\xfe\xce\x22\xef\x1e", 1, 1, 1, 2, "",
			counters{3208, 34, 0, 0, 8, 3488, 26, 0, 0}, []uint32{0}, []uint32{0}, false},
		// GRE: all-zero MAC is a zero-length ifPhysAddress
		{1007, "gre0", 131, 9000, "", 1, 1, 1, 2, "",
			counters{0, 0, 0, 0, 0, 360, 3, 0, 0}, []uint32{0}, []uint32{0}, false},
		// sub-interfaces: l2vlan, traps off, the parent's MAC, stacked on it
		{1008, "host-vpp-veth0.100", 135, 1500, veth0, 1, 1, 2, 2, "",
			counters{3650, 25, 0, 0, 0, 3650, 25, 0, 0}, []uint32{0}, []uint32{1001}, true},
		// admin down although VPP says LINK_UP (from the parent); L3 MTU 0 -> link MTU
		{1009, "host-vpp-veth0.200", 135, 9000, veth0, 2, 2, 2, 2, "", counters{}, []uint32{0}, []uint32{1001}, true},
	}
	if s.Len() != len(cases) {
		t.Fatalf("Len = %d, want %d", s.Len(), len(cases))
	}
	if v := s.Get(oid(t, "1.3.6.1.2.1.2.1.0")); v.Type != i32 || v.Integer != 10 {
		t.Errorf("ifNumber.0 = %s", format(v))
	}
	for _, c := range cases {
		t.Run(c.descr, func(t *testing.T) {
			x := c.ifIndex
			check := func(what string, got, want uint64) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %d, want %d", what, got, want)
				}
			}
			check("ifIndex", num(t, s, ifT, colIfIndex, x, i32), uint64(x))
			if got := octets(t, s, ifT, colIfDescr, x); got != c.descr {
				t.Errorf("ifDescr = %q, want %q", got, c.descr)
			}
			if got := octets(t, s, ifXT, colIfName, x); got != c.descr {
				t.Errorf("ifName = %q, want %q", got, c.descr)
			}
			check("ifType", num(t, s, ifT, colIfType, x, i32), c.ifType)
			check("ifMtu", num(t, s, ifT, colIfMtu, x, i32), c.mtu)
			// VPP 26.06 reports link speed 0 (unknown) everywhere
			check("ifSpeed", num(t, s, ifT, colIfSpeed, x, g32), 0)
			check("ifHighSpeed", num(t, s, ifXT, colIfHighSpeed, x, g32), 0)
			if got := octets(t, s, ifT, colIfPhysAddress, x); got != c.phys {
				t.Errorf("ifPhysAddress = %x, want %x", got, c.phys)
			}
			check("ifAdminStatus", num(t, s, ifT, colIfAdminStatus, x, i32), c.admin)
			check("ifOperStatus", num(t, s, ifT, colIfOperStatus, x, i32), c.oper)
			check("ifLastChange", num(t, s, ifT, colIfLastChange, x, tt), 0) // first sighting
			check("ifInOctets", num(t, s, ifT, colIfInOctets, x, c32), c.c.inOct)
			check("ifInUcastPkts", num(t, s, ifT, colIfInUcastPkts, x, c32), c.c.inU)
			check("ifInNUcastPkts", num(t, s, ifT, colIfInNUcastPkts, x, c32), c.c.inM+c.c.inB)
			check("ifInDiscards", num(t, s, ifT, colIfInDiscards, x, c32), c.c.inDisc)
			check("ifInErrors", num(t, s, ifT, colIfInErrors, x, c32), 0)
			check("ifInUnknownProtos", num(t, s, ifT, colIfInUnknownProtos, x, c32), 0)
			check("ifOutOctets", num(t, s, ifT, colIfOutOctets, x, c32), c.c.outOct)
			check("ifOutUcastPkts", num(t, s, ifT, colIfOutUcastPkts, x, c32), c.c.outU)
			check("ifOutNUcastPkts", num(t, s, ifT, colIfOutNUcastPkts, x, c32), c.c.outM+c.c.outB)
			check("ifOutDiscards", num(t, s, ifT, colIfOutDiscards, x, c32), 0)
			check("ifOutErrors", num(t, s, ifT, colIfOutErrors, x, c32), 0)
			check("ifOutQLen", num(t, s, ifT, colIfOutQLen, x, g32), 0)
			if v := get(t, s, ifT, colIfSpecific, x); v.Type != agentx.TypeObjectIdentifier || v.OID.Compare(agentx.OID{0, 0}) != 0 {
				t.Errorf("ifSpecific = %s, want OID 0.0", format(v))
			}
			check("ifInMulticastPkts", num(t, s, ifXT, colIfInMulticastPkts, x, c32), c.c.inM)
			check("ifInBroadcastPkts", num(t, s, ifXT, colIfInBroadcastPkts, x, c32), c.c.inB)
			check("ifOutMulticastPkts", num(t, s, ifXT, colIfOutMulticastPkts, x, c32), c.c.outM)
			check("ifOutBroadcastPkts", num(t, s, ifXT, colIfOutBroadcastPkts, x, c32), c.c.outB)
			check("ifHCInOctets", num(t, s, ifXT, colIfHCInOctets, x, c64), c.c.inOct)
			check("ifHCInUcastPkts", num(t, s, ifXT, colIfHCInUcastPkts, x, c64), c.c.inU)
			check("ifHCInMulticastPkts", num(t, s, ifXT, colIfHCInMulticastPkts, x, c64), c.c.inM)
			check("ifHCInBroadcastPkts", num(t, s, ifXT, colIfHCInBroadcastPkts, x, c64), c.c.inB)
			check("ifHCOutOctets", num(t, s, ifXT, colIfHCOutOctets, x, c64), c.c.outOct)
			check("ifHCOutUcastPkts", num(t, s, ifXT, colIfHCOutUcastPkts, x, c64), c.c.outU)
			check("ifHCOutMulticastPkts", num(t, s, ifXT, colIfHCOutMulticastPkts, x, c64), c.c.outM)
			check("ifHCOutBroadcastPkts", num(t, s, ifXT, colIfHCOutBroadcastPkts, x, c64), c.c.outB)
			check("ifLinkUpDownTrapEnable", num(t, s, ifXT, colIfLinkUpDownTrapEnable, x, i32), c.trap)
			check("ifPromiscuousMode", num(t, s, ifXT, colIfPromiscuousMode, x, i32), 2)
			check("ifConnectorPresent", num(t, s, ifXT, colIfConnectorPresent, x, i32), c.conn)
			if got := octets(t, s, ifXT, colIfAlias, x); got != c.alias {
				t.Errorf("ifAlias = %q, want %q", got, c.alias)
			}
			check("ifCounterDiscontinuityTime", num(t, s, ifXT, colIfCounterDiscontinuityTime, x, tt), 0)

			var above, below []uint32
			for _, k := range s.stack {
				hi, lo := uint32(k>>32), uint32(k)
				if lo == x {
					above = append(above, hi)
				}
				if hi == x {
					below = append(below, lo)
				}
			}
			if !slices.Equal(above, c.stackAbove) || !slices.Equal(below, c.stackBelow) {
				t.Errorf("ifStackTable: above %v below %v, want %v %v", above, below, c.stackAbove, c.stackBelow)
			}
		})
	}
}

// iface is a synthetic hardware interface.
func iface(sw uint32, name, dev string, up bool) model.Interface {
	return model.Interface{SwIfIndex: sw, SupSwIfIndex: sw, Name: name, DevType: dev, AdminUp: up, LinkUp: up,
		MAC: [6]byte{2, 0, 0, 0, byte(sw >> 8), byte(sw)}, MTU: 1500, LinkMTU: 9000}
}

func sub(sw, parent uint32, name string, up bool) model.Interface {
	in := iface(sw, name, "dpdk", up)
	in.SupSwIfIndex, in.Sub, in.MAC = parent, true, [6]byte{}
	return in
}

func build1(t *testing.T, ifaces []model.Interface, opt Options) *Snapshot {
	t.Helper()
	if opt.Clock == nil {
		opt.Clock = clock
	}
	s, _, _ := Build(nil, ifaces, nil, nil, t0, opt)
	return s
}

func TestIfType(t *testing.T) {
	cases := []struct {
		name, dev string
		sub       bool
		want      uint64
		connector uint64
	}{
		{"TenGigabitEthernet3/0/0", "dpdk", false, 6, 1},
		{"TenGigabitEthernet3/0/0.100", "dpdk", true, 135, 2},
		{"host-eth0", "af-packet", false, 6, 1},
		{"memif1/0", "memif", false, 6, 1},
		{"virtio-0/0/3/0", "virtio", false, 6, 1},
		{"rdma-0", "rdma", false, 6, 1},
		{"avf-0/3/2/0", "avf", false, 6, 1},
		{"loop0", "Loopback", false, 24, 2},
		{"BondEthernet0", "bond", false, 161, 2},
		{"vxlan_tunnel0", "VXLAN", false, 131, 2},
		{"gre0", "GRE tunnel device", false, 131, 2},
		{"ipip0", "ipip", false, 131, 2},
		{"wg0", "wireguard", false, 131, 2},
		{"ipsec0", "ipsec", false, 131, 2},
		{"tap1", "tap", false, 53, 2},
		{"tap2", "virtio", false, 53, 2}, // tap v2 can report the virtio class
		{"tun0", "tun", false, 53, 2},
		{"local0", "local", false, 1, 2},
		{"pg0", "pg", false, 1, 2},
	}
	var ifaces []model.Interface
	for i, c := range cases {
		in := iface(uint32(i), c.name, c.dev, true)
		in.Sub = c.sub
		if c.sub {
			in.SupSwIfIndex = 0
		}
		ifaces = append(ifaces, in)
	}
	s := build1(t, ifaces, Options{})
	for i, c := range cases {
		x := uint32(1000 + i)
		if got := num(t, s, ifT, colIfType, x, i32); got != c.want {
			t.Errorf("%s (%q): ifType %d, want %d", c.name, c.dev, got, c.want)
		}
		if got := num(t, s, ifXT, colIfConnectorPresent, x, i32); got != c.connector {
			t.Errorf("%s (%q): ifConnectorPresent %d, want %d", c.name, c.dev, got, c.connector)
		}
	}
}

func TestSpeed(t *testing.T) {
	hu := iface(1, "HundredGigabitEthernet1/0/0", "dpdk", true)
	hu.LinkSpeed = 100_000_000 // kbit/s
	ten := iface(2, "TenGigabitEthernet2/0/0", "dpdk", true)
	ten.LinkSpeed = 10_000_000
	m1 := iface(3, "TenGigabitEthernet3/0/0", "dpdk", true)
	m1.LinkSpeed = 10_000_000
	m2 := iface(4, "TenGigabitEthernet3/0/1", "dpdk", true)
	m2.LinkSpeed = 10_000_000
	m3 := iface(5, "GigabitEthernet3/0/2", "dpdk", true)
	m3.LinkSpeed = 1_000_000
	bond := iface(6, "BondEthernet0", "bond", true)
	// m3 is a member but not active (e.g. LACP not in sync): not counted
	bond.SetBondMembers([]model.BondMember{{SwIfIndex: 3, Active: true}, {SwIfIndex: 4, Active: true}, {SwIfIndex: 5, Active: false}})
	bsub := sub(7, 6, "BondEthernet0.100", true)
	fe := iface(8, "FastEthernet0", "dpdk", true)
	fe.LinkSpeed = 100_000
	odd := iface(9, "odd0", "dpdk", true)
	odd.LinkSpeed = 2_500_499 // 2.5 Gbit/s minus a little: rounds to 2500
	s := build1(t, []model.Interface{hu, ten, m1, m2, m3, bond, bsub, fe, odd}, Options{})
	cases := []struct {
		ifIndex          uint32
		ifSpeed, ifHighS uint64
	}{
		{1001, 4294967295, 100000}, // saturates; ifHighSpeed carries it
		{1002, 4294967295, 10000},
		{1005, 1_000_000_000, 1000},
		{1006, 4294967295, 20000}, // bond: two active 10G members
		{1007, 4294967295, 20000}, // sub-interface: its parent's (the bond's)
		{1008, 100_000_000, 100},
		{1009, 2_500_499_000, 2500},
	}
	for _, c := range cases {
		if got := num(t, s, ifT, colIfSpeed, c.ifIndex, g32); got != c.ifSpeed {
			t.Errorf("%d: ifSpeed %d, want %d", c.ifIndex, got, c.ifSpeed)
		}
		if got := num(t, s, ifXT, colIfHighSpeed, c.ifIndex, g32); got != c.ifHighS {
			t.Errorf("%d: ifHighSpeed %d, want %d", c.ifIndex, got, c.ifHighS)
		}
	}
}

func TestOperStatusLowerLayers(t *testing.T) {
	m1 := iface(1, "Te0", "dpdk", true)
	m1.LinkUp = false // cable out
	m2 := iface(2, "Te1", "dpdk", false)
	bond := iface(3, "BondEthernet0", "bond", true)
	bond.LinkUp = false
	bond.SetBondMembers([]model.BondMember{{SwIfIndex: 1, Active: true}, {SwIfIndex: 2, Active: true}})
	bsub := sub(4, 3, "BondEthernet0.10", true)
	parent := iface(5, "Te2", "dpdk", true)
	parent.LinkUp = false
	psub := sub(6, 5, "Te2.20", true)
	psub.LinkUp = true // VPP may still say LINK_UP
	downSub := sub(7, 5, "Te2.30", false)
	upParent := iface(8, "Te3", "dpdk", true)
	upSub := sub(9, 8, "Te3.40", true)
	emptyBond := iface(10, "BondEthernet1", "bond", true)
	emptyBond.LinkUp = false
	lacp := iface(11, "BondEthernet2", "bond", true)
	lacp.LinkUp = false // members up but not active: the bond itself is down
	lacp.SetBondMembers([]model.BondMember{{SwIfIndex: 8, Active: false}})
	s := build1(t, []model.Interface{m1, m2, bond, bsub, parent, psub, downSub, upParent, upSub, emptyBond, lacp}, Options{})
	want := map[uint32]Status{
		1001: StatusDown, 1002: StatusDown,
		1003: StatusLowerLayerDown, // all members down
		1004: StatusLowerLayerDown, // its bond is not up
		1005: StatusDown,
		1006: StatusLowerLayerDown, // parent down
		1007: StatusDown,           // admin down wins
		1008: StatusUp, 1009: StatusUp,
		1010: StatusDown, 1011: StatusDown,
	}
	for x, w := range want {
		if got := num(t, s, ifT, colIfOperStatus, x, i32); got != uint64(w) {
			t.Errorf("%d: ifOperStatus %d, want %d (%v)", x, got, w, w)
		}
	}
	// stack: bond over both members, sub over bond
	for _, p := range [][2]uint32{{1003, 1001}, {1003, 1002}, {1004, 1003}, {1006, 1005}, {1011, 1008}} {
		if _, ok := slices.BinarySearch(s.stack, uint64(p[0])<<32|uint64(p[1])); !ok {
			t.Errorf("ifStackTable lacks %d.%d", p[0], p[1])
		}
	}
	for _, p := range [][2]uint32{{0, 1001}, {1003, 0}, {1001, 0}, {0, 1004}, {1010, 0}, {0, 1010}} {
		_, ok := slices.BinarySearch(s.stack, uint64(p[0])<<32|uint64(p[1]))
		wantOK := p == [2]uint32{1001, 0} || p == [2]uint32{0, 1004} || p == [2]uint32{1010, 0} || p == [2]uint32{0, 1010}
		if ok != wantOK {
			t.Errorf("ifStackTable row %d.%d present %v, want %v", p[0], p[1], ok, wantOK)
		}
	}
}

func TestCounter32WrapAndCasts(t *testing.T) {
	in := iface(0, "Te0", "dpdk", true)
	c := []model.Counters{{
		RxBytes: 1<<32 + 5, RxPackets: 1<<33 + 100, RxMulticastPackets: 30, RxBroadcastPackets: 20,
		TxBytes: 7, TxPackets: 10, TxMulticastPackets: 8, TxBroadcastPackets: 9, // per-cast > total
		Drops: 1, RxNoBuf: 2, RxMiss: 4, RxError: 1<<32 + 3, TxError: 6, Punts: 99,
	}}
	s, _, _ := Build(nil, []model.Interface{in}, c, nil, t0, Options{})
	x := uint32(1000)
	for _, k := range []struct {
		name  string
		x     bool
		col   uint32
		typ   agentx.VarType
		value uint64
	}{
		{"ifInOctets", ifT, colIfInOctets, c32, 5},
		{"ifHCInOctets", ifXT, colIfHCInOctets, c64, 1<<32 + 5},
		{"ifInUcastPkts", ifT, colIfInUcastPkts, c32, 50},
		{"ifHCInUcastPkts", ifXT, colIfHCInUcastPkts, c64, 1<<33 + 50},
		{"ifInNUcastPkts", ifT, colIfInNUcastPkts, c32, 50},
		{"ifInDiscards", ifT, colIfInDiscards, c32, 7},
		{"ifInErrors", ifT, colIfInErrors, c32, 3},
		{"ifInUnknownProtos", ifT, colIfInUnknownProtos, c32, 0}, // punts are not discards
		{"ifHCOutUcastPkts", ifXT, colIfHCOutUcastPkts, c64, 0},  // never negative
		{"ifOutErrors", ifT, colIfOutErrors, c32, 6},
	} {
		if got := num(t, s, k.x, k.col, x, k.typ); got != k.value {
			t.Errorf("%s = %d, want %d", k.name, got, k.value)
		}
	}
	hcU := num(t, s, ifXT, colIfHCInUcastPkts, x, c64)
	hcM := num(t, s, ifXT, colIfHCInMulticastPkts, x, c64)
	hcB := num(t, s, ifXT, colIfHCInBroadcastPkts, x, c64)
	if hcU+hcM+hcB != c[0].RxPackets {
		t.Errorf("ucast+mcast+bcast = %d, total %d", hcU+hcM+hcB, c[0].RxPackets)
	}
}

func TestAliasAndNames(t *testing.T) {
	long := strings.Repeat("€", 30) // 90 octets: octet 64 is inside a rune, cut to 63
	a := iface(0, "Te0", "dpdk", true)
	a.SetTag("from-tag")
	b := iface(1, "Te1", "dpdk", true)
	b.SetTag("ignored: vppcfg wins")
	c := iface(2, "Te2", "dpdk", true)
	c.SetTag(long)
	phy := iface(3, "TenGigabitEthernet3/0/0", "dpdk", true)
	phy.SetLCPHost("e0", 4)
	tap := iface(4, "tap4", "virtio", true)
	ifaces := []model.Interface{a, b, c, phy, tap}
	opt := Options{Aliases: map[string]string{"Te1": "core uplink"}}

	s := build1(t, ifaces, opt)
	want := map[uint32]string{1000: "from-tag", 1001: "core uplink", 1002: strings.Repeat("€", 21), 1004: "LCP TenGigabitEthernet3/0/0 (tap4)"}
	for x, w := range want {
		if got := octets(t, s, ifXT, colIfAlias, x); got != w {
			t.Errorf("%d: ifAlias %q, want %q", x, got, w)
		}
	}
	if got := octets(t, s, ifXT, colIfName, 1004); got != "tap4" {
		t.Errorf("ifName of the tap without LCPNames = %q", got)
	}
	opt.LCPNames = true
	s = build1(t, ifaces, opt)
	if got := octets(t, s, ifXT, colIfName, 1004); got != "e0" {
		t.Errorf("ifName of the tap with LCPNames = %q, want e0", got)
	}
	if got := octets(t, s, ifT, colIfDescr, 1004); got != "tap4" {
		t.Errorf("ifDescr of the tap = %q, want the VPP name", got)
	}
	if got := octets(t, s, ifXT, colIfName, 1003); got != "TenGigabitEthernet3/0/0" {
		t.Errorf("ifName of the phy = %q", got)
	}
}

func TestLastChangeAndTransitions(t *testing.T) {
	ifaces := []model.Interface{iface(0, "Te0", "dpdk", true), iface(1, "Te1", "dpdk", true), sub(2, 1, "Te1.5", true), iface(3, "Te3", "dpdk", true)}
	s1, idx, tr := Build(nil, ifaces, nil, nil, t0, Options{Clock: clock})
	if len(tr) != 0 {
		t.Fatalf("first sighting gave transitions %v", tr)
	}
	// 5 s later: Te1 loses link (its sub goes lowerLayerDown), Te0 goes admin down
	t1 := t0.Add(5 * time.Second)
	ifaces[1].LinkUp = false
	ifaces[0].AdminUp, ifaces[0].LinkUp = false, false
	s2, idx2, tr := Build(s1, ifaces, nil, idx, t1, Options{Clock: clock})
	if idx2 != idx {
		t.Error("ifindex.Registry changed without a new name")
	}
	want := []Transition{
		{IfIndex: 1000, Name: "Te0", Admin: StatusDown, Oper: StatusDown, PrevOper: StatusUp, At: t1, TrapEnabled: true},
		{IfIndex: 1001, Name: "Te1", Admin: StatusUp, Oper: StatusDown, PrevOper: StatusUp, At: t1, TrapEnabled: true},
		{IfIndex: 1002, Name: "Te1.5", Admin: StatusUp, Oper: StatusLowerLayerDown, PrevOper: StatusUp, At: t1, TrapEnabled: false},
	}
	if !slices.Equal(tr, want) {
		t.Fatalf("transitions\n got %+v\nwant %+v", tr, want)
	}
	for _, w := range want {
		if up, ok := w.Kind(); !ok || up {
			t.Errorf("%d: Kind = %v %v, want linkDown", w.IfIndex, up, ok)
		}
	}
	upTicks := uint64(clock.Ticks(t1)) // 10500
	for _, x := range []uint32{1000, 1001, 1002} {
		if got := num(t, s2, ifT, colIfLastChange, x, tt); got != upTicks {
			t.Errorf("%d: ifLastChange %d, want %d", x, got, upTicks)
		}
	}
	if got := num(t, s2, ifT, colIfLastChange, 1003, tt); got != 0 {
		t.Errorf("unchanged interface: ifLastChange %d, want 0", got)
	}
	// counters only: times are kept
	s3 := s2.WithCounters(nil, t1.Add(time.Second))
	if got := num(t, s3, ifT, colIfLastChange, 1001, tt); got != upTicks {
		t.Errorf("after WithCounters: ifLastChange %d, want %d", got, upTicks)
	}
	// link back: linkUp for Te1, Te1.5 (lowerLayerDown -> up)
	t2 := t1.Add(time.Minute)
	ifaces[1].LinkUp = true
	_, _, tr = Build(s3, ifaces, nil, idx, t2, Options{Clock: clock})
	if len(tr) != 2 || tr[0].IfIndex != 1001 || tr[1].IfIndex != 1002 || tr[1].PrevOper != StatusLowerLayerDown {
		t.Fatalf("transitions %+v", tr)
	}
	if up, ok := tr[1].Kind(); !ok || !up {
		t.Errorf("lowerLayerDown -> up: Kind %v %v, want linkUp", up, ok)
	}
	if _, ok := (Transition{PrevOper: StatusDown, Oper: StatusLowerLayerDown}).Kind(); ok {
		t.Error("down -> lowerLayerDown asks for a notification")
	}
	// the served TimeTicks follow the Clock: a master restarted 1 s before t1
	s3.clock = fakeClock{start: t1.Add(-time.Second)}
	if got := num(t, s3, ifT, colIfLastChange, 1001, tt); got != 100 {
		t.Errorf("with a restarted master: ifLastChange %d, want 100", got)
	}
}

func TestTableAndStackLastChange(t *testing.T) {
	ifaces := []model.Interface{iface(0, "Te0", "dpdk", true), iface(1, "Te1", "dpdk", true)}
	s1, idx, _ := Build(nil, ifaces, nil, nil, t0, Options{Clock: clock})
	scalar := func(s *Snapshot, o string) uint64 {
		v := s.Get(oid(t, o))
		if v.Type != tt {
			t.Fatalf("%s: %s", o, format(v))
		}
		return v.Integer
	}
	if scalar(s1, "1.3.6.1.2.1.31.1.5.0") != 0 || scalar(s1, "1.3.6.1.2.1.31.1.6.0") != 0 {
		t.Fatal("first build: *LastChange not 0")
	}
	t1 := t0.Add(3 * time.Second)
	ifaces = append(ifaces, sub(2, 1, "Te1.7", true))
	s2, _, tr := Build(s1, ifaces, nil, idx, t1, Options{Clock: clock})
	if len(tr) != 0 {
		t.Errorf("a new interface gave transitions %v", tr)
	}
	want := uint64(clock.Ticks(t1))
	if got := scalar(s2, "1.3.6.1.2.1.31.1.5.0"); got != want {
		t.Errorf("ifTableLastChange %d, want %d", got, want)
	}
	if got := scalar(s2, "1.3.6.1.2.1.31.1.6.0"); got != want {
		t.Errorf("ifStackLastChange %d, want %d", got, want)
	}
	// a new row: its counters start now, and it entered its state now
	if got := num(t, s2, ifXT, colIfCounterDiscontinuityTime, 1002, tt); got != want {
		t.Errorf("new row: ifCounterDiscontinuityTime %d, want %d", got, want)
	}
	if got := num(t, s2, ifT, colIfLastChange, 1002, tt); got != want {
		t.Errorf("new row: ifLastChange %d, want %d", got, want)
	}
	// same set again: nothing moves
	s3, _, _ := Build(s2, ifaces, nil, idx, t1.Add(time.Hour), Options{Clock: clock})
	if scalar(s3, "1.3.6.1.2.1.31.1.5.0") != want || scalar(s3, "1.3.6.1.2.1.31.1.6.0") != want {
		t.Error("*LastChange moved without a change")
	}
	// removal
	t4 := t1.Add(2 * time.Hour)
	s4, _, _ := Build(s3, ifaces[:2], nil, idx, t4, Options{Clock: clock})
	if got := scalar(s4, "1.3.6.1.2.1.31.1.5.0"); got != uint64(clock.Ticks(t4)) {
		t.Errorf("after removal: ifTableLastChange %d", got)
	}
}

func TestCounterDiscontinuity(t *testing.T) {
	ifaces := []model.Interface{iface(0, "Te0", "dpdk", true), iface(1, "Te1", "dpdk", true)}
	c := []model.Counters{{RxPackets: 100, RxBytes: 10000}, {TxPackets: 50, TxBytes: 5000}}
	s1, idx, _ := Build(nil, ifaces, c, nil, t0, Options{Clock: clock, Segment: 1})
	t1 := t0.Add(10 * time.Second)
	c2 := []model.Counters{{RxPackets: 200, RxBytes: 20000}, {TxPackets: 3, TxBytes: 300}} // Te1 cleared
	s2 := s1.WithCounters(c2, t1)
	if got := num(t, s2, ifXT, colIfCounterDiscontinuityTime, 1000, tt); got != 0 {
		t.Errorf("growing counters: discontinuity %d", got)
	}
	want := uint64(clock.Ticks(t1))
	if got := num(t, s2, ifXT, colIfCounterDiscontinuityTime, 1001, tt); got != want {
		t.Errorf("cleared counters: discontinuity %d, want %d", got, want)
	}
	if got := num(t, s2, ifXT, colIfHCOutOctets, 1001, c64); got != 300 {
		t.Errorf("ifHCOutOctets %d, want 300", got)
	}
	// the old snapshot is unchanged (immutable)
	if got := num(t, s1, ifXT, colIfHCOutOctets, 1001, c64); got != 5000 {
		t.Errorf("WithCounters changed its receiver: %d", got)
	}
	// a VPP restart seen by Build (a new stats segment): every row's
	// counters restarted, Te1's too although they are above the old ones
	t2 := t1.Add(time.Minute)
	s3, _, _ := Build(s2, ifaces, []model.Counters{{RxPackets: 1}, {TxPackets: 4, TxBytes: 400}}, idx, t2, Options{Clock: clock, Segment: 2})
	for _, x := range []uint32{1000, 1001} {
		if got := num(t, s3, ifXT, colIfCounterDiscontinuityTime, x, tt); got != uint64(clock.Ticks(t2)) {
			t.Errorf("%d after restart: discontinuity %d, want %d", x, got, clock.Ticks(t2))
		}
	}
	// a short stats read (no counters for Te1) keeps Te1's counters
	s4 := s3.WithCounters([]model.Counters{{RxPackets: 2}}, t2.Add(time.Second))
	if got := num(t, s4, ifXT, colIfHCOutOctets, 1001, c64); got != 400 {
		t.Errorf("missing counters: ifHCOutOctets %d, want 400 kept", got)
	}
}

// TestSegmentRestart: a new stats segment (VPP restarted) is a counter
// discontinuity for every row, even where no counter went backwards.
func TestSegmentRestart(t *testing.T) {
	ifaces := []model.Interface{iface(0, "Te0", "dpdk", true)}
	before := []model.Counters{{RxPackets: 5, RxBytes: 500}}
	after := []model.Counters{{RxPackets: 50, RxBytes: 5000}} // grew past the old value
	t1 := t0.Add(time.Minute)
	disc := func(s *Snapshot) uint64 { return num(t, s, ifXT, colIfCounterDiscontinuityTime, 1000, tt) }
	for _, c := range []struct {
		name       string
		seg1, seg2 uint64
		want       uint64
	}{
		{"new segment", 1, 2, uint64(clock.Ticks(t1))},
		{"same segment", 1, 1, 0},
		{"first unknown", 0, 2, 0},
		{"then unknown", 1, 0, 0},
	} {
		s1, idx, _ := Build(nil, ifaces, before, nil, t0, Options{Clock: clock, Segment: c.seg1})
		s2, _, _ := Build(s1, ifaces, after, idx, t1, Options{Clock: clock, Segment: c.seg2})
		if got := disc(s2); got != c.want {
			t.Errorf("%s: discontinuity %d, want %d", c.name, got, c.want)
		}
	}
	// WithCounters keeps the segment: Build after it still sees the restart
	s1, idx, _ := Build(nil, ifaces, before, nil, t0, Options{Clock: clock, Segment: 1})
	s2 := s1.WithCounters([]model.Counters{{RxPackets: 6, RxBytes: 600}}, t0.Add(time.Second))
	s3, _, _ := Build(s2, ifaces, after, idx, t1, Options{Clock: clock, Segment: 2})
	if got := disc(s3); got != uint64(clock.Ticks(t1)) {
		t.Errorf("after WithCounters: discontinuity %d, want %d", got, clock.Ticks(t1))
	}
	// a snapshot built with an unknown segment keeps the last known one
	s4, _, _ := Build(s3, ifaces, after, idx, t1.Add(time.Second), Options{Clock: clock})
	s5, _, _ := Build(s4, ifaces, after, idx, t1.Add(2*time.Second), Options{Clock: clock, Segment: 2})
	if got := disc(s5); got != uint64(clock.Ticks(t1)) {
		t.Errorf("same segment after an unknown one: discontinuity %d, want %d", got, clock.Ticks(t1))
	}
}

// TestUnicastNeverBack: unicast is derived (total − multicast − broadcast)
// and a read can catch a per-cast counter ahead of the total, as govpp
// copies /if/rx before /if/rx-multicast while VPP counts rx first. Served
// unicast must not drop then, nor may it fake a discontinuity; only VPP's
// own counters going back are one.
func TestUnicastNeverBack(t *testing.T) {
	ifaces := []model.Interface{iface(0, "Te0", "dpdk", true)}
	at := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	opt := Options{Clock: clock, Segment: 1}
	s, idx, _ := Build(nil, ifaces, []model.Counters{{RxPackets: 100, RxMulticastPackets: 10, TxPackets: 50, TxBroadcastPackets: 5}}, nil, at(0), opt)
	steps := []struct {
		name       string
		build      bool // Build, else WithCounters
		c          model.Counters
		inU, outU  uint64
		discontAt  int // seconds after t0; -1: none
		inDiscards uint64
	}{
		{"mcast read ahead of rx", false, model.Counters{RxPackets: 100, RxMulticastPackets: 11, TxPackets: 50, TxBroadcastPackets: 6}, 90, 45, -1, 0},
		{"again, by Build", true, model.Counters{RxPackets: 100, RxMulticastPackets: 12, TxPackets: 50, TxBroadcastPackets: 7}, 90, 45, -1, 0},
		{"rx caught up", false, model.Counters{RxPackets: 103, RxMulticastPackets: 12, TxPackets: 53, TxBroadcastPackets: 7}, 91, 46, -1, 0},
		{"cleared", false, model.Counters{RxPackets: 3, RxMulticastPackets: 1, TxPackets: 2, TxBroadcastPackets: 1}, 2, 1, 4, 0},
		{"ahead again after the clear", true, model.Counters{RxPackets: 3, RxMulticastPackets: 2, TxPackets: 2, TxBroadcastPackets: 2}, 2, 1, 4, 0},
		{"grows", true, model.Counters{RxPackets: 10, RxMulticastPackets: 2, TxPackets: 9, TxBroadcastPackets: 2, Drops: 10}, 8, 7, 4, 10},
		// a raw counter back though the served sum grew: still a discontinuity
		{"drops cleared, rx-miss grew", false, model.Counters{RxPackets: 10, RxMulticastPackets: 2, TxPackets: 9, TxBroadcastPackets: 2, Drops: 5, RxMiss: 10}, 8, 7, 7, 15},
		{"cleared, seen by Build", true, model.Counters{RxPackets: 1, TxPackets: 1, Drops: 5, RxMiss: 10}, 1, 1, 8, 15},
	}
	for i, st := range steps {
		now := at(i + 1)
		if st.build {
			s, _, _ = Build(s, ifaces, []model.Counters{st.c}, idx, now, opt)
		} else {
			s = s.WithCounters([]model.Counters{st.c}, now)
		}
		if got := num(t, s, ifXT, colIfHCInUcastPkts, 1000, c64); got != st.inU {
			t.Errorf("%s: ifHCInUcastPkts %d, want %d", st.name, got, st.inU)
		}
		if got := num(t, s, ifT, colIfInUcastPkts, 1000, c32); got != st.inU {
			t.Errorf("%s: ifInUcastPkts %d, want %d", st.name, got, st.inU)
		}
		if got := num(t, s, ifXT, colIfHCOutUcastPkts, 1000, c64); got != st.outU {
			t.Errorf("%s: ifHCOutUcastPkts %d, want %d", st.name, got, st.outU)
		}
		if got := num(t, s, ifT, colIfInDiscards, 1000, c32); got != st.inDiscards {
			t.Errorf("%s: ifInDiscards %d, want %d", st.name, got, st.inDiscards)
		}
		want := uint64(0)
		if st.discontAt >= 0 {
			want = uint64(clock.Ticks(at(st.discontAt)))
		}
		if got := num(t, s, ifXT, colIfCounterDiscontinuityTime, 1000, tt); got != want {
			t.Errorf("%s: ifCounterDiscontinuityTime %d, want %d", st.name, got, want)
		}
	}
}

// TestTrapEnableStacked: ifLinkUpDownTrapEnable defaults to disabled(2) for
// an interface layered on another in ifStackTable (RFC 2863), a bond over
// its members as much as a sub-interface over its parent; enabled(1) else.
func TestTrapEnableStacked(t *testing.T) {
	m1, m2 := iface(1, "Te0", "dpdk", true), iface(2, "Te1", "dpdk", true)
	bond := iface(3, "BondEthernet0", "bond", true)
	bond.SetBondMembers([]model.BondMember{{SwIfIndex: 1, Active: true}, {SwIfIndex: 2, Active: true}})
	bsub := sub(4, 3, "BondEthernet0.10", true)
	empty := iface(5, "BondEthernet1", "bond", true) // no members: nothing below
	orphan := sub(6, 99, "Te9.7", true)              // parent unknown: nothing below
	ifaces := []model.Interface{m1, m2, bond, bsub, empty, orphan}
	s1, idx, _ := Build(nil, ifaces, nil, nil, t0, Options{Clock: clock})
	want := map[uint32]uint64{1001: 1, 1002: 1, 1003: 2, 1004: 2, 1005: 1, 1006: 1}
	for x, w := range want {
		if got := num(t, s1, ifXT, colIfLinkUpDownTrapEnable, x, i32); got != w {
			t.Errorf("%d: ifLinkUpDownTrapEnable %d, want %d", x, got, w)
		}
	}
	// the bond loses link: its transition carries the same default
	for i := range ifaces {
		ifaces[i].LinkUp = false
	}
	_, _, tr := Build(s1, ifaces, nil, idx, t0.Add(time.Second), Options{Clock: clock})
	if len(tr) != len(want) {
		t.Fatalf("transitions %+v, want %d", tr, len(want))
	}
	for _, x := range tr {
		if x.TrapEnabled != (want[x.IfIndex] == 1) {
			t.Errorf("%d (%s): TrapEnabled %v, want %v", x.IfIndex, x.Name, x.TrapEnabled, want[x.IfIndex] == 1)
		}
	}
}
