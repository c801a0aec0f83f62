package vppapi

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"go.fd.io/govpp/adapter"
	"go.fd.io/govpp/adapter/mock"
	"go.fd.io/govpp/binapi/bond"
	"go.fd.io/govpp/binapi/ethernet_types"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/lacp"
	"go.fd.io/govpp/binapi/lcp"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/binapi/vpe"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

func quietLogger() logrus.FieldLogger {
	l := logrus.New()
	l.Out = io.Discard
	return l
}

// startMock runs a Client over govpp's mock adapter (which ignores CRCs and
// framing: these tests cover the request sequence and the mapping only) and
// waits for Connected.
func startMock(t *testing.T, vpp *mock.VppAdapter) *Client {
	t.Helper()
	vpp.MockReply(&interfaces.WantInterfaceEventsReply{})
	vpp.MockReply(&vpe.ShowVersionReply{Version: "26.06-release"})
	c := New("unused", WithLogger(quietLogger()), WithRequestTimeout(2*time.Second))
	c.dial = func(string, time.Duration) adapter.VppAPI { return vpp }
	c.healthInterval = time.Hour // the queue must not feed pings
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	waitKind(t, c, Connected)
	return c
}

func waitKind(t *testing.T, c *Client, k EventKind) Event {
	t.Helper()
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("events closed while waiting for %v", k)
			}
			if ev.Kind == k {
				return ev
			}
		case <-deadline.C:
			t.Fatalf("no %v event", k)
		}
	}
}

// TestInterfacesMockSequence drives Interfaces through govpp's core with the
// mock: interface dump, bond and member dumps, the LACP dump and a two-page
// lcp_itf_pair_get (EAGAIN + cursor), and checks the assembled result.
func TestInterfacesMockSequence(t *testing.T) {
	vpp := mock.NewVppAdapter()
	c := startMock(t, vpp)

	up := interface_types.IF_STATUS_API_FLAG_ADMIN_UP | interface_types.IF_STATUS_API_FLAG_LINK_UP
	vpp.MockReply(
		&interfaces.SwInterfaceDetails{SwIfIndex: 2, SupSwIfIndex: 2, InterfaceName: "Gi0/0/1", InterfaceDevType: "dpdk", Flags: up,
			LinkSpeed: 1000000, LinkMtu: 9216, Mtu: []uint32{1500, 0, 0, 0}, L2Address: ethernet_types.MacAddress{2, 0, 0, 0, 0, 2}},
		&interfaces.SwInterfaceDetails{SwIfIndex: 1, SupSwIfIndex: 1, InterfaceName: "Gi0/0/0", InterfaceDevType: "dpdk", Flags: up,
			LinkSpeed: 1000000, LinkMtu: 9216, Mtu: []uint32{9000, 0, 0, 0}, L2Address: ethernet_types.MacAddress{2, 0, 0, 0, 0, 1}},
		&interfaces.SwInterfaceDetails{SwIfIndex: 3, SupSwIfIndex: 3, InterfaceName: "BondEthernet0", InterfaceDevType: "bond", Flags: up,
			LinkMtu: 9216, Mtu: []uint32{9000, 0, 0, 0}, Tag: "core"},
		&interfaces.SwInterfaceDetails{SwIfIndex: 4, SupSwIfIndex: 3, InterfaceName: "BondEthernet0.100", InterfaceDevType: "bond",
			Type: interface_types.IF_API_TYPE_SUB, Flags: interface_types.IF_STATUS_API_FLAG_ADMIN_UP, LinkMtu: 9216},
		&interfaces.SwInterfaceDetails{SwIfIndex: 5, SupSwIfIndex: 5, InterfaceName: "tap1", InterfaceDevType: "virtio", Flags: up},
		// An event arriving in the middle of a dump goes to Events.
		&interfaces.SwInterfaceEvent{SwIfIndex: 4, Flags: interface_types.IF_STATUS_API_FLAG_ADMIN_UP},
	)
	vpp.MockReply(&memclnt.ControlPingReply{})
	vpp.MockReply(&bond.SwBondInterfaceDetails{SwIfIndex: 3, Mode: bond.BOND_API_MODE_LACP, Members: 2, ActiveMembers: 1})
	vpp.MockReply(&memclnt.ControlPingReply{})
	vpp.MockReply(&bond.SwMemberInterfaceDetails{SwIfIndex: 1}, &bond.SwMemberInterfaceDetails{SwIfIndex: 2})
	vpp.MockReply(&memclnt.ControlPingReply{})
	vpp.MockReply(&lacp.SwInterfaceLacpDetails{SwIfIndex: 1, MuxState: 3}, &lacp.SwInterfaceLacpDetails{SwIfIndex: 2, MuxState: 1})
	vpp.MockReply(&memclnt.ControlPingReply{})
	vpp.MockReply(&lcp.LcpItfPairGetReply{Retval: int32(-165), Cursor: 7}) // EAGAIN before any detail
	vpp.MockReply(&lcp.LcpItfPairDetails{PhySwIfIndex: 3, HostSwIfIndex: 5, HostIfName: "be0"}, &lcp.LcpItfPairGetReply{Cursor: ^uint32(0)})

	got, err := c.Interfaces(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Interface{
		{SwIfIndex: 1, SupSwIfIndex: 1, Name: "Gi0/0/0", DevType: "dpdk", AdminUp: true, LinkUp: true, LinkSpeed: 1000000,
			MTU: 9000, LinkMTU: 9216, MAC: [6]byte{2, 0, 0, 0, 0, 1}},
		{SwIfIndex: 2, SupSwIfIndex: 2, Name: "Gi0/0/1", DevType: "dpdk", AdminUp: true, LinkUp: true, LinkSpeed: 1000000,
			MTU: 1500, LinkMTU: 9216, MAC: [6]byte{2, 0, 0, 0, 0, 2}},
		model.WithExtra(model.Interface{SwIfIndex: 3, SupSwIfIndex: 3, Name: "BondEthernet0", DevType: "bond", AdminUp: true, LinkUp: true,
			MTU: 9000, LinkMTU: 9216}, model.Extra{Tag: "core",
			BondMembers: []model.BondMember{{SwIfIndex: 1, Active: true}, {SwIfIndex: 2, Active: false}},
			LCPHostName: "be0", LCPHostSwIfIndex: 5}),
		{SwIfIndex: 4, SupSwIfIndex: 3, Name: "BondEthernet0.100", DevType: "bond", Sub: true, AdminUp: true, LinkMTU: 9216},
		{SwIfIndex: 5, SupSwIfIndex: 5, Name: "tap1", DevType: "virtio", AdminUp: true, LinkUp: true},
	}
	if len(got) != len(want) {
		t.Fatalf("%d interfaces, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !equalInterface(got[i], want[i]) {
			t.Errorf("interface %d:\n got %+v %+v\nwant %+v %+v", i, got[i], got[i].Extra(), want[i], want[i].Extra())
		}
	}
	ev := waitKind(t, c, InterfaceChanged)
	if ev != (Event{Kind: InterfaceChanged, Conn: 1, SwIfIndex: 4, AdminUp: true}) {
		t.Errorf("event %+v", ev)
	}

	v, err := func() (string, error) {
		vpp.MockReply(&vpe.ShowVersionReply{Version: "26.06-rc0~1"})
		return c.Version(context.Background())
	}()
	if err != nil || v != "26.06-rc0~1" {
		t.Errorf("Version = %q, %v", v, err)
	}
}

// TestInterfacesVPPError: a retval error from VPP fails the call instead of
// returning a partial list.
func TestInterfacesVPPError(t *testing.T) {
	vpp := mock.NewVppAdapter()
	c := startMock(t, vpp)
	vpp.MockReply(&interfaces.SwInterfaceDetails{SwIfIndex: 0, InterfaceName: "local0"})
	vpp.MockReply(&memclnt.ControlPingReply{})
	vpp.MockReply() // no bonds
	vpp.MockReply(&memclnt.ControlPingReply{})
	vpp.MockReply(&lcp.LcpItfPairGetReply{Retval: -3}) // VNET_API_ERROR_INVALID_SW_IF_INDEX
	_, err := c.Interfaces(context.Background())
	if err == nil {
		t.Fatal("Interfaces succeeded on an lcp error")
	}
	t.Logf("error (expected): %v", err)
}

func TestNotConnected(t *testing.T) {
	c := New("/nonexistent/api.sock", WithLogger(quietLogger()))
	if _, err := c.Interfaces(context.Background()); !errors.Is(err, ErrNotConnected) {
		t.Errorf("Interfaces before Run: %v, want ErrNotConnected", err)
	}
	if _, err := c.Version(context.Background()); !errors.Is(err, ErrNotConnected) {
		t.Errorf("Version before Run: %v, want ErrNotConnected", err)
	}
}

// TestForwardCoalesces: a receiver that does not read gets the first events
// up to the buffer, then one Resync, then events again; the sender never
// blocks.
func TestForwardCoalesces(t *testing.T) {
	in := make(chan Event)
	out := make(chan Event, 2)
	done := make(chan struct{})
	go func() { forward(in, out); close(done) }()
	for i := range 5 {
		in <- Event{Kind: InterfaceChanged, SwIfIndex: uint32(i)}
	}
	want := []Event{{SwIfIndex: 0}, {SwIfIndex: 1}, {Kind: Resync}}
	for _, w := range want {
		if got := <-out; got != w {
			t.Fatalf("got %+v, want %+v", got, w)
		}
	}
	in <- Event{SwIfIndex: 9}
	if got := <-out; got != (Event{SwIfIndex: 9}) {
		t.Fatalf("after resync got %+v", got)
	}
	close(in)
	<-done
	if _, ok := <-out; ok {
		t.Fatal("out not closed after in")
	}
}
