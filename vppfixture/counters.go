package vppfixture

import (
	_ "embed"
	"encoding/json"
	"testing"
)

//go:embed testdata/interface_counters.json
var countersJSON []byte

// counters is model.Counters' underlying type, field for field, so that the
// compiler rejects Counters[model.Counters] if the two ever differ.
type counters = struct {
	RxPackets, RxBytes uint64
	TxPackets, TxBytes uint64

	RxUnicastPackets, RxUnicastBytes     uint64
	RxMulticastPackets, RxMulticastBytes uint64
	RxBroadcastPackets, RxBroadcastBytes uint64
	TxUnicastPackets, TxUnicastBytes     uint64
	TxMulticastPackets, TxMulticastBytes uint64
	TxBroadcastPackets, TxBroadcastBytes uint64

	Drops   uint64
	Punts   uint64
	RxNoBuf uint64
	RxMiss  uint64
	RxError uint64
	TxError uint64
}

// Counters returns the capture's interface names and counters, both indexed
// by sw_if_index: interface_counters.json, what govpp's GetInterfaceStats
// read from the real VPP right before the segment was copied. C is
// model.Counters.
func Counters[C ~counters](t testing.TB) (names []string, cs []C) {
	t.Helper()
	type pb struct{ Packets, Bytes uint64 }
	var doc struct {
		InterfaceStats struct {
			Interfaces []struct {
				InterfaceIndex                      uint32
				InterfaceName                       string
				Rx, Tx                              pb
				RxErrors, TxErrors                  uint64
				RxUnicast, RxMulticast, RxBroadcast pb
				TxUnicast, TxMulticast, TxBroadcast pb
				Drops, Punts, RxNoBuf, RxMiss       uint64
			}
		}
	}
	if err := json.Unmarshal(countersJSON, &doc); err != nil {
		t.Fatalf("parsing interface_counters.json: %v", err)
	}
	for i, x := range doc.InterfaceStats.Interfaces {
		if x.InterfaceIndex != uint32(i) {
			t.Fatalf("interface_counters.json: entry %d has index %d", i, x.InterfaceIndex)
		}
		names = append(names, x.InterfaceName)
		cs = append(cs, C(counters{
			RxPackets: x.Rx.Packets, RxBytes: x.Rx.Bytes, TxPackets: x.Tx.Packets, TxBytes: x.Tx.Bytes,
			RxUnicastPackets: x.RxUnicast.Packets, RxUnicastBytes: x.RxUnicast.Bytes,
			RxMulticastPackets: x.RxMulticast.Packets, RxMulticastBytes: x.RxMulticast.Bytes,
			RxBroadcastPackets: x.RxBroadcast.Packets, RxBroadcastBytes: x.RxBroadcast.Bytes,
			TxUnicastPackets: x.TxUnicast.Packets, TxUnicastBytes: x.TxUnicast.Bytes,
			TxMulticastPackets: x.TxMulticast.Packets, TxMulticastBytes: x.TxMulticast.Bytes,
			TxBroadcastPackets: x.TxBroadcast.Packets, TxBroadcastBytes: x.TxBroadcast.Bytes,
			Drops: x.Drops, Punts: x.Punts, RxNoBuf: x.RxNoBuf, RxMiss: x.RxMiss,
			RxError: x.RxErrors, TxError: x.TxErrors,
		}))
	}
	return names, cs
}
