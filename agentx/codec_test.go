package agentx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

// allValues holds one varbind of every AgentX value type, with edge values.
func allValues() []Varbind {
	n := func(i uint32) OID { return OID{1, 3, 6, 1, 4, 1, 99, i} }
	return []Varbind{
		{n(1), Value{Type: TypeInteger, Integer: uint64(uint32(0xfffffff6))}}, // -10
		{n(2), Value{Type: TypeOctetString, Bytes: []byte("abcde")}},          // padded
		{n(3), Value{Type: TypeOctetString, Bytes: []byte{}}},
		{n(4), Value{Type: TypeNull}},
		{n(5), Value{Type: TypeObjectIdentifier, OID: OID{1, 3, 6, 1, 6, 3, 1, 1, 5, 3}}},
		{n(6), Value{Type: TypeObjectIdentifier, OID: OID{2, 999999, 4294967295}}}, // no prefix
		{n(7), Value{Type: TypeIPAddress, Bytes: []byte{192, 0, 2, 1}}},
		{n(8), Value{Type: TypeCounter32, Integer: 4294967295}},
		{n(9), Value{Type: TypeGauge32, Integer: 1}},
		{n(10), Value{Type: TypeTimeTicks, Integer: 123456}},
		{n(11), Value{Type: TypeOpaque, Bytes: []byte{0x9f, 0x78, 4, 0, 0, 0, 0}}},
		{n(12), Value{Type: TypeCounter64, Integer: 1<<64 - 1}},
		{n(13), Value{Type: TypeNoSuchObject}},
		{n(14), Value{Type: TypeNoSuchInstance}},
		{n(15), Value{Type: TypeEndOfMIBView}},
		{OID{1, 3, 6, 1}, Value{Type: TypeInteger, Integer: 7}}, // too short to compress
		{OID{1, 3, 6, 1, 300, 1}, Value{Type: TypeNull}},        // prefix too large
		{OID{1, 3, 6, 1, 2}, Value{Type: TypeNull}},             // prefix only, n_subid 0
		{OID{0, 0}, Value{Type: TypeOctetString, Bytes: []byte("1234")}},
	}
}

// samplePDUs holds every PDU type of RFC 2741 with each of its fields set.
func samplePDUs() []*pdu {
	h := func(t pduType) header {
		return header{version: 1, typ: t, sessionID: 7, transactionID: 8, packetID: 9}
	}
	long := make(OID, maxSubIDs)
	for i := range long {
		long[i] = uint32(i * 1000)
	}
	rs := []searchRange{
		{start: OID{1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 1}, end: nil},
		{start: OID{1, 3, 6, 1, 2, 1, 31}, end: OID{1, 3, 6, 1, 2, 1, 32}, include: true},
		{start: long, end: OID{1, 3, 6, 1, 2, 1, 32}},
	}
	return []*pdu{
		{header: h(pduOpen), timeout: 5, id: OID{1, 3, 6, 1, 4, 1, 8072, 9999}, descr: []byte("vpp-snmp-agent")},
		{header: h(pduOpen), id: nil, descr: []byte{}},
		{header: h(pduClose), reason: reasonShutdown},
		{header: h(pduRegister), timeout: 3, priority: 100, subtree: OID{1, 3, 6, 1, 2, 1, 2, 2}},
		{header: h(pduRegister), priority: 127, rangeSubID: 10, subtree: OID{1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 1}, upperBound: 5},
		{header: h(pduUnregister), priority: 100, subtree: OID{1, 3, 6, 1, 2, 1, 31, 1, 1}},
		{header: h(pduUnregister), priority: 100, rangeSubID: 5, subtree: OID{1, 3, 6, 1, 2, 1, 31, 1, 1}, upperBound: 9},
		{header: h(pduGet), ranges: rs},
		{header: h(pduGetNext), ranges: rs},
		{header: h(pduGetBulk), nonRepeaters: 1, maxRepetitions: 50, ranges: rs},
		{header: h(pduTestSet), varbinds: allValues()},
		{header: h(pduCommitSet)},
		{header: h(pduUndoSet)},
		{header: h(pduCleanupSet)},
		{header: h(pduNotify), varbinds: allValues()},
		{header: h(pduPing)},
		{header: h(pduIndexAllocate), varbinds: allValues()[:2]},
		{header: h(pduIndexDeallocate), varbinds: allValues()[:2]},
		{header: h(pduAddAgentCaps), id: OID{1, 3, 6, 1, 4, 1, 1}, descr: []byte("caps")},
		{header: h(pduRemoveAgentCaps), id: OID{1, 3, 6, 1, 4, 1, 1}},
		{header: h(pduResponse), sysUpTime: 303, resError: NotWritable, resIndex: 1, varbinds: allValues()},
		{header: h(pduResponse)},
	}
}

func TestRoundTripEveryPDU(t *testing.T) {
	for _, order := range []uint8{0, flagNetworkByteOrder} {
		for _, ctx := range [][]byte{nil, []byte("vrf-red")} {
			for _, p := range samplePDUs() {
				p.flags = order
				if ctx != nil && p.typ.hasContext() {
					p.flags |= flagNonDefaultContext
					p.context = ctx
				}
				b := p.appendTo(nil)
				got, err := decodePDU(b)
				if err != nil {
					t.Fatalf("%v order %x ctx %q: %v\n%x", p.typ, order, ctx, err, b)
				}
				want := *p
				want.payloadLen = uint32(len(b) - headerLen)
				if !reflect.DeepEqual(got, &want) {
					t.Errorf("%v order %x ctx %q:\ngot  %+v\nwant %+v", p.typ, order, ctx, got, &want)
				}
				if b2 := got.appendTo(nil); !bytes.Equal(b, b2) {
					t.Errorf("%v: second encoding differs", p.typ)
				}
			}
		}
	}
}

// The same PDU in both byte orders differs exactly in its multi-byte fields.
func TestByteOrders(t *testing.T) {
	p := &pdu{header: header{version: 1, typ: pduRegister, sessionID: 0x01020304, packetID: 2},
		priority: 100, subtree: OID{1, 3, 6, 1, 2, 1, 2}}
	le := p.appendTo(nil)
	p.flags = flagNetworkByteOrder
	be := p.appendTo(nil)
	wantBE := []byte{1, 3, 0x10, 0, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 16,
		0, 100, 0, 0, 2, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2}
	if !bytes.Equal(be, wantBE) {
		t.Errorf("big-endian Register\n%x\nwant\n%x", be, wantBE)
	}
	if binary.LittleEndian.Uint32(le[4:]) != 0x01020304 || le[2] != 0 || binary.LittleEndian.Uint32(le[16:]) != 16 {
		t.Errorf("little-endian Register %x", le)
	}
}

// Every truncation of every captured PDU, and of every sample PDU, fails to
// decode with errParse instead of panicking; so do the same bytes framed as
// complete (payload_length patched to what is there).
func TestTruncatedPDUs(t *testing.T) {
	var all [][]byte
	for _, f := range loadFixtures(t) {
		all = append(all, f.b)
	}
	for _, p := range samplePDUs() {
		all = append(all, p.appendTo(nil))
	}
	d := newTestDispatcher(newListTree(allValues()...), "")
	for _, b := range all {
		for n := 0; n < len(b); n++ {
			if _, err := decodePDU(b[:n]); !errors.Is(err, errParse) {
				t.Fatalf("decoding %d of %d bytes of %x: %v", n, len(b), b, err)
			}
			if n < headerLen || (n-headerLen)%4 != 0 {
				continue
			}
			c := bytes.Clone(b[:n])
			h := parseHeader(c)
			if h.bigEndian() {
				binary.BigEndian.PutUint32(c[16:], uint32(n-headerLen))
			} else {
				binary.LittleEndian.PutUint32(c[16:], uint32(n-headerLen))
			}
			decodePDU(c) // must not panic; may succeed (a shorter list)
			if resp, ok := d.answer(c, nil); ok {
				if _, err := decodePDU(resp); err != nil {
					t.Fatalf("answer to %x does not decode: %v", c, err)
				}
			}
		}
	}
}

func TestMalformed(t *testing.T) {
	oidHdr := func(n, prefix byte) []byte { return []byte{n, prefix, 0, 0} }
	get := func(payload ...[]byte) []byte {
		b := []byte{1, byte(pduGet), flagNetworkByteOrder, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0}
		for _, p := range payload {
			b = append(b, p...)
		}
		binary.BigEndian.PutUint32(b[16:], uint32(len(b)-headerLen))
		return b
	}
	cases := map[string][]byte{
		"n_subid 129":         get(oidHdr(129, 0), make([]byte, 129*4), oidHdr(0, 0)),
		"n_subid past end":    get(oidHdr(3, 2), make([]byte, 8)),
		"range without end":   get(oidHdr(1, 2), make([]byte, 4)),
		"version 2":           append([]byte{2}, get(oidHdr(0, 0), oidHdr(0, 0))[1:]...),
		"unknown type":        append([]byte{1, 99}, get(oidHdr(0, 0), oidHdr(0, 0))[2:]...),
		"huge payload_length": {1, 5, 0x10, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x7f, 0xff, 0xff, 0xfc},
		"payload not x4":      {1, 5, 0x10, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0},
	}
	for name, b := range cases {
		if _, err := decodePDU(b); !errors.Is(err, errParse) {
			t.Errorf("%s: decode error %v, want errParse", name, err)
		}
	}
	// The dispatcher answers an intact header with parseError, echoing
	// the IDs.
	d := newTestDispatcher(newListTree(allValues()...), "")
	for _, name := range []string{"n_subid 129", "n_subid past end", "range without end", "unknown type"} {
		resp, ok := d.answer(cases[name], nil)
		if !ok {
			t.Errorf("%s: no answer", name)
			continue
		}
		p, err := decodePDU(resp)
		if err != nil || p.resError != ParseError || p.sessionID != 1 || p.transactionID != 2 || p.packetID != 3 || len(p.varbinds) != 0 {
			t.Errorf("%s: answered %+v, %v", name, p, err)
		}
	}
	// Varbind of an unknown type in a TestSet.
	b := get()
	b[1] = byte(pduTestSet)
	b = append(b, 0, 99, 0, 0, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(b[16:], uint32(len(b)-headerLen))
	if _, err := decodePDU(b); !errors.Is(err, errParse) {
		t.Errorf("unknown varbind type: %v", err)
	}
}
