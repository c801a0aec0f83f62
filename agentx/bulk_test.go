package agentx

import (
	"runtime"
	"testing"
)

// hostileBulk encodes a GetBulk of max-repetitions 65535 whose payload is
// as large as the codec accepts: as many search ranges as fit in
// maxPayload, each starting at start.
func hostileBulk(nonRep uint16, start OID) []byte {
	return hostileRequest(pduGetBulk, nonRep, 65535, start)
}

// hostileRequest encodes a request of type typ (Get, GetNext or GetBulk)
// with as many search ranges starting at start as fit in maxPayload.
func hostileRequest(typ pduType, nonRep, maxRep uint16, start OID) []byte {
	sr := searchRange{start: start}
	one := (&pdu{header: header{version: 1, typ: pduGet}, ranges: []searchRange{sr}}).appendTo(nil)
	room := maxPayload
	if typ == pduGetBulk {
		room -= 4
	}
	rs := make([]searchRange, room/(len(one)-headerLen))
	for i := range rs {
		rs[i] = sr
	}
	return (&pdu{header: header{version: 1, typ: typ, flags: flagNetworkByteOrder},
		nonRepeaters: nonRep, maxRepetitions: maxRep, ranges: rs}).appendTo(nil)
}

// refBulk is the answer to a GetBulk as RFC 2741 7.2.3.3 defines it,
// without any size limit, computed the plain way; it stops after limit
// varbinds.
func refBulk(t Tree, nonRep, maxRep int, rs []searchRange, limit int) []Varbind {
	eom := Value{Type: TypeEndOfMIBView}
	next := func(start, end OID, include bool) (Varbind, bool) {
		name, v, ok := t.Next(nil, start, include)
		if !ok || (len(end) > 0 && name.Compare(end) >= 0) {
			return Varbind{start, eom}, true
		}
		return Varbind{name, v}, false
	}
	var out []Varbind
	n := min(nonRep, len(rs))
	for _, r := range rs[:n] {
		if len(out) == limit {
			return out
		}
		vb, _ := next(r.start, r.end, r.include)
		out = append(out, vb)
	}
	reps := rs[n:]
	last := make([]OID, len(reps))
	done := make([]bool, len(reps))
	for rep := 0; rep < maxRep; rep++ {
		all := true
		for k, r := range reps {
			if len(out) == limit {
				return out
			}
			if done[k] {
				out = append(out, Varbind{last[k], eom})
				continue
			}
			start, include := r.start, r.include
			if rep > 0 {
				start, include = last[k], false
			}
			vb, end := next(start, r.end, include)
			done[k] = end
			all = all && end
			last[k] = vb.Name
			out = append(out, vb)
		}
		if all {
			break
		}
	}
	return out
}

// A GetBulk as a hostile master would send it: max-repetitions 65535 and
// a megabyte of search ranges. The answer stays within maxBulkResponse, is
// exactly the start of the unbounded answer, and costs no allocation once
// the connection's response buffer exists (and little from nothing).
func TestHostileGetBulk(t *testing.T) {
	tree := newTableTree(ifXEntryOID, []uint32{1, 6, 10, 15}, 100000, 1)
	d := newTestDispatcher(tree, "")
	for _, c := range []struct {
		name string
		req  []byte
	}{
		{"empty ranges", hostileBulk(0, nil)},
		{"ranges of 128 sub-ids", hostileBulk(0, make(OID, 128))},
		{"ranges into the table", hostileBulk(0, oidAppend(ifXEntryOID, 6))},
		{"all non-repeaters", hostileBulk(65535, nil)},
		{"some non-repeaters", hostileBulk(1000, oidAppend(ifXEntryOID, 10))},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := decodePDU(c.req)
			if err != nil {
				t.Fatal(err)
			}
			resp, _ := d.answer(c.req, make([]byte, 0, outBuffer))
			if len(resp) > maxBulkResponse {
				t.Errorf("answer of %d bytes, budget %d", len(resp), maxBulkResponse)
			}
			p, err := decodePDU(resp)
			if err != nil || p.resError != NoError || len(p.varbinds) == 0 {
				t.Fatalf("answer: %v, %+v", err, p)
			}
			// Full: cut at a varbind boundary near the budget, not before.
			if len(resp) < maxBulkResponse-600 {
				t.Errorf("answer of %d bytes ends well before the budget", len(resp))
			}
			ref := refBulk(tree, int(req.nonRepeaters), int(req.maxRepetitions), req.ranges, len(p.varbinds))
			wantVarbinds(t, p.varbinds, ref...)

			out := make([]byte, 0, outBuffer)
			if a := testing.AllocsPerRun(3, func() { out, _ = d.answer(c.req, out[:0]) }); a != 0 {
				t.Errorf("%v allocations per hostile GetBulk", a)
			}
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			d.answer(c.req, nil)
			runtime.ReadMemStats(&m1)
			if b := m1.TotalAlloc - m0.TotalAlloc; b > 8*maxBulkResponse {
				t.Errorf("%d bytes allocated answering from an empty buffer", b)
			}
			t.Logf("request of %d ranges, %d bytes: answer of %d varbinds, %d bytes; %d bytes allocated from an empty buffer",
				len(req.ranges), len(c.req), len(p.varbinds), len(resp), m1.TotalAlloc-m0.TotalAlloc)
		})
	}
}

// A GetBulk cut short by the budget is the start of the full answer, in
// both byte orders; one that ends by itself is whole.
func TestGetBulkCutAtBudget(t *testing.T) {
	tree := newTableTree(ifXEntryOID, []uint32{1, 6, 10, 15}, 100000, 1)
	d := newTestDispatcher(tree, "")
	for _, order := range []uint8{0, flagNetworkByteOrder} {
		for _, c := range []struct {
			nonRep, maxRep uint16
			ranges         []searchRange
		}{
			{1, 65535, []searchRange{{start: ifXEntryOID}, {start: oidAppend(ifXEntryOID, 6, 1500), include: true}, {start: oidAppend(ifXEntryOID, 15)}}},
			// Ends by itself: every repeater reaches its range's end.
			{0, 65535, []searchRange{{start: oidAppend(ifXEntryOID, 15, 100900), end: oidAppend(ifXEntryOID, 16)}, {start: oidAppend(ifXEntryOID, 10, 100990), end: oidAppend(ifXEntryOID, 11)}}},
		} {
			p := ask(t, d, &pdu{header: header{typ: pduGetBulk, flags: order}, nonRepeaters: c.nonRep, maxRepetitions: c.maxRep, ranges: c.ranges})
			if p.resError != NoError {
				t.Fatalf("error %v", p.resError)
			}
			ref := refBulk(tree, int(c.nonRep), int(c.maxRep), c.ranges, 1<<20)
			if len(ref) > len(p.varbinds) {
				ref = ref[:len(p.varbinds)]
			}
			wantVarbinds(t, p.varbinds, ref...)
		}
	}
}

// A Get or GetNext must answer every range, so one whose answer would pass
// maxResponse is tooBig, and its cost is bounded by maxResponse.
func TestHostileGetTooBig(t *testing.T) {
	tree := newTableTree(ifXEntryOID, []uint32{1, 6, 10, 15}, 100000, 1)
	d := newTestDispatcher(tree, "")
	for _, typ := range []pduType{pduGet, pduGetNext} {
		req := hostileRequest(typ, 0, 0, oidAppend(ifXEntryOID, 10, 1000))
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		resp, _ := d.answer(req, make([]byte, 0, outBuffer))
		runtime.ReadMemStats(&m1)
		p, err := decodePDU(resp)
		if err != nil || p.resError != TooBig || len(p.varbinds) != 0 {
			t.Fatalf("%v: %v, %+v", typ, err, p)
		}
		if b := m1.TotalAlloc - m0.TotalAlloc; b > 8*maxResponse {
			t.Errorf("%v: %d bytes allocated", typ, b)
		}
		t.Logf("%v of %d bytes: tooBig, %d bytes allocated", typ, len(req), m1.TotalAlloc-m0.TotalAlloc)
	}
}

// The bytes and allocations of one hostile GetBulk, answered into a reused
// buffer as the connection does.
func BenchmarkHostileGetBulk(b *testing.B) {
	tree := newTableTree(ifXEntryOID, []uint32{1, 6, 10, 15}, 100000, 1)
	d := newTestDispatcher(tree, "")
	req := hostileBulk(0, oidAppend(ifXEntryOID, 6))
	out := make([]byte, 0, outBuffer)
	b.ReportAllocs()
	for b.Loop() {
		out, _ = d.answer(req, out[:0])
	}
}
