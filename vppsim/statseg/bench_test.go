package statseg

import (
	"fmt"
	"testing"
)

func benchNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("GigabitEthernet%d/%d/%d.%d", i/4096, i/64%64, i%64, i)
	}
	return names
}

// BenchmarkAddCombined is one counter update (packets and bytes) of a VPP
// worker: the simulator's per-packet-batch cost.
func BenchmarkAddCombined(b *testing.B) {
	s, err := New(WithThreads(5))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.SetInterfaces(benchNames(1000)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.Run("serial", func(b *testing.B) {
		i := uint32(0)
		for b.Loop() {
			s.AddCombined(Rx, 1, i%1000, 1, 64)
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := uint32(0)
			for pb.Next() {
				s.AddCombined(Rx, int(i%5), i%1000, 1, 64)
				i++
			}
		})
	})
}

// BenchmarkSetInterfaces100k builds the table of 100,000 interfaces with
// main + 4 workers: from a default segment (which moves to a new memfd) and
// from one sized for them with WithCapacity.
func BenchmarkSetInterfaces100k(b *testing.B) {
	names := benchNames(100000)
	for _, bc := range []struct {
		name string
		opts []Option
	}{
		{"default", []Option{WithThreads(5)}},
		{"capacity", []Option{WithThreads(5), WithCapacity(100000)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var size, used int
			for b.Loop() {
				b.StopTimer()
				s, err := New(bc.opts...)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := s.SetInterfaces(names); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				size, used = s.Size(), s.Used()
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(size)/(1<<20), "memfd-MiB")
			b.ReportMetric(float64(used)/(1<<20), "used-MiB")
			b.ReportMetric(float64(used)/float64(len(names)), "used-B/if")
		})
	}
}
