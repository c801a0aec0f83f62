package vppapi_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppapi"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim"
)

// BenchmarkInterfaces is one full Interfaces call (sw_interface_dump, the
// bond dumps and lcp_itf_pair_get) against vppsim's default router plus
// generated QinQ sub-interfaces, through apisocket and govpp's core
// (the simulator's encoding runs in the same process and is counted).
//
//	go test -run '^$' -bench Interfaces -benchtime 10x ./vppapi
func BenchmarkInterfaces(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("ifs=%d", n), func(b *testing.B) {
			cfg := vppsim.Config{
				APISocket:  b.TempDir() + "/api.sock",
				Tick:       -1,
				Interfaces: n,
				Logger:     discard(),
			}
			s, err := vppsim.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			c := vppapi.New(cfg.APISocket, vppapi.WithLogger(discard()), vppapi.WithRequestTimeout(time.Minute))
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- c.Run(ctx) }()
			defer func() { cancel(); <-done }()
			for ev := range c.Events() {
				if ev.Kind == vppapi.Connected {
					break
				}
			}
			want := len(s.Interfaces())
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				got, err := c.Interfaces(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				if len(got) != want {
					b.Fatalf("%d interfaces, want %d", len(got), want)
				}
			}
		})
	}
}

// BenchmarkAddresses is one full Addresses call (ip_address_dump per
// interface and family, as VPP needs it) at 10,000 interfaces: what the
// IP-MIB's periodic dump costs the agent and VPP's main thread.
//
//	go test -run '^$' -bench Addresses -benchtime 3x ./vppapi
func BenchmarkAddresses(b *testing.B) {
	cfg := vppsim.Config{
		APISocket:  b.TempDir() + "/api.sock",
		Tick:       -1,
		Interfaces: 10_000,
		Logger:     discard(),
	}
	s, err := vppsim.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c := vppapi.New(cfg.APISocket, vppapi.WithLogger(discard()), vppapi.WithRequestTimeout(time.Minute))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for ev := range c.Events() {
		if ev.Kind == vppapi.Connected {
			break
		}
	}
	var sws []uint32
	for _, x := range s.Interfaces() {
		sws = append(sws, x.SwIfIndex)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Addresses(context.Background(), 0, sws); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(len(sws)), "µs/iface")
}
