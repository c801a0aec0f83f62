package agentx

import "fmt"

// searchRange is one SearchRange (RFC 2741 5.2).
type searchRange struct {
	start, end OID
	include    bool
}

// pdu is any AgentX PDU, decoded into fresh memory (octet strings still point
// into the input). It serves the rare PDUs (Open, Register, Response, Notify,
// ...) and tests; Get and GetNext are answered by the dispatcher straight
// from the wire without it.
type pdu struct {
	header
	context []byte // the non-default context, when flagNonDefaultContext is set

	timeout uint8  // Open: o.timeout; Register: r.timeout
	id      OID    // Open: o.id; AddAgentCaps, RemoveAgentCaps: a.id
	descr   []byte // Open: o.descr; AddAgentCaps: a.descr

	reason closeReason // Close

	priority   uint8  // Register, Unregister
	rangeSubID uint8  // Register, Unregister
	subtree    OID    // Register, Unregister
	upperBound uint32 // Register, Unregister when rangeSubID != 0

	nonRepeaters, maxRepetitions uint16 // GetBulk
	ranges                       []searchRange
	varbinds                     []Varbind

	sysUpTime uint32      // Response
	resError  ErrorStatus // Response
	resIndex  uint16      // Response
}

// decodePDU decodes one whole PDU (header and exactly payload_length bytes).
func decodePDU(b []byte) (*pdu, error) {
	if len(b) < headerLen {
		return nil, fmt.Errorf("PDU of %d bytes, shorter than a header: %w", len(b), errParse)
	}
	p := &pdu{header: parseHeader(b)}
	if err := p.header.check(); err != nil {
		return nil, err
	}
	if uint64(len(b)-headerLen) != uint64(p.payloadLen) {
		return nil, fmt.Errorf("payload of %d bytes, header says %d: %w", len(b)-headerLen, p.payloadLen, errParse)
	}
	r := reader{b: b[headerLen:], big: p.bigEndian()}
	if p.flags&flagNonDefaultContext != 0 && p.typ.hasContext() {
		p.context = r.octets()
	}
	switch p.typ {
	case pduOpen:
		p.timeout = r.u8()
		r.skip(3)
		p.id, _ = r.oid(nil)
		p.descr = r.octets()
	case pduClose:
		p.reason = closeReason(r.u8())
		r.skip(3)
	case pduRegister, pduUnregister:
		p.timeout = r.u8()
		if p.typ == pduUnregister {
			p.timeout = 0 // reserved there
		}
		p.priority = r.u8()
		p.rangeSubID = r.u8()
		r.skip(1)
		p.subtree, _ = r.oid(nil)
		if p.rangeSubID != 0 {
			p.upperBound = r.u32()
		}
	case pduGetBulk:
		p.nonRepeaters = r.u16()
		p.maxRepetitions = r.u16()
		p.ranges = readRanges(&r)
	case pduGet, pduGetNext:
		p.ranges = readRanges(&r)
	case pduTestSet, pduNotify, pduIndexAllocate, pduIndexDeallocate:
		p.varbinds = readVarbinds(&r)
	case pduCommitSet, pduUndoSet, pduCleanupSet, pduPing:
	case pduAddAgentCaps:
		p.id, _ = r.oid(nil)
		p.descr = r.octets()
	case pduRemoveAgentCaps:
		p.id, _ = r.oid(nil)
	case pduResponse:
		p.sysUpTime = r.u32()
		p.resError = ErrorStatus(r.u16())
		p.resIndex = r.u16()
		p.varbinds = readVarbinds(&r)
	default:
		return nil, fmt.Errorf("unknown PDU type %d: %w", p.typ, errParse)
	}
	if r.err != nil {
		return nil, fmt.Errorf("decoding %v: %w", p.typ, r.err)
	}
	if !r.empty() {
		return nil, fmt.Errorf("decoding %v: %d bytes after the payload: %w", p.typ, len(r.b), errParse)
	}
	return p, nil
}

// readRanges reads a SearchRangeList: ranges up to the end of the payload.
// Nothing is preallocated from the wire's length.
func readRanges(r *reader) []searchRange {
	var rs []searchRange
	for !r.empty() && r.err == nil {
		var sr searchRange
		sr.start, sr.include = r.oid(nil)
		sr.end, _ = r.oid(nil)
		rs = append(rs, sr)
	}
	return rs
}

// readVarbinds reads a VarBindList: varbinds up to the end of the payload.
func readVarbinds(r *reader) []Varbind {
	var vbs []Varbind
	for !r.empty() && r.err == nil {
		name, v := r.varbind(nil, nil)
		vbs = append(vbs, Varbind{Name: name, Value: v})
	}
	return vbs
}

// appendTo encodes p after b in the byte order of p's flags, computing the
// payload length.
func (p *pdu) appendTo(b []byte) []byte {
	w := writer{b: b, big: p.bigEndian()}
	start := len(w.b)
	flags := p.flags
	if !p.typ.hasContext() {
		flags &^= flagNonDefaultContext
	}
	w.header(p.typ, flags, p.sessionID, p.transactionID, p.packetID)
	if flags&flagNonDefaultContext != 0 {
		w.octets(p.context)
	}
	switch p.typ {
	case pduOpen:
		w.u8(p.timeout)
		w.b = append(w.b, 0, 0, 0)
		w.oid(p.id, false)
		w.octets(p.descr)
	case pduClose:
		w.u8(uint8(p.reason))
		w.b = append(w.b, 0, 0, 0)
	case pduRegister, pduUnregister:
		if p.typ == pduRegister {
			w.u8(p.timeout)
		} else {
			w.u8(0)
		}
		w.u8(p.priority)
		w.u8(p.rangeSubID)
		w.u8(0)
		w.oid(p.subtree, false)
		if p.rangeSubID != 0 {
			w.u32(p.upperBound)
		}
	case pduGetBulk:
		w.u16(p.nonRepeaters)
		w.u16(p.maxRepetitions)
		writeRanges(&w, p.ranges)
	case pduGet, pduGetNext:
		writeRanges(&w, p.ranges)
	case pduTestSet, pduNotify, pduIndexAllocate, pduIndexDeallocate:
		for _, vb := range p.varbinds {
			w.varbind(vb.Name, vb.Value)
		}
	case pduAddAgentCaps:
		w.oid(p.id, false)
		w.octets(p.descr)
	case pduRemoveAgentCaps:
		w.oid(p.id, false)
	case pduResponse:
		w.u32(p.sysUpTime)
		w.u16(uint16(p.resError))
		w.u16(p.resIndex)
		for _, vb := range p.varbinds {
			w.varbind(vb.Name, vb.Value)
		}
	}
	w.finish(start)
	return w.b
}

func writeRanges(w *writer, rs []searchRange) {
	for _, sr := range rs {
		w.oid(sr.start, sr.include)
		w.oid(sr.end, false)
	}
}
