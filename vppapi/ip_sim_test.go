package vppapi_test

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// TestAddressesMatchSim: Addresses returns what vppsim's default router is
// configured with, IPv4 and IPv6, on the right sw_if_index, and follows
// `set interface ip address`.
func TestAddressesMatchSim(t *testing.T) {
	cfg := simConfig(t)
	s := startSim(t, cfg)
	c := connected(t, cfg.APISocket)
	ctx := context.Background()

	var sws []uint32
	var want []model.Address
	for _, x := range s.Interfaces() {
		sws = append(sws, x.SwIfIndex)
		for _, p := range x.Addresses {
			want = append(want, model.Address{SwIfIndex: x.SwIfIndex, Prefix: p})
		}
	}
	got, err := c.Addresses(ctx, 0, sws)
	if err != nil {
		t.Fatal(err)
	}
	sortAddrs := func(a []model.Address) {
		slices.SortFunc(a, func(x, y model.Address) int {
			if x.SwIfIndex != y.SwIfIndex {
				return int(x.SwIfIndex) - int(y.SwIfIndex)
			}
			return x.Prefix.Addr().Compare(y.Prefix.Addr())
		})
	}
	sortAddrs(want)
	sortAddrs(got)
	if len(want) < 4 || !slices.Equal(got, want) {
		t.Fatalf("addresses\n got %v\nwant %v", got, want)
	}
	if out := s.RunCLI("set interface ip address loop1 10.9.9.1/24"); out != "" {
		t.Fatal(out)
	}
	loop1, _ := s.Interface("loop1")
	got, err = c.Addresses(ctx, 0, []uint32{loop1.SwIfIndex})
	if err != nil || len(got) != 1 || got[0].Prefix != netip.MustParsePrefix("10.9.9.1/24") {
		t.Fatalf("after set interface ip address: %v, %v", got, err)
	}
}

// TestNeighborEventsFromSim: `set ip neighbor ... static` on vppsim reaches
// the client as an event naming the interface, and the dump of that
// interface has it, static, with its MAC; `del` removes it with an event.
func TestNeighborEventsFromSim(t *testing.T) {
	cfg := simConfig(t)
	s := startSim(t, cfg)
	c := connected(t, cfg.APISocket)
	ctx := context.Background()
	x, err := s.Interface("TenGigabitEthernet3/0/0")
	if err != nil {
		t.Fatal(err)
	}
	waitEvent := func() {
		t.Helper()
		timer := time.NewTimer(5 * time.Second)
		defer timer.Stop()
		select {
		case ev := <-c.NeighborEvents():
			if ev.SwIfIndex != x.SwIfIndex {
				t.Fatalf("event for sw_if_index %d, want %d", ev.SwIfIndex, x.SwIfIndex)
			}
		case <-timer.C:
			t.Fatal("no neighbour event")
		}
	}
	if out := s.RunCLI("set ip neighbor TenGigabitEthernet3/0/0 192.0.2.0 02:00:00:00:00:01 static"); out != "" {
		t.Fatal(out)
	}
	waitEvent()
	ns, err := c.Neighbors(ctx, 0, x.SwIfIndex)
	if err != nil {
		t.Fatal(err)
	}
	want := model.Neighbor{SwIfIndex: x.SwIfIndex, IP: netip.MustParseAddr("192.0.2.0"), MAC: [6]byte{2, 0, 0, 0, 0, 1}, Static: true}
	if len(ns) != 1 || ns[0].Updated.IsZero() || ns[0].Updated.After(time.Now()) {
		t.Fatalf("neighbours %v", ns)
	}
	ns[0].Updated = time.Time{}
	if ns[0] != want {
		t.Fatalf("neighbour %+v, want %+v", ns[0], want)
	}
	if out := s.RunCLI("set ip neighbor del TenGigabitEthernet3/0/0 192.0.2.0 02:00:00:00:00:01"); out != "" {
		t.Fatal(out)
	}
	waitEvent()
	if ns, err := c.Neighbors(ctx, 0, x.SwIfIndex); err != nil || len(ns) != 0 {
		t.Fatalf("after del: %v, %v", ns, err)
	}
}
