package vppsim

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
)

// TestIndexReuseIsLIFO: like a vppinfra pool, the last freed sw_if_index is
// the first reused; loopback instances take the lowest free number.
func TestIndexReuseIsLIFO(t *testing.T) {
	s := startSim(t, Config{Scenario: scenario(t, "interfaces: [{name: loop0, kind: loopback}]")})
	var made []Interface
	for i := 0; i < 3; i++ {
		x, err := s.CreateLoopback()
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, x)
	}
	if made[0].SwIfIndex != 2 || made[2].SwIfIndex != 4 || made[2].Name != "loop3" {
		t.Fatalf("created %+v", made)
	}
	for _, n := range []string{"loop1", "loop3"} {
		if err := s.Delete(n); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := s.CreateLoopback()
	b, _ := s.CreateLoopback()
	c, _ := s.CreateLoopback()
	if a.SwIfIndex != 4 || b.SwIfIndex != 2 || c.SwIfIndex != 5 {
		t.Errorf("reused indexes %d, %d then new %d; want 4, 2, 5", a.SwIfIndex, b.SwIfIndex, c.SwIfIndex)
	}
	if a.Name != "loop1" || b.Name != "loop3" || c.Name != "loop4" {
		t.Errorf("instances %s, %s, %s; want loop1, loop3, loop4", a.Name, b.Name, c.Name)
	}
	if err := s.Delete("local0"); !errors.Is(err, ErrNotSupported) {
		t.Errorf("deleting local0: %v", err)
	}
	if err := s.SetAdmin("nosuch", true); !errors.Is(err, ErrNoSuchInterface) {
		t.Errorf("unknown interface: %v", err)
	}
}

func TestScenarioErrors(t *testing.T) {
	for _, y := range []string{
		"interfaces: [{kind: dpdk}]",
		"interfaces: [{name: a, kind: warp-drive}]",
		"interfaces: [{name: a, speed: fast}]",
		"interfaces: [{name: a, state: sideways}]",
		"interfaces: [{name: a}, {name: a}]",
		"interfaces: [{name: a.1, kind: sub, parent: a, vlan: 1}]",
		"interfaces: [{name: a}, {kind: sub, parent: a, vlan: 5000}]",
		"interfaces: [{name: a}, {kind: sub, parent: a}]",
		"interfaces: [{name: a, bond: b}]",
		"interfaces: [{name: a, addresses: [not-an-address]}]",
		"interfaces: [{name: a, mac: zz}]",
		"interfaces: [{name: a, colour: blue}]",
		"interfaces: [{name: b, kind: bond, bond_mode: telepathy}]",
		"interfaces: [{name: local0, kind: local}]\nfoo: 1",
	} {
		if _, err := ParseScenario(strings.NewReader(y)); err == nil {
			t.Errorf("ParseScenario(%q): no error", y)
		}
	}
	// A port cannot be a bond: caught when the interfaces are created.
	dir := t.TempDir()
	s, err := New(Config{APISocket: dir + "/api.sock", Tick: -1, Logger: quietLogger(t),
		Scenario: scenario(t, "interfaces: [{name: a}, {name: b, bond: a}]")})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); !errors.Is(err, ErrNotSupported) {
		t.Errorf("Start with a port as bond: %v, want ErrNotSupported", err)
	}
	_ = s.Close()
}

// TestDefaultScenario: the default router has what make demo promises.
func TestDefaultScenario(t *testing.T) {
	s := startSim(t, Config{})
	byKind := map[Kind]int{}
	subs, qinq := 0, 0
	for _, x := range s.Interfaces() {
		byKind[x.Kind]++
		if x.Kind == KindSub {
			subs++
			if x.SubTags == 2 {
				qinq++
			}
		}
	}
	want := map[Kind]int{KindLocal: 1, KindDPDK: 6, KindSub: 4, KindBond: 1, KindLoopback: 2, KindTap: 2, KindVXLAN: 1, KindGRE: 1}
	for k, n := range want {
		if byKind[k] != n {
			t.Errorf("%s: %d, want %d", k, byKind[k], n)
		}
	}
	if qinq != 1 {
		t.Errorf("%d QinQ sub-interfaces, want 1", qinq)
	}
	x, _ := s.Interface("HundredGigabitEthernet5/0/0")
	if x.LinkSpeed != 100000000 || !x.LinkUp {
		t.Errorf("100G port: %+v", x)
	}
	if len(s.LCPPairs()) != 2 {
		t.Errorf("lcp pairs: %+v", s.LCPPairs())
	}
	s.Advance(time.Second)
	if s.Counters(x.SwIfIndex).RxPackets == 0 {
		t.Error("the 100G port has no traffic")
	}
}

// TestGeneratedInterfaces: --interfaces N adds N QinQ sub-interfaces over
// the ports, every one visible to govpp.
func TestGeneratedInterfaces(t *testing.T) {
	s := startSim(t, Config{Scenario: scenario(t, "interfaces: [{name: Ten0}, {name: Ten1}]"), Interfaces: 5000,
		GeneratedRates: Rates{RxPPS: 1, TxPPS: 2}, Workers: 3})
	_, ch := connect(t, s)
	got := dump(t, ch, &interfaces.SwInterfaceDump{SwIfIndex: interface_types.InterfaceIndex(NoIndex)})
	if len(got) != 5003 {
		t.Fatalf("%d interfaces, want 5003", len(got))
	}
	last := got[5002]
	if last.InterfaceName != "Ten1.102499" || last.SubNumberOfTags != 2 || last.SubOuterVlanID != 100 ||
		last.SubInnerVlanID != 2500 || last.Flags != 3 || last.SupSwIfIndex != 2 {
		t.Errorf("last generated: %+v", *last)
	}
	s.Advance(10 * time.Second)
	if c := s.Counters(5002); c.RxPackets != 10 || c.TxPackets != 20 {
		t.Errorf("generated interface counters after 10 s: %+v", c)
	}
}
