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

// Limits of an answer, whole PDU included. An SNMP message is at most
// 64 KiB, so a GetBulk answer (which may be cut short, RFC 3416 4.2.3) stops
// at the last varbind within maxBulkResponse. A Get or GetNext must carry
// one varbind per range, so one that would pass maxResponse is answered
// tooBig: without the limit, a master's 1 MiB of empty ranges would make
// tens of MiB of answer.
const (
	maxBulkResponse = 64 << 10
	maxResponse     = maxPayload
)

// dispatcher answers the master's requests from the current tree. It belongs
// to one connection's goroutine: its scratch buffers are reused for every PDU
// so that Get and GetNext allocate nothing.
type dispatcher struct {
	tree    *atomic.Pointer[treeRef]
	context string

	start, end, name, val OID // scratch, capacity maxOIDLen
}

func newDispatcher(tree *atomic.Pointer[treeRef], context string) *dispatcher {
	return &dispatcher{
		tree:    tree,
		context: context,
		start:   make(OID, 0, maxOIDLen),
		end:     make(OID, 0, maxOIDLen),
		name:    make(OID, 0, maxOIDLen),
		val:     make(OID, 0, maxOIDLen),
	}
}

func (d *dispatcher) load() Tree {
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
		status, index = d.get(&r, &w, start+maxResponse)
	case pduGetNext:
		status, index = d.getNext(&r, &w, start+maxResponse)
	case pduGetBulk:
		status, index = d.getBulk(&r, &w, start+maxBulkResponse)
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
// varbind per range, in order (RFC 2741 7.2.3.1). An answer that would
// pass limit bytes of w is tooBig.
func (d *dispatcher) get(r *reader, w *writer, limit int) (ErrorStatus, uint16) {
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
		if len(w.b) > limit {
			return TooBig, 0
		}
	}
	return NoError, 0
}

// getNext answers every SearchRange with the first name in [start, end),
// start included when the range says so, or endOfMibView named by the start
// (RFC 2741 7.2.3.2). An answer that would pass limit bytes of w is
// tooBig.
func (d *dispatcher) getNext(r *reader, w *writer, limit int) (ErrorStatus, uint16) {
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
		if len(w.b) > limit {
			return TooBig, 0
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
// 7.2.3.3). The answer ends at the last varbind within limit bytes of w, or
// once every repeater is at endOfMibView.
//
// Nothing is kept per repeater: each repetition reads the repeaters' ranges
// again from the request and their previous answers from the response being
// written, so neither the master's max-repetitions nor its number of
// ranges costs memory beyond the answer itself.
func (d *dispatcher) getBulk(r *reader, w *writer, limit int) (ErrorStatus, uint16) {
	t := d.load()
	nonRep := int(r.u16())
	maxRep := int(r.u16())
	var i uint16
	for ; int(i) < nonRep && !r.empty(); i++ {
		var include bool
		d.start, include = r.oid(d.start)
		d.end, _ = r.oid(d.end)
		if r.err != nil {
			return ParseError, 0
		}
		mark := len(w.b)
		d.next(t, w, d.start, d.end, include)
		if w.bad {
			return GenErr, i + 1
		}
		if len(w.b) > limit {
			w.b = w.b[:mark]
			return d.skipRanges(r)
		}
	}
	if maxRep == 0 {
		return d.skipRanges(r)
	}
	// The first repetition answers from the ranges themselves.
	ranges := r.b
	prev := len(w.b)
	n := 0
	allDone := true
	for !r.empty() {
		var include bool
		d.start, include = r.oid(d.start)
		d.end, _ = r.oid(d.end)
		if r.err != nil {
			return ParseError, 0
		}
		mark := len(w.b)
		if !d.next(t, w, d.start, d.end, include) {
			allDone = false
		}
		if w.bad {
			return GenErr, 0
		}
		if len(w.b) > limit {
			w.b = w.b[:mark]
			return d.skipRanges(r)
		}
		n++
	}
	// Every later one continues from the previous one's answers, which are
	// the last n varbinds written (in the request's byte order).
	for rep := 1; rep < maxRep && !allDone; rep++ {
		rq := reader{b: ranges, big: r.big}
		ra := reader{b: w.b[prev:], big: r.big}
		prev = len(w.b)
		allDone = true
		for range n {
			rq.oid(d.start)
			d.end, _ = rq.oid(d.end)
			var last Value
			d.start, last = ra.varbind(d.start, d.val)
			if rq.err != nil || ra.err != nil {
				return GenErr, 0
			}
			mark := len(w.b)
			if last.Type == TypeEndOfMIBView {
				w.varbind(d.start, last)
			} else if !d.next(t, w, d.start, d.end, false) {
				allDone = false
			}
			if w.bad {
				return GenErr, 0
			}
			if len(w.b) > limit {
				w.b = w.b[:mark]
				return NoError, 0
			}
		}
	}
	return NoError, 0
}

// skipRanges checks the ranges left unanswered when a GetBulk answer is
// full: the request must still parse.
func (d *dispatcher) skipRanges(r *reader) (ErrorStatus, uint16) {
	for !r.empty() {
		d.start, _ = r.oid(d.start)
		d.end, _ = r.oid(d.end)
	}
	if r.err != nil {
		return ParseError, 0
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
