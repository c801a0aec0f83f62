package mib

import (
	"bufio"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// loadAddresses parses the capture's ip_address_dump.json (one entry per
// interface and family) into what vppapi produces, with the name VPP gave
// each interface.
func loadAddresses(t testing.TB) ([]model.Address, map[netip.Addr]string) {
	t.Helper()
	b, err := os.ReadFile("testdata/ip_address_dump.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw []struct {
		SwIfIndex        uint32
		InterfaceName    string
		IPAddressDetails []struct {
			SwIfIndex uint32
			Prefix    string
		}
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	var out []model.Address
	names := map[netip.Addr]string{}
	for _, r := range raw {
		for _, d := range r.IPAddressDetails {
			p := netip.MustParsePrefix(d.Prefix)
			out = append(out, model.Address{SwIfIndex: d.SwIfIndex, Prefix: p})
			names[p.Addr()] = r.InterfaceName
		}
	}
	return out, names
}

// loadNeighbors parses one dump of the capture's ip_neighbor_dump.json.
func loadNeighbors(t testing.TB, which string) []model.Neighbor {
	t.Helper()
	b, err := os.ReadFile("testdata/ip_neighbor_dump.json")
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		Age      float64
		Neighbor struct {
			SwIfIndex  uint32 `json:"sw_if_index"`
			Flags      uint8
			MacAddress string `json:"mac_address"`
			IPAddress  string `json:"ip_address"`
		}
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	var es []entry
	if err := json.Unmarshal(raw[which], &es); err != nil {
		t.Fatalf("%s: %v", which, err)
	}
	var out []model.Neighbor
	for _, e := range es {
		hw, err := net.ParseMAC(e.Neighbor.MacAddress)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, model.Neighbor{
			SwIfIndex: e.Neighbor.SwIfIndex, IP: netip.MustParseAddr(e.Neighbor.IPAddress),
			MAC: [6]byte(hw), Static: e.Neighbor.Flags&1 != 0, // IP_API_NEIGHBOR_FLAG_STATIC
		})
	}
	return out
}

// ipSnapshot is the capture with every module served.
func ipSnapshot(t testing.TB, neighbors string) *Snapshot {
	t.Helper()
	s, _, _ := Build(nil, loadDetails(t), loadCounters(t), nil, t0, Options{Clock: clock, MIBs: MIBs()})
	addrs, _ := loadAddresses(t)
	return s.WithSources(Sources{Addresses: addrs, Neighbors: loadNeighbors(t, neighbors)}, t0)
}

func ifIndexNamed(t *testing.T, s *Snapshot, name string) uint32 {
	t.Helper()
	for i := range s.Len() {
		if r := s.Row(i); r.Name == name {
			return r.IfIndex
		}
	}
	t.Fatalf("no interface %s", name)
	return 0
}

func inetIndex(a netip.Addr) agentx.OID {
	o := agentx.OID{1, 4}
	if a.Is6() {
		o = agentx.OID{2, 16}
	}
	for _, b := range a.AsSlice() {
		o = append(o, uint32(b))
	}
	return o
}

func cat(parts ...agentx.OID) agentx.OID {
	var o agentx.OID
	for _, p := range parts {
		o = append(o, p...)
	}
	return o
}

// TestIPMIBFixtureGolden walks IP-MIB and EtherLike-MIB as served from the
// real VPP 26.06 capture.
func TestIPMIBFixtureGolden(t *testing.T) {
	s := ipSnapshot(t, "ip_neighbor_dump_ip4_with_static_added")
	got := strings.Join(append(walkWithin(t, s, oid(t, "1.3.6.1.2.1.4")), walkWithin(t, s, oid(t, "1.3.6.1.2.1.10.7"))...), "\n") + "\n"
	const golden = "testdata/ipmib.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("walk differs from %s:\n%s", golden, got)
	}
}

// walkWithin is walk, stopped at the end of the subtree.
func walkWithin(t *testing.T, s *Snapshot, sub agentx.OID) []string {
	var out []string
	for _, l := range walk(t, s, sub) {
		if strings.HasPrefix(l, "."+oidString(sub)+".") {
			out = append(out, l)
		}
	}
	return out
}

// TestIPMIBFixtureAddresses: every address of the capture is in
// ipAddressTable (and, IPv4, ipAddrTable) on the ifIndex of the interface
// VPP named, with its prefix.
func TestIPMIBFixtureAddresses(t *testing.T) {
	s := ipSnapshot(t, "ip_neighbor_dump_ip4")
	addrs, names := loadAddresses(t)
	if len(addrs) != 6 {
		t.Fatalf("%d addresses in the capture, want 6", len(addrs))
	}
	for _, a := range addrs {
		ip := a.Prefix.Addr()
		ix := ifIndexNamed(t, s, names[ip])
		if v := s.Get(cat(oidIPAddressEntry, agentx.OID{3}, inetIndex(ip))); v.Type != agentx.TypeInteger || v.Integer != uint64(ix) {
			t.Errorf("ipAddressIfIndex of %s = %s, want %d (%s)", ip, format(v), ix, names[ip])
		}
		pfx := a.Prefix.Masked()
		want := cat(oidIPAddressPrefixOrigin, agentx.OID{ix}, inetIndex(pfx.Addr()), agentx.OID{uint32(pfx.Bits())})
		if v := s.Get(cat(oidIPAddressEntry, agentx.OID{5}, inetIndex(ip))); v.Type != agentx.TypeObjectIdentifier || v.OID.Compare(want) != 0 {
			t.Errorf("ipAddressPrefix of %s = %s, want %s", ip, format(v), oidString(want))
		}
		if v := s.Get(want); v.Type != agentx.TypeInteger || v.Integer != originManual {
			t.Errorf("the prefix row of %s: %s", ip, format(v))
		}
		if !ip.Is4() {
			continue
		}
		b := ip.As4()
		idx := agentx.OID{uint32(b[0]), uint32(b[1]), uint32(b[2]), uint32(b[3])}
		if v := s.Get(cat(oidIPAddrEntry, agentx.OID{2}, idx)); v.Integer != uint64(ix) {
			t.Errorf("ipAdEntIfIndex.%s = %s, want %d", ip, format(v), ix)
		}
		m := net.CIDRMask(a.Prefix.Bits(), 32)
		if v := s.Get(cat(oidIPAddrEntry, agentx.OID{3}, idx)); v.Type != agentx.TypeIPAddress || string(v.Bytes) != string(m) {
			t.Errorf("ipAdEntNetMask.%s = %s, want %v", ip, format(v), m)
		}
	}
}

// TestIPMIBFixtureNeighbors: what `show ip neighbors` printed on the real
// VPP is in ipNetToPhysicalTable and ipNetToMediaTable: interface, MAC,
// static (S) or dynamic (D).
func TestIPMIBFixtureNeighbors(t *testing.T) {
	s := ipSnapshot(t, "ip_neighbor_dump_ip4")
	f, err := os.Open("testdata/vppctl_show_ip_neighbors.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 5 || fs[0] == "Age" {
			continue
		}
		n++
		ip, flag, mac, name := netip.MustParseAddr(fs[1]), fs[2], fs[3], fs[4]
		ix := ifIndexNamed(t, s, name)
		hw, _ := net.ParseMAC(mac)
		typ := uint64(neighborDynamic)
		if flag == "S" {
			typ = neighborStatic
		}
		row := cat(agentx.OID{ix}, inetIndex(ip))
		if v := s.Get(cat(oidIPNetToPhysicalEntry, agentx.OID{4}, row)); string(v.Bytes) != string(hw) {
			t.Errorf("ipNetToPhysicalPhysAddress of %s on %s = %s, want %s", ip, name, format(v), mac)
		}
		if v := s.Get(cat(oidIPNetToPhysicalEntry, agentx.OID{6}, row)); v.Integer != typ {
			t.Errorf("ipNetToPhysicalType of %s = %s, want %d (%s)", ip, format(v), typ, flag)
		}
		b := ip.As4()
		media := agentx.OID{ix, uint32(b[0]), uint32(b[1]), uint32(b[2]), uint32(b[3])}
		if v := s.Get(cat(oidIPNetToMediaEntry, agentx.OID{2}, media)); string(v.Bytes) != string(hw) {
			t.Errorf("ipNetToMediaPhysAddress of %s on %s = %s, want %s", ip, name, format(v), mac)
		}
	}
	if n != 3 {
		t.Fatalf("%d neighbours in show ip neighbors, want 3", n)
	}
	if got := walkWithin(t, s, cat(oidIPNetToPhysicalEntry, agentx.OID{4})); len(got) != n {
		t.Errorf("ipNetToPhysicalTable has %d rows, show ip neighbors %d", len(got), n)
	}
}

// TestEtherLikeFixture: the capture's Ethernet ports (af_packet) are in
// dot3StatsTable with unknown duplex (VPP says 0 for them), and nothing
// else is.
func TestEtherLikeFixture(t *testing.T) {
	s := ipSnapshot(t, "ip_neighbor_dump_ip4")
	rows := walkWithin(t, s, oid(t, "1.3.6.1.2.1.10.7.2.1.19"))
	want := 0
	for i := range s.Len() {
		if s.Row(i).Type == typeEthernetCsmacd {
			want++
		}
	}
	if want == 0 || len(rows) != want {
		t.Fatalf("dot3StatsDuplexStatus has %d rows, want %d: %v", len(rows), want, rows)
	}
	for _, r := range rows {
		if !strings.HasSuffix(r, "= INTEGER: 1") {
			t.Errorf("%s, want unknown(1)", r)
		}
	}
}

// TestNoAllocsIPMIB: Get and Next in the new tables allocate nothing.
func TestNoAllocsIPMIB(t *testing.T) {
	s := ipSnapshot(t, "ip_neighbor_dump_ip4")
	names := []agentx.OID{
		cat(oidIPAddressEntry, agentx.OID{5, 1, 4, 192, 0, 2, 1}),
		cat(oidIPAddrEntry, agentx.OID{3, 192, 0, 2, 1}),
		cat(oidIPNetToPhysicalEntry, agentx.OID{4, 1001, 1, 4, 192, 0, 2, 2}),
		cat(oidIPAddressPrefixEntry, agentx.OID{5}),
		oid(t, "1.3.6.1.2.1.10.7.2.1.19"),
	}
	dst := make(agentx.OID, 0, 64)
	if n := testing.AllocsPerRun(100, func() {
		for _, name := range names {
			s.Get(name)
			dst, _, _ = s.Next(dst, name, false)
		}
	}); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func addrOn(sw uint32, p string) model.Address {
	return model.Address{SwIfIndex: sw, Prefix: netip.MustParsePrefix(p)}
}
