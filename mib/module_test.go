package mib

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
)

// TestREADMEMapsEveryObject: the README's mapping tables name every object
// the modules serve (the declarations are the list).
func TestREADMEMapsEveryObject(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Objects(MIBs()...) {
		if !strings.Contains(string(b), c.Name) {
			t.Errorf("README.md does not map %s (%s)", c.Name, oidString(c.OID))
		}
	}
}

// TestSubtreesByModule: each module registers only its own objects, and
// none registers a subtree holding another's.
func TestSubtreesByModule(t *testing.T) {
	if got := Subtrees(); !slices.EqualFunc(got, Subtrees("if"), func(a, b agentx.OID) bool { return a.Compare(b) == 0 }) {
		t.Errorf("Subtrees() = %v, want IF-MIB's", got)
	}
	all := Subtrees(MIBs()...)
	for i := 1; i < len(all); i++ {
		if all[i-1].Compare(all[i]) >= 0 || all[i].HasPrefix(all[i-1]) {
			t.Errorf("subtrees out of order or nested: %v then %v", all[i-1], all[i])
		}
	}
	if err := CheckMIBs([]string{"if", "ip", "etherlike"}); err != nil {
		t.Error(err)
	}
	if err := CheckMIBs([]string{"bgp"}); err == nil {
		t.Error("CheckMIBs accepted bgp")
	}
}

// TestIPTimes: ipAddressCreated is 0 for what was there at the first
// sources, the sysUpTime of its arrival for a later address, and
// ipAddressLastChanged moves when the address moves to another interface.
func TestIPTimes(t *testing.T) {
	s := ipSnapshot(t, "ip_neighbor_dump_ip4")
	src := s.Sources()
	created := func(s *Snapshot, a string) uint64 {
		return s.Get(cat(oidIPAddressEntry, agentx.OID{8}, inetIndex(mustAddr(t, a)))).Integer
	}
	changed := func(s *Snapshot, a string) uint64 {
		return s.Get(cat(oidIPAddressEntry, agentx.OID{9}, inetIndex(mustAddr(t, a)))).Integer
	}
	if created(s, "192.0.2.1") != 0 {
		t.Error("an address there at start has a creation time")
	}
	later := t0.Add(5 * time.Second)
	moved := src
	moved.Addresses = append(slices.Clone(src.Addresses), addrOn(3, "10.1.2.3/24"))
	s2 := s.WithSources(moved, later)
	want := uint64(clock.Ticks(later))
	if c := created(s2, "10.1.2.3"); c != want {
		t.Errorf("ipAddressCreated of a new address = %d, want %d", c, want)
	}
	if c := created(s2, "192.0.2.1"); c != 0 {
		t.Errorf("an old address got ipAddressCreated %d", c)
	}
	again := moved
	again.Addresses = slices.Clone(moved.Addresses)
	again.Addresses[len(again.Addresses)-1] = addrOn(1, "10.1.2.3/24")
	even := later.Add(5 * time.Second)
	s3 := s2.WithSources(again, even)
	if c, ch := created(s3, "10.1.2.3"), changed(s3, "10.1.2.3"); c != want || ch != uint64(clock.Ticks(even)) {
		t.Errorf("moved address: created %d changed %d, want %d %d", c, ch, want, clock.Ticks(even))
	}
}
