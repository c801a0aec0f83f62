package mib

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/ifindex"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// bigRouter returns n interfaces as a large VPP router has them: 100G
// ports with many VLAN sub-interfaces, a few bonds, tags on the ports, and
// counters for each.
func bigRouter(n int) ([]model.Interface, []model.Counters) {
	ifaces := make([]model.Interface, 0, n)
	counters := make([]model.Counters, n)
	const subsPerPort = 99
	var port uint32
	for sw := uint32(0); int(sw) < n; sw++ {
		c := &counters[sw]
		c.RxPackets, c.RxBytes = uint64(sw)*1000+7, uint64(sw)*1500000
		c.TxPackets, c.TxBytes = uint64(sw)*900, uint64(sw)*1200000
		c.RxMulticastPackets, c.Drops = uint64(sw), 3
		if sw%(subsPerPort+1) == 0 {
			port = sw
			in := model.Interface{SwIfIndex: sw, SupSwIfIndex: sw, Name: fmt.Sprintf("HundredGigabitEthernet%d/0/0", sw/100),
				DevType: "dpdk", AdminUp: true, LinkUp: sw%700 != 0,
				LinkSpeed: 100_000_000, MTU: 9000, LinkMTU: 9216, MAC: [6]byte{2, 0, byte(sw >> 16), byte(sw >> 8), byte(sw), 1}}
			in.SetTag(fmt.Sprintf("customer uplink %d", sw))
			ifaces = append(ifaces, in)
			continue
		}
		ifaces = append(ifaces, model.Interface{SwIfIndex: sw, SupSwIfIndex: port, Sub: true,
			Name:    fmt.Sprintf("HundredGigabitEthernet%d/0/0.%d", port/100, sw-port),
			DevType: "dpdk", AdminUp: true, LinkUp: true, LinkSpeed: 100_000_000, MTU: 1500, LinkMTU: 9216})
	}
	return ifaces, counters
}

// BenchmarkBuild measures the steady state (previous snapshot and ifIndex
// map known, a detail poll with nothing new) and reports the heap held per
// interface by the snapshot and ifindex.Registry.
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ifaces, counters := bigRouter(n)
			prev, idx, _ := Build(nil, ifaces, counters, nil, t0, Options{Clock: clock})
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				prev, idx, _ = Build(prev, ifaces, counters, idx, t0.Add(time.Duration(i)*time.Second), Options{Clock: clock})
			}
			b.StopTimer()
			b.ReportMetric(float64(heldPerInterface(n)), "B-held/iface")
		})
	}
}

// BenchmarkBuildFirst is the agent's start: every name new.
func BenchmarkBuildFirst(b *testing.B) {
	ifaces, counters := bigRouter(100_000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Build(nil, ifaces, counters, nil, t0, Options{Clock: clock})
	}
}

// heldPerInterface builds n interfaces' snapshot and ifindex.Registry from inputs
// that are then dropped, and returns the live heap they keep per interface.
func heldPerInterface(n int) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, idx := func() (*Snapshot, *ifindex.Registry) {
		ifaces, counters := bigRouter(n)
		s, idx, _ := Build(nil, ifaces, counters, nil, t0, Options{Clock: clock})
		return s.WithCounters(counters, t0), idx
	}()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(s)
	runtime.KeepAlive(idx)
	if after.HeapAlloc < before.HeapAlloc {
		return 0
	}
	return (after.HeapAlloc - before.HeapAlloc) / uint64(n)
}

func BenchmarkWithCounters(b *testing.B) {
	ifaces, counters := bigRouter(100_000)
	s, _, _ := Build(nil, ifaces, counters, nil, t0, Options{Clock: clock})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s = s.WithCounters(counters, t0)
	}
}

// benchNames are cells spread over a 100,000-row snapshot.
func benchSetup(b *testing.B) (*Snapshot, []agentx.OID) {
	ifaces, counters := bigRouter(100_000)
	s, _, _ := Build(nil, ifaces, counters, nil, t0, Options{Clock: clock})
	var names []agentx.OID
	for i := uint32(0); i < 1024; i++ {
		x := 1000 + (i*7919)%100_000
		names = append(names, cellOID(i%2 == 0, 1+i%19, x))
	}
	names = append(names, agentx.OID{1, 3, 6, 1, 2, 1, 31, 1, 2, 1, 3, 1100, 1000})
	return s, names
}

func BenchmarkGet(b *testing.B) {
	s, names := benchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Get(names[i%len(names)])
	}
}

func BenchmarkNext(b *testing.B) {
	s, names := benchSetup(b)
	dst := make(agentx.OID, 0, 32)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst, _, _ = s.Next(dst, names[i%len(names)], false)
	}
}

// BenchmarkWalk is a whole snmpwalk of a 10,000-interface snapshot, per
// varbind.
func BenchmarkWalk(b *testing.B) {
	ifaces, counters := bigRouter(10_000)
	s, _, _ := Build(nil, ifaces, counters, nil, t0, Options{Clock: clock})
	cur := make(agentx.OID, 0, 32)
	dst := make(agentx.OID, 0, 32)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name, _, ok := s.Next(dst, cur, false)
		if !ok {
			cur = cur[:0]
			continue
		}
		cur, dst = name, cur
	}
}
