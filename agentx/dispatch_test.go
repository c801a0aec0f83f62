package agentx

import (
	"testing"
)

var (
	ifDescr = OID{1, 3, 6, 1, 2, 1, 2, 2, 1, 2}
	ifName  = OID{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1}
)

func oidAppend(o OID, s ...uint32) OID { return append(append(OID(nil), o...), s...) }

func testTree() *listTree {
	return newListTree(
		Varbind{OID{1, 3, 6, 1, 2, 1, 2, 1, 0}, Value{Type: TypeInteger, Integer: 2}},
		Varbind{oidAppend(ifDescr, 1), Value{Type: TypeOctetString, Bytes: []byte("eth0")}},
		Varbind{oidAppend(ifDescr, 2), Value{Type: TypeOctetString, Bytes: []byte("eth1")}},
		Varbind{oidAppend(ifName, 1), Value{Type: TypeOctetString, Bytes: []byte("e0")}},
		Varbind{oidAppend(ifName, 2), Value{Type: TypeOctetString, Bytes: []byte("e1")}},
	)
}

// ask encodes a request, answers it and decodes the answer.
func ask(t *testing.T, d *dispatcher, req *pdu) *pdu {
	t.Helper()
	req.version = 1
	req.sessionID, req.transactionID, req.packetID = 11, 12, 13
	resp, ok := d.answer(req.appendTo(nil), nil)
	if !ok {
		t.Fatalf("%v: no answer", req.typ)
	}
	p, err := decodePDU(resp)
	if err != nil {
		t.Fatalf("%v: answer does not decode: %v", req.typ, err)
	}
	if p.typ != pduResponse || p.sessionID != 11 || p.transactionID != 12 || p.packetID != 13 || p.flags != req.flags&flagNetworkByteOrder {
		t.Fatalf("%v: answer header %+v", req.typ, p.header)
	}
	return p
}

func wantVarbinds(t *testing.T, got []Varbind, want ...Varbind) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d varbinds %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name.Compare(w.Name) != 0 || g.Value.Type != w.Value.Type || g.Value.Integer != w.Value.Integer || string(g.Value.Bytes) != string(w.Value.Bytes) {
			t.Errorf("varbind %d: got %v %+v, want %v %+v", i, g.Name, g.Value, w.Name, w.Value)
		}
	}
}

func str(s string) Value { return Value{Type: TypeOctetString, Bytes: []byte(s)} }

func TestGetOneVarbindPerRange(t *testing.T) {
	d := newTestDispatcher(testTree(), "")
	for _, order := range []uint8{0, flagNetworkByteOrder} {
		p := ask(t, d, &pdu{header: header{typ: pduGet, flags: order}, ranges: []searchRange{
			{start: oidAppend(ifDescr, 1)}, {start: oidAppend(ifName, 2)}, {start: oidAppend(ifDescr, 9)},
			{start: OID{1, 3, 6, 1, 2, 1, 2, 2, 1, 3, 1}}, {start: oidAppend(ifDescr, 2)}, {start: oidAppend(ifName, 1)},
		}})
		if p.resError != NoError {
			t.Fatalf("error %v", p.resError)
		}
		wantVarbinds(t, p.varbinds,
			Varbind{oidAppend(ifDescr, 1), str("eth0")},
			Varbind{oidAppend(ifName, 2), str("e1")},
			Varbind{oidAppend(ifDescr, 9), Value{Type: TypeNoSuchInstance}},
			Varbind{OID{1, 3, 6, 1, 2, 1, 2, 2, 1, 3, 1}, Value{Type: TypeNoSuchObject}},
			Varbind{oidAppend(ifDescr, 2), str("eth1")},
			Varbind{oidAppend(ifName, 1), str("e0")},
		)
	}
}

func TestGetNextRanges(t *testing.T) {
	d := newTestDispatcher(testTree(), "")
	end2 := OID{1, 3, 6, 1, 2, 1, 3}
	p := ask(t, d, &pdu{header: header{typ: pduGetNext, flags: flagNetworkByteOrder}, ranges: []searchRange{
		{start: ifDescr, end: end2},                                         // first of the column
		{start: oidAppend(ifDescr, 1), end: end2},                           // strictly after
		{start: oidAppend(ifDescr, 1), end: end2, include: true},            // include: itself
		{start: oidAppend(ifDescr, 2), end: end2},                           // nothing before the end
		{start: oidAppend(ifDescr, 2), end: nil},                            // no end: next subtree
		{start: oidAppend(ifName, 2), end: OID{1, 3, 6, 1, 2, 1, 32}},       // end of everything
		{start: OID{1, 3, 6, 1, 2, 1, 2, 1, 0}, end: oidAppend(ifDescr, 1)}, // end excluded
	}})
	eom := Value{Type: TypeEndOfMIBView}
	wantVarbinds(t, p.varbinds,
		Varbind{oidAppend(ifDescr, 1), str("eth0")},
		Varbind{oidAppend(ifDescr, 2), str("eth1")},
		Varbind{oidAppend(ifDescr, 1), str("eth0")},
		Varbind{oidAppend(ifDescr, 2), eom},
		Varbind{oidAppend(ifName, 1), str("e0")},
		Varbind{oidAppend(ifName, 2), eom},
		Varbind{OID{1, 3, 6, 1, 2, 1, 2, 1, 0}, eom},
	)
}

func TestGetBulk(t *testing.T) {
	d := newTestDispatcher(testTree(), "")
	p := ask(t, d, &pdu{header: header{typ: pduGetBulk}, nonRepeaters: 1, maxRepetitions: 3, ranges: []searchRange{
		{start: OID{1, 3, 6, 1, 2, 1, 2, 1}},
		{start: ifDescr, end: OID{1, 3, 6, 1, 2, 1, 2, 2, 1, 3}},
		{start: ifName},
	}})
	eom := Value{Type: TypeEndOfMIBView}
	wantVarbinds(t, p.varbinds,
		Varbind{OID{1, 3, 6, 1, 2, 1, 2, 1, 0}, Value{Type: TypeInteger, Integer: 2}},
		Varbind{oidAppend(ifDescr, 1), str("eth0")}, Varbind{oidAppend(ifName, 1), str("e0")},
		Varbind{oidAppend(ifDescr, 2), str("eth1")}, Varbind{oidAppend(ifName, 2), str("e1")},
		Varbind{oidAppend(ifDescr, 2), eom}, Varbind{oidAppend(ifName, 2), eom},
	)
	// All repeaters at endOfMibView end the answer early.
	p = ask(t, d, &pdu{header: header{typ: pduGetBulk}, maxRepetitions: 100, ranges: []searchRange{{start: oidAppend(ifName, 2)}}})
	wantVarbinds(t, p.varbinds, Varbind{oidAppend(ifName, 2), eom})
}

func TestSetPhases(t *testing.T) {
	d := newTestDispatcher(testTree(), "")
	p := ask(t, d, &pdu{header: header{typ: pduTestSet, flags: flagNetworkByteOrder}, varbinds: []Varbind{
		{oidAppend(ifName, 1), str("x")}, {oidAppend(ifName, 2), str("y")}}})
	if p.resError != NotWritable || p.resIndex != 1 || len(p.varbinds) != 0 {
		t.Errorf("TestSet: %v index %d varbinds %v", p.resError, p.resIndex, p.varbinds)
	}
	for _, typ := range []pduType{pduCommitSet, pduUndoSet} {
		if p := ask(t, d, &pdu{header: header{typ: typ}}); p.resError != NoError {
			t.Errorf("%v: %v", typ, p.resError)
		}
	}
	req := &pdu{header: header{version: 1, typ: pduCleanupSet}}
	if _, ok := d.answer(req.appendTo(nil), nil); ok {
		t.Error("CleanupSet answered")
	}
	for _, typ := range []pduType{pduOpen, pduRegister, pduNotify, pduPing, pduIndexAllocate, pduAddAgentCaps} {
		if p := ask(t, d, &pdu{header: header{typ: typ}}); p.resError != ParseError {
			t.Errorf("%v from the master: %v, want parseError", typ, p.resError)
		}
	}
}

func TestContexts(t *testing.T) {
	get := func(ctx string) *pdu {
		p := &pdu{header: header{typ: pduGet}, ranges: []searchRange{{start: oidAppend(ifDescr, 1)}}}
		if ctx != "" {
			p.flags |= flagNonDefaultContext
			p.context = []byte(ctx)
		}
		return p
	}
	d := newTestDispatcher(testTree(), "red")
	if p := ask(t, d, get("red")); p.resError != NoError || len(p.varbinds) != 1 {
		t.Errorf("matching context: %+v", p)
	}
	if p := ask(t, d, get("blue")); p.resError != UnsupportedContext {
		t.Errorf("other context: %v", p.resError)
	}
	if p := ask(t, d, get("")); p.resError != UnsupportedContext {
		t.Errorf("default context on a red session: %v", p.resError)
	}
	d = newTestDispatcher(testTree(), "")
	if p := ask(t, d, get("red")); p.resError != UnsupportedContext {
		t.Errorf("red context on a default session: %v", p.resError)
	}
}

// Before the first SetTree, the agent serves an empty tree.
func TestNoTree(t *testing.T) {
	d := newTestDispatcher(nil, "")
	p := ask(t, d, &pdu{header: header{typ: pduGetNext}, ranges: []searchRange{{start: ifDescr}}})
	wantVarbinds(t, p.varbinds, Varbind{ifDescr, Value{Type: TypeEndOfMIBView}})
	p = ask(t, d, &pdu{header: header{typ: pduGet}, ranges: []searchRange{{start: ifDescr}}})
	wantVarbinds(t, p.varbinds, Varbind{ifDescr, Value{Type: TypeNoSuchObject}})
}

// badTree answers GetNext with names that would make a master loop.
type badTree struct{ name OID }

func (b badTree) Get(OID) Value { return Value{Type: TypeNull} }
func (b badTree) Next(dst, _ OID, _ bool) (OID, Value, bool) {
	return append(dst[:0], b.name...), Value{Type: TypeInteger}, true
}

func TestTreeGoingBackwardsIsEndOfMIBView(t *testing.T) {
	for _, name := range []OID{{1, 3, 6, 1, 2, 1, 2}, oidAppend(ifDescr, 1)} {
		d := newTestDispatcher(badTree{name}, "")
		p := ask(t, d, &pdu{header: header{typ: pduGetNext}, ranges: []searchRange{{start: oidAppend(ifDescr, 1)}}})
		wantVarbinds(t, p.varbinds, Varbind{oidAppend(ifDescr, 1), Value{Type: TypeEndOfMIBView}})
	}
	// An OID too long for AgentX becomes genErr naming the varbind.
	long := make(OID, 200)
	d := newTestDispatcher(badTree{append(OID{2}, long...)}, "")
	p := ask(t, d, &pdu{header: header{typ: pduGetNext}, ranges: []searchRange{{start: OID{1}}, {start: OID{1}}}})
	if p.resError != GenErr || p.resIndex != 1 || len(p.varbinds) != 0 {
		t.Errorf("too long: %v index %d %v", p.resError, p.resIndex, p.varbinds)
	}
}
