package statsread

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim/statseg"
	"go.fd.io/govpp/adapter/statsclient"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/core"
)

// Benchmarks of one read of every interface's counters, through the
// simulator's segment (VPP 26.06 layout, 17 /interfaces/ symlinks per
// interface as in VPP), at 10,000 and 100,000 interfaces, with the main
// thread only and with main + 3 workers. Run with e.g.
//
//	go test -run '^$' -bench . -benchtime 20x ./statsread
//
// Read: this package (UpdateDir of the prepared /if/ entries, a probe of
// the socket, the fold over threads). The others are the alternatives in
// govpp: GetInterfaceStats (core.StatsConnection), DumpStats (everything
// re-read, names included, each time) and PrepareDir, which Read pays only
// when it attaches or VPP changes the directory.

var benchSizes = []struct{ n, threads int }{{10_000, 1}, {10_000, 4}, {100_000, 1}, {100_000, 4}}

func benchSim(b *testing.B, n, threads int) string {
	b.Helper()
	seg, err := statseg.New(statseg.WithCapacity(n), statseg.WithThreads(threads))
	if err != nil {
		b.Fatal(err)
	}
	if err := seg.SetInterfaces(ifNames(n)); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		seg.AddCombined(statseg.Rx, threads-1, uint32(i), uint64(i), uint64(64*i))
	}
	return serveSeg(b, seg, "").path
}

func forSizes(b *testing.B, f func(b *testing.B, path string, n int)) {
	for _, sz := range benchSizes {
		b.Run(fmt.Sprintf("ifs=%d/threads=%d", sz.n, sz.threads), func(b *testing.B) {
			if testing.Short() && sz.n > 10_000 {
				b.Skip("short")
			}
			f(b, benchSim(b, sz.n, sz.threads), sz.n)
		})
	}
}

func BenchmarkRead(b *testing.B) {
	forSizes(b, func(b *testing.B, path string, n int) {
		r := New(path, WithLogger(quietLogger()))
		defer r.Close()
		c, err := r.Read(context.Background()) // attach and prepare
		if err != nil {
			b.Fatal(err)
		}
		if len(c.BySwIfIndex) != n || c.BySwIfIndex[n-1].RxPackets != uint64(n-1) {
			b.Fatalf("read %d interfaces, last rx %d", len(c.BySwIfIndex), c.BySwIfIndex[n-1].RxPackets)
		}
		b.ReportAllocs()
		b.ResetTimer()
		cpu := processCPU()
		for b.Loop() {
			if _, err := r.Read(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
	})
}

// BenchmarkReadInto is Read with the previous read's storage reused.
func BenchmarkReadInto(b *testing.B) {
	forSizes(b, func(b *testing.B, path string, n int) {
		r := New(path, WithLogger(quietLogger()))
		defer r.Close()
		var c Counters
		if err := r.ReadInto(context.Background(), &c); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		cpu := processCPU()
		for b.Loop() {
			if err := r.ReadInto(context.Background(), &c); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
		if len(c.BySwIfIndex) != n || c.BySwIfIndex[n-1].RxPackets != uint64(n-1) {
			b.Fatalf("read %d interfaces, last rx %d", len(c.BySwIfIndex), c.BySwIfIndex[n-1].RxPackets)
		}
	})
}

func BenchmarkGovppGetInterfaceStats(b *testing.B) {
	forSizes(b, func(b *testing.B, path string, n int) {
		conn, err := core.ConnectStats(statsclient.NewStatsClient(path))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Disconnect()
		var st api.InterfaceStats
		if err := conn.GetInterfaceStats(&st); err != nil || len(st.Interfaces) != n {
			b.Fatalf("%d interfaces, %v", len(st.Interfaces), err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if err := conn.GetInterfaceStats(&st); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGovppDumpStats(b *testing.B) {
	forSizes(b, func(b *testing.B, path string, n int) {
		sc := statsclient.NewStatsClient(path)
		if err := sc.Connect(); err != nil {
			b.Fatal(err)
		}
		defer sc.Disconnect()
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if _, err := sc.DumpStats(entryPattern); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGovppPrepareDir(b *testing.B) {
	forSizes(b, func(b *testing.B, path string, n int) {
		sc := statsclient.NewStatsClient(path)
		if err := sc.Connect(); err != nil {
			b.Fatal(err)
		}
		defer sc.Disconnect()
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if _, err := sc.PrepareDir(entryPattern); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkProbe is the per-Read check that the segment is still VPP's.
func BenchmarkProbe(b *testing.B) {
	seg, err := statseg.New(statseg.WithCapacity(1))
	if err != nil {
		b.Fatal(err)
	}
	path := serveSeg(b, seg, "").path
	b.ReportAllocs()
	for b.Loop() {
		if _, err := probe(context.Background(), path); err != nil {
			b.Fatal(err)
		}
	}
}

// processCPU is the CPU time this process has used (user + system, every
// thread: the garbage collector's work included, which ns/op misses).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process CPU time per read since start: at one read
// a second, cpu-ms/op is the share of a core in thousandths (10 = 1%).
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU()-start)/float64(b.N)/1e6, "cpu-ms/op")
}
