package mib

import (
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// bigL3 gives every interface of bigRouter(n) one IPv4 address (a /31 of
// its own) and one dynamic neighbour (the other end of it): n addresses
// and n neighbours.
func bigL3(ifaces []model.Interface) Sources {
	src := Sources{Addresses: make([]model.Address, len(ifaces)), Neighbors: make([]model.Neighbor, len(ifaces))}
	for i, in := range ifaces {
		base := 0x0a000000 + 2*uint32(i)
		own := netip.AddrFrom4([4]byte{byte(base >> 24), byte(base >> 16), byte(base >> 8), byte(base) | 1})
		peer := netip.AddrFrom4([4]byte{byte(base >> 24), byte(base >> 16), byte(base >> 8), byte(base)})
		src.Addresses[i] = model.Address{SwIfIndex: in.SwIfIndex, Prefix: netip.PrefixFrom(own, 31)}
		src.Neighbors[i] = model.Neighbor{SwIfIndex: in.SwIfIndex, IP: peer, MAC: [6]byte{2, 0xfe, byte(i >> 16), byte(i >> 8), byte(i), 1}, Updated: t0}
	}
	return src
}

func ipRouter(n int) (*Snapshot, []model.Interface, []model.Counters, Sources) {
	ifaces, counters := bigRouter(n)
	src := bigL3(ifaces)
	s, _, _ := Build(nil, ifaces, counters, nil, t0, Options{Clock: clock, MIBs: MIBs()})
	return s.WithSources(src, t0), ifaces, counters, src
}

// BenchmarkBuildWithIP is BenchmarkBuild with every module served: the
// IF-MIB rows and the IP-MIB and EtherLike-MIB rows joined to them, at 100,000
// sub-interfaces with one address and one neighbour each.
func BenchmarkBuildWithIP(b *testing.B) {
	const n = 100_000
	prev, ifaces, counters, _ := ipRouter(n)
	_, idx, _ := Build(nil, ifaces, counters, nil, t0, Options{Clock: clock})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		prev, idx, _ = Build(prev, ifaces, counters, idx, t0.Add(time.Duration(i)*time.Second), Options{Clock: clock, MIBs: MIBs()})
	}
	b.StopTimer()
	b.ReportMetric(float64(heldPerInterfaceIP(n)), "B-held/iface")
}

// BenchmarkWithSources is a new address and neighbour dump at 100,000 of
// each: IP-MIB rebuilt, IF-MIB shared.
func BenchmarkWithSources(b *testing.B) {
	s, _, _, src := ipRouter(100_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s = s.WithSources(src, t0.Add(time.Duration(i)*time.Second))
	}
}

// heldPerInterfaceIP is heldPerInterface with an address and a neighbour on
// every interface: the snapshot and its sources.
func heldPerInterfaceIP(n int) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, _, _, _ := ipRouter(n)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(s)
	if after.HeapAlloc < before.HeapAlloc {
		return 0
	}
	return (after.HeapAlloc - before.HeapAlloc) / uint64(n)
}

// BenchmarkNextIP is GetNext at random rows of ipAddrTable, ipAddressTable
// and ipNetToPhysicalTable at 100,000 rows each.
func BenchmarkNextIP(b *testing.B) {
	s, ifaces, _, src := ipRouter(100_000)
	var names []agentx.OID
	for i := uint32(0); i < 1024; i++ {
		k := int((i * 7919) % uint32(len(ifaces)))
		a := src.Addresses[k].Prefix.Addr().As4()
		p := src.Neighbors[k].IP.As4()
		ix, _ := s.Find(1000 + ifaces[k].SwIfIndex)
		v4 := agentx.OID{uint32(a[0]), uint32(a[1]), uint32(a[2]), uint32(a[3])}
		switch i % 3 {
		case 0:
			names = append(names, cat(oidIPAddrEntry, agentx.OID{2}, v4))
		case 1:
			names = append(names, cat(oidIPAddressEntry, agentx.OID{3, 1, 4}, v4))
		default:
			names = append(names, cat(oidIPNetToPhysicalEntry, agentx.OID{4, s.ifIndex[ix], 1, 4, uint32(p[0]), uint32(p[1]), uint32(p[2]), uint32(p[3])}))
		}
	}
	dst := make(agentx.OID, 0, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst, _, _ = s.Next(dst, names[i%len(names)], false)
	}
}
