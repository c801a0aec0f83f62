package vppsim

import (
	"context"
	"errors"
	"io"
	"os"
	"reflect"
	"testing"
	"time"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/bond"
	"go.fd.io/govpp/binapi/ethernet_types"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/lcp"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/binapi/vpe"
)

// testRouter sets every field the simulator lets a scenario set.
const testRouter = `
interfaces:
  - name: TenGigabitEthernet3/0/0
    speed: 10G
    mac: "3c:fd:fe:00:00:01"
    tag: uplink
    addresses: [192.0.2.1/24, 2001:db8::1/64]
  - name: HundredGigabitEthernet5/0/0
    speed: 100G
    mac: "3c:fd:fe:00:00:02"
    link: down
  - name: TenGigabitEthernet3/0/2
    mac: "3c:fd:fe:00:00:03"
    bond: BondEthernet0
  - name: TenGigabitEthernet3/0/3
    mac: "3c:fd:fe:00:00:04"
    link: down
    bond: BondEthernet0
  - name: BondEthernet0
    kind: bond
    mac: "02:fe:00:00:00:05"
    bond_mode: active-backup
    bond_lb: l23
  - name: loop0
    kind: loopback
  - name: vxlan_tunnel0
    kind: vxlan
    mac: "02:fe:00:00:00:07"
  - name: gre0
    kind: gre
    state: down
  - name: TenGigabitEthernet3/0/0.100
    kind: sub
    parent: TenGigabitEthernet3/0/0
    vlan: 100
    mtu: 1500
  - name: TenGigabitEthernet3/0/0.200
    kind: sub
    parent: TenGigabitEthernet3/0/0
    sub_id: 200
    vlan: 200
    inner_vlan: 20
    state: down
  - name: tap1
    kind: tap
    parent: TenGigabitEthernet3/0/0
    mac: "02:fe:00:00:00:0b"
    host_name: e0
    netns: dataplane
  - name: tap2
    kind: tap
    parent: BondEthernet0
    mac: "02:fe:00:00:00:0c"
    host_name: be0
    netns: dataplane
`

func mac(s string) ethernet_types.MacAddress {
	m, err := ethernet_types.ParseMacAddress(s)
	if err != nil {
		panic(err)
	}
	return m
}

// wantRouter is what a VPP configured as testRouter reports, written out by
// hand (not computed by the code under test).
func wantRouter() []*interfaces.SwInterfaceDetails {
	zero := mac("00:00:00:00:00:00")
	hw := func(i uint32, name, dev string, m ethernet_types.MacAddress, flags uint32, speed uint32, duplex uint32, linkMtu uint16, l3 uint32, tag string) *interfaces.SwInterfaceDetails {
		return &interfaces.SwInterfaceDetails{
			SwIfIndex: interface_types.InterfaceIndex(i), SupSwIfIndex: i, L2Address: m,
			Flags: interface_types.IfStatusFlags(flags), Type: interface_types.IF_API_TYPE_HARDWARE,
			LinkDuplex: interface_types.LinkDuplex(duplex), LinkSpeed: speed, LinkMtu: linkMtu,
			Mtu: []uint32{l3, 0, 0, 0}, InterfaceName: name, InterfaceDevType: dev, Tag: tag,
		}
	}
	sub := func(i, sup uint32, name string, flags uint32, l3 uint32, id uint32, tags uint8, outer, inner uint16, sf uint32) *interfaces.SwInterfaceDetails {
		return &interfaces.SwInterfaceDetails{
			SwIfIndex: interface_types.InterfaceIndex(i), SupSwIfIndex: sup, L2Address: zero,
			Flags: interface_types.IfStatusFlags(flags), Type: interface_types.IF_API_TYPE_SUB,
			LinkDuplex: 2, LinkSpeed: 10000000, LinkMtu: 9000, Mtu: []uint32{l3, 0, 0, 0},
			SubID: id, SubNumberOfTags: tags, SubOuterVlanID: outer, SubInnerVlanID: inner,
			SubIfFlags: interface_types.SubIfFlags(sf), InterfaceName: name, InterfaceDevType: "dpdk",
		}
	}
	return []*interfaces.SwInterfaceDetails{
		hw(0, "local0", "local", zero, 0, 0, 0, 0, 0, ""),
		hw(1, "TenGigabitEthernet3/0/0", "dpdk", mac("3c:fd:fe:00:00:01"), 3, 10000000, 2, 9000, 9000, "uplink"),
		hw(2, "HundredGigabitEthernet5/0/0", "dpdk", mac("3c:fd:fe:00:00:02"), 1, 100000000, 2, 9000, 9000, ""),
		hw(3, "TenGigabitEthernet3/0/2", "dpdk", mac("3c:fd:fe:00:00:03"), 3, 10000000, 2, 9000, 9000, ""),
		hw(4, "TenGigabitEthernet3/0/3", "dpdk", mac("3c:fd:fe:00:00:04"), 1, 10000000, 2, 9000, 9000, ""),
		hw(5, "BondEthernet0", "bond", mac("02:fe:00:00:00:05"), 3, 0, 0, 9000, 9000, ""),
		hw(6, "loop0", "Loopback", mac("de:ad:00:00:00:00"), 3, 0, 0, 9000, 9000, ""),
		hw(7, "vxlan_tunnel0", "VXLAN", mac("02:fe:00:00:00:07"), 3, 0, 0, 9000, 9000, ""),
		hw(8, "gre0", "GRE tunnel device", zero, 0, 0, 0, 65512, 9000, ""),
		sub(9, 1, "TenGigabitEthernet3/0/0.100", 3, 1500, 100, 1, 100, 0, 18),
		sub(10, 1, "TenGigabitEthernet3/0/0.200", 2, 0, 200, 2, 200, 20, 20),
		hw(11, "tap1", "virtio", mac("02:fe:00:00:00:0b"), 3, 0, 0, 9000, 9000, ""),
		hw(12, "tap2", "virtio", mac("02:fe:00:00:00:0c"), 3, 0, 0, 9000, 9000, ""),
	}
}

func dump(t *testing.T, ch api.Channel, req *interfaces.SwInterfaceDump) []*interfaces.SwInterfaceDetails {
	t.Helper()
	var out []*interfaces.SwInterfaceDetails
	rc := ch.SendMultiRequest(req)
	for {
		d := new(interfaces.SwInterfaceDetails)
		last, err := rc.ReceiveReply(d)
		if err != nil {
			t.Fatalf("sw_interface_dump: %v", err)
		}
		if last {
			return out
		}
		out = append(out, d)
	}
}

func names(ds []*interfaces.SwInterfaceDetails) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.InterfaceName)
	}
	return out
}

func TestSwInterfaceDumpMatchesScenario(t *testing.T) {
	s := startSim(t, Config{Scenario: scenario(t, testRouter)})
	_, ch := connect(t, s)

	got := dump(t, ch, &interfaces.SwInterfaceDump{SwIfIndex: interface_types.InterfaceIndex(NoIndex)})
	want := wantRouter()
	if len(got) != len(want) {
		t.Fatalf("got %d interfaces %v, want %d", len(got), names(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("interface %d:\n got %+v\nwant %+v", i, *got[i], *want[i])
		}
	}

	// The name filter is a case-insensitive substring (strcasestr).
	for filter, wantNames := range map[string][]string{
		"tengig": {"TenGigabitEthernet3/0/0", "TenGigabitEthernet3/0/2", "TenGigabitEthernet3/0/3",
			"TenGigabitEthernet3/0/0.100", "TenGigabitEthernet3/0/0.200"},
		"0.1":      {"TenGigabitEthernet3/0/0.100"},
		"LOOP":     {"loop0"},
		"nothing!": nil,
		"":         names(want),
	} {
		got := names(dump(t, ch, &interfaces.SwInterfaceDump{
			SwIfIndex: interface_types.InterfaceIndex(NoIndex), NameFilterValid: true, NameFilter: filter}))
		if !reflect.DeepEqual(got, wantNames) {
			t.Errorf("name filter %q: got %v, want %v", filter, got, wantNames)
		}
	}
	// A sw_if_index filter gives one interface, or none; 0 means all, as
	// in VPP's handler.
	for idx, wantNames := range map[uint32][]string{
		9: {"TenGigabitEthernet3/0/0.100"}, 99: nil, 0: names(want), NoIndex: names(want),
	} {
		got := names(dump(t, ch, &interfaces.SwInterfaceDump{SwIfIndex: interface_types.InterfaceIndex(idx)}))
		if !reflect.DeepEqual(got, wantNames) {
			t.Errorf("sw_if_index %d: got %v, want %v", idx, got, wantNames)
		}
	}
}

func TestShowVersionAndControlPing(t *testing.T) {
	s := startSim(t, Config{})
	_, ch := connect(t, s)
	v := new(vpe.ShowVersionReply)
	if err := ch.SendRequest(&vpe.ShowVersion{}).ReceiveReply(v); err != nil {
		t.Fatal(err)
	}
	want := vpe.ShowVersionReply{Program: "vpe", Version: "26.06-release", BuildDate: "2026-11-21T23:16:25", BuildDirectory: "/vppsim"}
	if *v != want {
		t.Errorf("show_version: got %+v, want %+v", *v, want)
	}
	p := new(memclnt.ControlPingReply)
	if err := ch.SendRequest(&memclnt.ControlPing{}).ReceiveReply(p); err != nil {
		t.Fatal(err)
	}
	if p.VpePID != uint32(os.Getpid()) || p.Retval != 0 {
		t.Errorf("control_ping_reply: got %+v, want retval 0 and pid %d", *p, os.Getpid())
	}
}

// TestInterfaceEvents checks sw_interface_event on state changes, carrier
// changes, creation and deletion, with VPP's flag rules.
func TestInterfaceEvents(t *testing.T) {
	s := startSim(t, Config{Scenario: scenario(t, testRouter)})
	_, ch := connect(t, s)
	events := make(chan api.Message, 100)
	sub, err := ch.SubscribeNotification(events, &interfaces.SwInterfaceEvent{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	const pid = 4242
	reply := new(interfaces.WantInterfaceEventsReply)
	if err := ch.SendRequest(&interfaces.WantInterfaceEvents{EnableDisable: 1, PID: pid}).ReceiveReply(reply); err != nil {
		t.Fatal(err)
	}
	// A second registration is refused, as VPP's pub_sub_handler does.
	err = ch.SendRequest(&interfaces.WantInterfaceEvents{EnableDisable: 1, PID: pid}).ReceiveReply(reply)
	if !errors.Is(err, api.INVALID_REGISTRATION) {
		t.Errorf("second want_interface_events: got %v, want INVALID_REGISTRATION", err)
	}

	type ev struct {
		idx     uint32
		flags   uint32
		deleted bool
	}
	expect := func(what string, want ...ev) {
		t.Helper()
		for i, w := range want {
			select {
			case m := <-events:
				e := m.(*interfaces.SwInterfaceEvent)
				got := ev{uint32(e.SwIfIndex), uint32(e.Flags), e.Deleted}
				if got != w || e.PID != pid {
					t.Errorf("%s: event %d: got %+v pid %d, want %+v pid %d", what, i, got, e.PID, w, pid)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: event %d (%+v) did not arrive", what, i, w)
			}
		}
		select {
		case m := <-events:
			t.Errorf("%s: unexpected event %+v", what, m)
		case <-time.After(50 * time.Millisecond):
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.SetAdmin("loop0", false))
	expect("loop0 down", ev{6, 0, false})
	must(s.SetAdmin("loop0", true))
	expect("loop0 up", ev{6, 3, false})
	must(s.SetAdmin("loop0", true))
	expect("loop0 up again (no change)")
	// A carrier change is a link event of the port alone: its
	// sub-interfaces get none, and ADMIN_UP is not in the flags.
	must(s.SetLink("TenGigabitEthernet3/0/0", false))
	expect("carrier lost", ev{1, 0, false})
	must(s.SetLink("TenGigabitEthernet3/0/0", true))
	expect("carrier back", ev{1, 2, false})
	// A sub-interface's admin change carries no LINK_UP: its link did not
	// change.
	must(s.SetAdmin("TenGigabitEthernet3/0/0.100", false))
	expect("sub down", ev{9, 0, false})
	must(s.SetAdmin("TenGigabitEthernet3/0/0.100", true))
	expect("sub up", ev{9, 1, false})
	// The bond's only active member loses its link: two events, in
	// sw_if_index order, in one window.
	must(s.SetLink("TenGigabitEthernet3/0/2", false))
	expect("bond member down", ev{3, 0, false}, ev{5, 0, false})

	x, err := s.CreateLoopback()
	must(err)
	if x.Name != "loop1" || x.SwIfIndex != 13 {
		t.Fatalf("created %s at %d, want loop1 at 13", x.Name, x.SwIfIndex)
	}
	expect("create", ev{13, 0, false})
	must(s.Delete("loop1"))
	expect("delete", ev{13, 0, true})
	// The freed index and instance are reused.
	x, err = s.CreateLoopback()
	must(err)
	if x.Name != "loop1" || x.SwIfIndex != 13 {
		t.Fatalf("re-created %s at %d, want loop1 at 13", x.Name, x.SwIfIndex)
	}
	expect("re-create", ev{13, 0, false})
	// Deleting a port deletes its sub-interfaces and its linux-cp tap
	// first; VPP brings them down before (admin and link down: flags 0).
	must(s.Delete("TenGigabitEthernet3/0/0"))
	expect("delete port", ev{1, 0, true}, ev{9, 0, true}, ev{10, 0, true}, ev{11, 0, true})

	// The API changes state too.
	r := new(interfaces.SwInterfaceSetFlagsReply)
	must(ch.SendRequest(&interfaces.SwInterfaceSetFlags{SwIfIndex: 6, Flags: 0}).ReceiveReply(r))
	expect("set_flags down", ev{6, 0, false})
	err = ch.SendRequest(&interfaces.SwInterfaceSetFlags{SwIfIndex: 1}).ReceiveReply(r)
	if !errors.Is(err, api.INVALID_SW_IF_INDEX) {
		t.Errorf("set_flags on a deleted index: got %v, want INVALID_SW_IF_INDEX", err)
	}

	must(ch.SendRequest(&interfaces.WantInterfaceEvents{EnableDisable: 0, PID: pid}).ReceiveReply(reply))
	must(s.SetAdmin("loop0", true))
	expect("after disable")
}

func TestBondDumps(t *testing.T) {
	s := startSim(t, Config{Scenario: scenario(t, testRouter)})
	_, ch := connect(t, s)
	var bonds []*bond.SwBondInterfaceDetails
	rc := ch.SendMultiRequest(&bond.SwBondInterfaceDump{SwIfIndex: interface_types.InterfaceIndex(NoIndex)})
	for {
		d := new(bond.SwBondInterfaceDetails)
		last, err := rc.ReceiveReply(d)
		if err != nil {
			t.Fatal(err)
		}
		if last {
			break
		}
		bonds = append(bonds, d)
	}
	want := []*bond.SwBondInterfaceDetails{{
		SwIfIndex: 5, ID: 0, Mode: bond.BOND_API_MODE_ACTIVE_BACKUP, Lb: bond.BOND_API_LB_ALGO_L23,
		ActiveMembers: 1, Members: 2, InterfaceName: "BondEthernet0",
	}}
	if !reflect.DeepEqual(bonds, want) {
		t.Errorf("bonds: got %+v, want %+v", bonds, want)
	}
	var members []*bond.SwMemberInterfaceDetails
	rc = ch.SendMultiRequest(&bond.SwMemberInterfaceDump{SwIfIndex: 5})
	for {
		d := new(bond.SwMemberInterfaceDetails)
		last, err := rc.ReceiveReply(d)
		if err != nil {
			t.Fatal(err)
		}
		if last {
			break
		}
		members = append(members, d)
	}
	wantM := []*bond.SwMemberInterfaceDetails{
		{SwIfIndex: 3, InterfaceName: "TenGigabitEthernet3/0/2", IsLocalNuma: true},
		{SwIfIndex: 4, InterfaceName: "TenGigabitEthernet3/0/3", IsLocalNuma: true},
	}
	if !reflect.DeepEqual(members, wantM) {
		t.Errorf("members: got %+v, want %+v", members, wantM)
	}
	// Not a bond: no details, as in the 26.06 capture.
	rc = ch.SendMultiRequest(&bond.SwMemberInterfaceDump{SwIfIndex: 1})
	if last, err := rc.ReceiveReply(new(bond.SwMemberInterfaceDetails)); err != nil || !last {
		t.Errorf("members of a port: last=%v err=%v, want none", last, err)
	}
}

func lcpPairs(t *testing.T, svc lcp.RPCService, cursor uint32) ([]*lcp.LcpItfPairDetails, *lcp.LcpItfPairGetReply, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stream, err := svc.LcpItfPairGet(ctx, &lcp.LcpItfPairGet{Cursor: cursor})
	if err != nil {
		t.Fatal(err)
	}
	var out []*lcp.LcpItfPairDetails
	for {
		d, r, err := stream.Recv()
		if d != nil {
			out = append(out, d)
			continue
		}
		if errors.Is(err, io.EOF) {
			return out, r, nil
		}
		return out, r, err
	}
}

func TestLCPCursorProtocol(t *testing.T) {
	want := []*lcp.LcpItfPairDetails{
		{PhySwIfIndex: 1, HostSwIfIndex: 11, VifIndex: 100, HostIfName: "e0", Netns: "dataplane"},
		{PhySwIfIndex: 5, HostSwIfIndex: 12, VifIndex: 101, HostIfName: "be0", Netns: "dataplane"},
	}
	t.Run("all at once", func(t *testing.T) {
		s := startSim(t, Config{Scenario: scenario(t, testRouter)})
		conn, _ := connect(t, s)
		got, r, err := lcpPairs(t, lcp.NewServiceClient(conn), NoIndex)
		if err != nil || r == nil || r.Cursor != NoIndex {
			t.Fatalf("lcp_itf_pair_get: err %v reply %+v, want cursor ~0", err, r)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("pairs: got %+v, want %+v", got, want)
		}
	})
	t.Run("one per call", func(t *testing.T) {
		s := startSim(t, Config{Scenario: scenario(t, testRouter), LCPBatch: 1})
		conn, _ := connect(t, s)
		svc := lcp.NewServiceClient(conn)
		got, r, err := lcpPairs(t, svc, 0)
		if !errors.Is(err, api.EAGAIN) || r == nil || r.Cursor != 1 || !reflect.DeepEqual(got, want[:1]) {
			t.Fatalf("first call: pairs %+v err %v reply %+v, want the first pair, EAGAIN, cursor 1", got, err, r)
		}
		got, r, err = lcpPairs(t, svc, r.Cursor)
		if err != nil || r == nil || r.Cursor != NoIndex || !reflect.DeepEqual(got, want[1:]) {
			t.Fatalf("second call: pairs %+v err %v reply %+v, want the second pair, cursor ~0", got, err, r)
		}
		// Past the last pair: VPP's INVALID_VALUE.
		_, _, err = lcpPairs(t, svc, 7)
		if !errors.Is(err, api.INVALID_VALUE) {
			t.Errorf("cursor past the end: got %v, want INVALID_VALUE", err)
		}
	})
}

func TestIPAddressDump(t *testing.T) {
	s := startSim(t, Config{Scenario: scenario(t, testRouter)})
	_, ch := connect(t, s)
	get := func(idx uint32, v6 bool) []string {
		var out []string
		rc := ch.SendMultiRequest(&ip.IPAddressDump{SwIfIndex: interface_types.InterfaceIndex(idx), IsIPv6: v6})
		for {
			d := new(ip.IPAddressDetails)
			last, err := rc.ReceiveReply(d)
			if err != nil {
				t.Fatal(err)
			}
			if last {
				return out
			}
			if uint32(d.SwIfIndex) != idx {
				t.Errorf("details for %d in a dump of %d", d.SwIfIndex, idx)
			}
			out = append(out, d.Prefix.String())
		}
	}
	if got := get(1, false); !reflect.DeepEqual(got, []string{"192.0.2.1/24"}) {
		t.Errorf("IPv4 of 1: %v", got)
	}
	if got := get(1, true); !reflect.DeepEqual(got, []string{"2001:db8::1/64"}) {
		t.Errorf("IPv6 of 1: %v", got)
	}
	if got := get(2, false); got != nil {
		t.Errorf("IPv4 of 2: %v, want none", got)
	}
	if got := get(999, false); got != nil {
		t.Errorf("IPv4 of 999: %v, want none", got)
	}
}

func TestCollectDetailedInterfaceStats(t *testing.T) {
	s := startSim(t, Config{Scenario: scenario(t, testRouter)})
	_, ch := connect(t, s)
	r := new(interfaces.CollectDetailedInterfaceStatsReply)
	if err := ch.SendRequest(&interfaces.CollectDetailedInterfaceStats{SwIfIndex: 7, EnableDisable: true}).ReceiveReply(r); err != nil {
		t.Fatal(err)
	}
	x, err := s.Interface("vxlan_tunnel0")
	if err != nil || !x.DetailedStats {
		t.Errorf("detailed stats of vxlan_tunnel0 after enabling: %v %v", x.DetailedStats, err)
	}
	err = ch.SendRequest(&interfaces.CollectDetailedInterfaceStats{SwIfIndex: 77, EnableDisable: true}).ReceiveReply(r)
	if !errors.Is(err, api.INVALID_SW_IF_INDEX) {
		t.Errorf("unknown index: got %v, want INVALID_SW_IF_INDEX", err)
	}
}
