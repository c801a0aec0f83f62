package agentx

import "sync/atomic"

// Varbind is a name and its value.
type Varbind struct {
	Name  OID
	Value Value
}

// treeRef boxes a Tree so that it fits an atomic.Pointer.
type treeRef struct{ t Tree }

// emptyTree serves nothing: the answer before the first SetTree.
type emptyTree struct{}

func (emptyTree) Get(OID) Value { return Value{Type: TypeNoSuchObject} }
func (emptyTree) Next(dst, _ OID, _ bool) (OID, Value, bool) {
	return dst[:0], Value{}, false
}

// Limits of a GetBulk answer (snmpd never sends GetBulk, but other masters
// may): a response stops growing after this many bytes, at a repetition
// boundary.
const maxBulkResponse = 64 << 10

// dispatcher answers the master's requests from the current tree. It belongs
// to one connection's goroutine: its scratch buffers are reused for every PDU
// so that Get and GetNext allocate nothing.
type dispatcher struct {
	tree    *atomic.Pointer[treeRef]
	context string
	before  func() // Config.BeforeRequest, or nil

	start, end, name, val OID // scratch, capacity maxOIDLen

	reps []bulkRep // GetBulk repeaters
}

type bulkRep struct {
	cur, end OID
	include  bool
	done     bool
}

func newDispatcher(tree *atomic.Pointer[treeRef], context string, before func()) *dispatcher {
	return &dispatcher{
		tree:    tree,
		context: context,
		before:  before,
		start:   make(OID, 0, maxOIDLen),
		end:     make(OID, 0, maxOIDLen),
		name:    make(OID, 0, maxOIDLen),
		val:     make(OID, 0, maxOIDLen),
	}
}

func (d *dispatcher) load() Tree {
	if d.before != nil {
		d.before()
	}
	if r := d.tree.Load(); r != nil && r.t != nil {
		return r.t
	}
	return emptyTree{}
}

// answer appends the Response to the request pdu (a whole PDU, header
// included, already framed) to out. ok is false when the request gets no
// Response (CleanupSet, or a Response, which the session handles). The
// Response echoes the IDs of the request and uses its byte order.
func (d *dispatcher) answer(req []byte, out []byte) (resp []byte, ok bool) {
	return d.answerFramed(parseHeader(req), req, out)
}

// answerFramed is answer for a request whose header h the caller has
// already parsed (the connection does, to frame it).
func (d *dispatcher) answerFramed(h header, req []byte, out []byte) (resp []byte, ok bool) {
	if h.typ == pduCleanupSet || h.typ == pduResponse {
		// RFC 2741 7.2.4.4: a CleanupSet is not answered.
		return out, false
	}
	r := reader{b: req[headerLen:], big: h.bigEndian()}
	w := writer{b: out, big: h.bigEndian()}
	start := len(w.b)
	w.header(pduResponse, h.flags&flagNetworkByteOrder, h.sessionID, h.transactionID, h.packetID)
	w.u32(0) // res.sysUpTime: meaningful only from the master
	w.u32(0) // res.error, res.index: patched on error
	body := len(w.b)

	if h.typ.hasContext() && h.flags&flagNonDefaultContext != 0 {
		c := r.octets()
		if r.err == nil && string(c) != d.context {
			return d.fail(&w, start, body, UnsupportedContext, 0), true
		}
	} else if d.context != "" && h.typ.hasContext() {
		return d.fail(&w, start, body, UnsupportedContext, 0), true
	}

	var status ErrorStatus
	var index uint16
	switch h.typ {
	case pduGet:
		status, index = d.get(&r, &w)
	case pduGetNext:
		status, index = d.getNext(&r, &w)
	case pduGetBulk:
		status, index = d.getBulk(&r, &w)
	case pduTestSet:
		status, index = d.testSet(&r)
	case pduCommitSet, pduUndoSet:
		// Nothing was accepted by TestSet, so there is nothing to commit or
		// undo.
	default:
		// A master sends no other request to a subagent.
		status = ParseError
	}
	if r.err != nil || (status == NoError && !r.empty()) {
		status, index = ParseError, 0
	}
	if status == NoError && w.bad {
		status = GenErr
	}
	if status != NoError {
		return d.fail(&w, start, body, status, index), true
	}
	w.finish(start)
	return w.b, true
}

// fail turns the Response being written into an error Response without
// varbinds.
func (d *dispatcher) fail(w *writer, start, body int, status ErrorStatus, index uint16) []byte {
	w.b = w.b[:body-4]
	w.u16(uint16(status))
	w.u16(index)
	w.finish(start)
	return w.b
}

// get answers every SearchRange of a Get with the value at its start: one
// varbind per range, in order (RFC 2741 7.2.3.1).
func (d *dispatcher) get(r *reader, w *writer) (ErrorStatus, uint16) {
	t := d.load()
	var i uint16
	for !r.empty() {
		d.start, _ = r.oid(d.start)
		d.end, _ = r.oid(d.end)
		if r.err != nil {
			return ParseError, 0
		}
		i++
		v := t.Get(d.start)
		w.varbind(d.start, v)
		if w.bad {
			return GenErr, i
		}
	}
	return NoError, 0
}

// getNext answers every SearchRange with the first name in [start, end),
// start included when the range says so, or endOfMibView named by the start
// (RFC 2741 7.2.3.2).
func (d *dispatcher) getNext(r *reader, w *writer) (ErrorStatus, uint16) {
	t := d.load()
	var i uint16
	for !r.empty() {
		var include bool
		d.start, include = r.oid(d.start)
		d.end, _ = r.oid(d.end)
		if r.err != nil {
			return ParseError, 0
		}
		i++
		d.next(t, w, d.start, d.end, include)
		if w.bad {
			return GenErr, i
		}
	}
	return NoError, 0
}

// next writes the answer of one GetNext range and reports whether it was
// endOfMibView.
func (d *dispatcher) next(t Tree, w *writer, start, end OID, include bool) (eom bool) {
	name, v, ok := d.lookup(t, start, end, include)
	if !ok {
		w.varbind(start, Value{Type: TypeEndOfMIBView})
		return true
	}
	w.varbind(name, v)
	return false
}

// lookup returns the tree's next name in the range [start, end) (start
// only when include), into d.name.
func (d *dispatcher) lookup(t Tree, start, end OID, include bool) (OID, Value, bool) {
	name, v, ok := t.Next(d.name, start, include)
	if !ok {
		return nil, Value{}, false
	}
	// A Tree that returns a name before the start would make the master
	// loop; one at or past the end belongs to someone else.
	c := name.Compare(start)
	if c < 0 || (c == 0 && !include) || (len(end) > 0 && name.Compare(end) >= 0) {
		return nil, Value{}, false
	}
	return name, v, true
}

// getBulk answers a GetBulk as GetNexts: the non-repeaters once, then the
// repeaters max-repetitions times, each from its previous answer (RFC 2741
// 7.2.3.3). It stops early once every repeater is at endOfMibView or the
// answer passes maxBulkResponse.
func (d *dispatcher) getBulk(r *reader, w *writer) (ErrorStatus, uint16) {
	t := d.load()
	nonRep := int(r.u16())
	maxRep := int(r.u16())
	var i uint16
	d.reps = d.reps[:0]
	for !r.empty() {
		var include bool
		d.start, include = r.oid(d.start)
		d.end, _ = r.oid(d.end)
		if r.err != nil {
			return ParseError, 0
		}
		i++
		if int(i) <= nonRep {
			d.next(t, w, d.start, d.end, include)
			if w.bad {
				return GenErr, i
			}
			continue
		}
		// GetBulk is rare (snmpd never sends it): copying is fine here.
		cur := make(OID, len(d.start), maxOIDLen)
		copy(cur, d.start)
		d.reps = append(d.reps, bulkRep{cur: cur, end: append(OID(nil), d.end...), include: include})
	}
	if len(d.reps) == 0 {
		return NoError, 0
	}
	for rep := 0; rep < maxRep; rep++ {
		allDone := true
		for k := range d.reps {
			rp := &d.reps[k]
			if rp.done {
				w.varbind(rp.cur, Value{Type: TypeEndOfMIBView})
				continue
			}
			name, v, ok := d.lookup(t, rp.cur, rp.end, rp.include)
			if !ok {
				rp.done = true
				w.varbind(rp.cur, Value{Type: TypeEndOfMIBView})
				continue
			}
			allDone = false
			w.varbind(name, v)
			rp.cur = append(rp.cur[:0], name...)
			rp.include = false
		}
		if w.bad {
			return GenErr, 0
		}
		if allDone || len(w.b) > maxBulkResponse {
			break
		}
	}
	return NoError, 0
}

// testSet refuses every SET: this agent serves read-only objects. The
// answer is notWritable naming the first varbind (RFC 2741 7.2.4.1); the
// master then sends CleanupSet.
func (d *dispatcher) testSet(r *reader) (ErrorStatus, uint16) {
	n := 0
	for !r.empty() && r.err == nil {
		d.start, _ = r.varbind(d.start, d.val)
		n++
	}
	if r.err != nil {
		return ParseError, 0
	}
	if n == 0 {
		return NoError, 0
	}
	return NotWritable, 1
}
