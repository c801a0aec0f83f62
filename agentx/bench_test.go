package agentx

import (
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
)

// getNextPDUs encodes n GetNext requests for rows spread over a table, as
// snmpd sends them during a walk (one range, include 0, end = the end of
// the registration).
func getNextPDUs(n, rows int) [][]byte {
	var reqs [][]byte
	for i := range n {
		row := uint32(1000 + (i*7919)%rows)
		p := &pdu{header: header{version: 1, typ: pduGetNext, flags: flagNetworkByteOrder, sessionID: 6, transactionID: uint32(i), packetID: uint32(i)},
			ranges: []searchRange{{start: oidAppend(ifXEntryOID, 6, row), end: OID{1, 3, 6, 1, 2, 1, 31, 1, 2}}}}
		reqs = append(reqs, p.appendTo(nil))
	}
	return reqs
}

// One GetNext PDU decoded, answered from a 100,000-row table and encoded:
// the target is under 3 µs and no allocation, since a walk through snmpd
// costs one such round trip per varbind.
func BenchmarkGetNext100k(b *testing.B) {
	tree := newTableTree(ifXEntryOID, []uint32{1, 6, 10, 15}, 100000, 1)
	d := newTestDispatcher(tree, "")
	reqs := getNextPDUs(1024, 100000)
	out := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, ok := d.answer(reqs[i&1023], out[:0])
		if !ok || len(resp) < 40 {
			b.Fatal("no answer")
		}
		out = resp
	}
}

// The same, for a Get of six ranges (a LibreNMS-style per-port Get).
func BenchmarkGet6Ranges100k(b *testing.B) {
	tree := newTableTree(ifXEntryOID, []uint32{1, 6, 10, 15}, 100000, 1)
	d := newTestDispatcher(tree, "")
	var rs []searchRange
	for _, c := range []uint32{1, 6, 10, 15, 1, 6} {
		rs = append(rs, searchRange{start: oidAppend(ifXEntryOID, c, 51234)})
	}
	req := (&pdu{header: header{version: 1, typ: pduGet, flags: flagNetworkByteOrder}, ranges: rs}).appendTo(nil)
	out := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, _ := d.answer(req, out[:0])
		out = resp
	}
}

// Guard for the benchmark's claim, as a test: the request path allocates
// nothing.
func TestGetNextAllocatesNothing(t *testing.T) {
	tree := newTableTree(ifXEntryOID, []uint32{1, 6, 10, 15}, 1000, 1)
	d := newTestDispatcher(tree, "")
	reqs := getNextPDUs(64, 1000)
	out := make([]byte, 0, 4096)
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		resp, _ := d.answer(reqs[i&63], out[:0])
		out = resp
		i++
	})
	if allocs != 0 {
		t.Errorf("%v allocations per GetNext", allocs)
	}
}

// The whole round trip over a unix socket: a master (Go, net.Conn) writes a
// GetNext and reads the Response; the session's goroutine reads, answers
// and writes. Compare the raw path with the net.Conn path.
func BenchmarkRoundTripUnixRaw(b *testing.B)     { benchRoundTrip(b) }
func BenchmarkRoundTripUnixNetConn(b *testing.B) { benchRoundTrip(b, withNetConn()) }

func benchRoundTrip(b *testing.B, opts ...Option) {
	m := newFakeMaster(b)
	tree := newTableTree(ifXEntryOID, []uint32{1, 6, 10, 15}, 100000, 1)
	s := runSession(b, Config{Addr: m.addr, Subtrees: []OID{ifXTableOID}, PingInterval: -1}, tree, opts...)
	m.accept(1)
	waitConnected(b, s, 5*time.Second)
	reqs := getNextPDUs(1024, 100000)
	for _, r := range reqs {
		putIDs(r, m.sid, 1)
	}
	buf := make([]byte, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.c.Write(reqs[i&1023]); err != nil {
			b.Fatal(err)
		}
		// The answer is small: one read returns it whole.
		if n, err := m.c.Read(buf); err != nil || n < 40 {
			b.Fatal(n, err)
		}
	}
}

// A bulkwalk of 20,000 varbinds through the real snmpd: the end-to-end cost
// per varbind that a manager sees (snmpd turns it into 20,001 GetNexts).
func BenchmarkSnmpdBulkWalk20k(b *testing.B) {
	for _, v := range []struct {
		name string
		opts []Option
	}{{"raw", nil}, {"netconn", []Option{withNetConn()}}} {
		b.Run(v.name, func(b *testing.B) {
			sd := snmpdtest.Start(b, snmpdtest.Options{})
			tree := newTableTree(ifXEntryOID, []uint32{1, 6}, 10000, 1)
			startAgent(b, sd, tree, Config{Subtrees: []OID{ifXTableOID}}, v.opts...)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out, err := sd.Cmd(b, "snmpbulkwalk", "-Cr50", dotted(ifXTableOID))
				if err != nil {
					b.Fatal(err)
				}
				if n := len(snmpdtest.ParseLines(out)); n != 20000 {
					b.Fatalf("%d lines", n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*20000), "µs/varbind")
		})
	}
}
