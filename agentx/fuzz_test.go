package agentx

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"
)

// addSeeds seeds a fuzz target with every captured PDU (testdata/netsnmp,
// both byte orders) and every sample PDU; testdata/fuzz holds the same
// seeds as corpus files plus what fuzzing found.
func addSeeds(f *testing.F) {
	for _, p := range loadFixtures(f) {
		f.Add(p.b)
	}
	for _, b := range loadBins(f) {
		f.Add(b)
	}
	for _, p := range samplePDUs() {
		for _, o := range []uint8{0, flagNetworkByteOrder} {
			p.flags = o
			f.Add(p.appendTo(nil))
		}
	}
}

// FuzzDecode: decoding never panics, and decode → encode → decode is stable.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		p1, err := decodePDU(b)
		if err != nil {
			return
		}
		b1 := p1.appendTo(nil)
		p2, err := decodePDU(b1)
		if err != nil {
			t.Fatalf("re-encoding of %x does not decode: %v\n%x", b, err, b1)
		}
		// Encoding normalises: OIDs are prefix-compressed, reserved and
		// include bytes outside SearchRanges are zero, a context flag on a
		// PDU type without context is dropped.
		p1.payloadLen = p2.payloadLen
		if !p1.typ.hasContext() {
			p1.flags &^= flagNonDefaultContext
		}
		if !reflect.DeepEqual(p1, p2) {
			t.Fatalf("round trip of %x:\n%+v\n%+v", b, p1, p2)
		}
		if b2 := p2.appendTo(nil); !bytes.Equal(b1, b2) {
			t.Fatalf("encoding not stable:\n%x\n%x", b1, b2)
		}
	})
}

// FuzzDispatch: the dispatcher answers any framed PDU without panicking;
// its answer decodes, echoes the IDs, carries exactly one varbind per
// range of a Get or GetNext it did not refuse, and stays within the GetBulk
// budget.
func FuzzDispatch(f *testing.F) {
	addSeeds(f)
	tree := multiTree{
		newTableTree(OID{1, 3, 6, 1, 2, 1, 2, 2, 1}, []uint32{1, 2, 10, 16}, 5, 1),
		newTableTree(OID{1, 3, 6, 1, 2, 1, 31, 1, 1, 1}, []uint32{1, 6, 15, 18}, 5, 1),
	}
	d := newTestDispatcher(tree, "")
	var out []byte
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < headerLen {
			return
		}
		b = bytes.Clone(b)
		b[0] = 1
		b = b[:headerLen+(len(b)-headerLen)/4*4]
		n := uint32(len(b) - headerLen)
		if b[2]&flagNetworkByteOrder != 0 {
			binary.BigEndian.PutUint32(b[16:], n)
		} else {
			binary.LittleEndian.PutUint32(b[16:], n)
		}
		h := parseHeader(b)
		resp, ok := d.answer(b, out[:0])
		out = resp[:0]
		if !ok {
			if h.typ != pduCleanupSet && h.typ != pduResponse {
				t.Fatalf("no answer to %v", h.typ)
			}
			return
		}
		p, err := decodePDU(resp)
		if err != nil {
			t.Fatalf("answer %x to %x does not decode: %v", resp, b, err)
		}
		if p.typ != pduResponse || p.sessionID != h.sessionID || p.transactionID != h.transactionID ||
			p.packetID != h.packetID || p.bigEndian() != h.bigEndian() {
			t.Fatalf("answer header %+v to %+v", p.header, h)
		}
		if req, err := decodePDU(b); err == nil && p.resError == NoError && (req.typ == pduGet || req.typ == pduGetNext) {
			if len(p.varbinds) != len(req.ranges) {
				t.Fatalf("%d varbinds for %d ranges", len(p.varbinds), len(req.ranges))
			}
		}
		if h.typ == pduGetBulk && len(resp) > maxBulkResponse {
			t.Fatalf("GetBulk answer of %d bytes", len(resp))
		}
	})
}
