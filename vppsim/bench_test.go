package vppsim

import (
	"context"
	"testing"
	"time"

	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
)

// BenchmarkSwInterfaceDump10k: a full sw_interface_dump of 10,000
// interfaces through govpp (socketclient + core), per dump.
func BenchmarkSwInterfaceDump10k(b *testing.B) {
	s := startSim(b, Config{Interfaces: 10000})
	_, ch := connect(b, s)
	req := &interfaces.SwInterfaceDump{SwIfIndex: interface_types.InterfaceIndex(NoIndex)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		rc := ch.SendMultiRequest(req)
		for {
			last, err := rc.ReceiveReply(new(interfaces.SwInterfaceDetails))
			if err != nil {
				b.Fatal(err)
			}
			if last {
				break
			}
			n++
		}
		if n < 10000 {
			b.Fatalf("%d details", n)
		}
	}
}

// BenchmarkBoot10k: start (10,000 interfaces, stats segment, sockets) and
// close.
func BenchmarkBoot10k(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		s, err := New(Config{APISocket: dir + "/api.sock", StatsSocket: dir + "/stats.sock",
			Interfaces: 10000, Tick: -1, Logger: quietLogger(b)})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		_ = s.Close()
	}
}

// BenchmarkTick10k: one 100 ms tick of traffic on 10,000 interfaces, two
// workers, into the stats segment.
func BenchmarkTick10k(b *testing.B) {
	s := startSim(b, Config{Interfaces: 10000, Workers: 2, GeneratedRates: Rates{RxPPS: 100, TxPPS: 100}})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Advance(100 * time.Millisecond)
	}
}
