package agentx

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// errParse is the sticky error of a reader: the PDU is shorter than its
// contents say, or holds a value it may not hold.
var errParse = errors.New("malformed AgentX PDU")

// header is the fixed 20-byte AgentX header (RFC 2741 6.1).
type header struct {
	version       uint8
	typ           pduType
	flags         uint8
	sessionID     uint32
	transactionID uint32
	packetID      uint32
	payloadLen    uint32
}

func (h *header) bigEndian() bool { return h.flags&flagNetworkByteOrder != 0 }

// parseHeader decodes the header at the start of b (at least headerLen
// bytes). The byte order of every multi-byte field, including the header's
// own, comes from the NETWORK_BYTE_ORDER flag.
func parseHeader(b []byte) (h header) {
	_ = b[headerLen-1]
	h.version, h.typ, h.flags = b[0], pduType(b[1]), b[2]
	if h.flags&flagNetworkByteOrder != 0 {
		h.sessionID = binary.BigEndian.Uint32(b[4:])
		h.transactionID = binary.BigEndian.Uint32(b[8:])
		h.packetID = binary.BigEndian.Uint32(b[12:])
		h.payloadLen = binary.BigEndian.Uint32(b[16:])
	} else {
		h.sessionID = binary.LittleEndian.Uint32(b[4:])
		h.transactionID = binary.LittleEndian.Uint32(b[8:])
		h.packetID = binary.LittleEndian.Uint32(b[12:])
		h.payloadLen = binary.LittleEndian.Uint32(b[16:])
	}
	return h
}

// checkHeader says whether a header can be framed: version 1 and a payload
// length that is a multiple of 4 (every AgentX field is padded to 4 bytes)
// and not larger than maxPayload.
func (h *header) check() error {
	if h.version != 1 {
		return fmt.Errorf("AgentX version %d: %w", h.version, errParse)
	}
	if h.payloadLen > maxPayload {
		return fmt.Errorf("payload of %d bytes exceeds %d: %w", h.payloadLen, maxPayload, errParse)
	}
	if h.payloadLen%4 != 0 {
		return fmt.Errorf("payload length %d not a multiple of 4: %w", h.payloadLen, errParse)
	}
	return nil
}

// reader is a cursor over one PDU payload. Every read checks the remaining
// length; the first failure sets a sticky error and later reads return zero
// values, so a decoder checks err once at the end and can never panic.
type reader struct {
	b   []byte
	big bool
	err error
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errParse
	}
	r.b = nil
}

func (r *reader) empty() bool { return len(r.b) == 0 }

func (r *reader) u8() uint8 {
	if len(r.b) < 1 {
		r.fail()
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) u16() uint16 {
	if len(r.b) < 2 {
		r.fail()
		return 0
	}
	var v uint16
	if r.big {
		v = binary.BigEndian.Uint16(r.b)
	} else {
		v = binary.LittleEndian.Uint16(r.b)
	}
	r.b = r.b[2:]
	return v
}

func (r *reader) u32() uint32 {
	if len(r.b) < 4 {
		r.fail()
		return 0
	}
	var v uint32
	if r.big {
		v = binary.BigEndian.Uint32(r.b)
	} else {
		v = binary.LittleEndian.Uint32(r.b)
	}
	r.b = r.b[4:]
	return v
}

func (r *reader) u64() uint64 {
	if len(r.b) < 8 {
		r.fail()
		return 0
	}
	var v uint64
	if r.big {
		v = binary.BigEndian.Uint64(r.b)
	} else {
		v = binary.LittleEndian.Uint64(r.b)
	}
	r.b = r.b[8:]
	return v
}

func (r *reader) skip(n int) {
	if len(r.b) < n {
		r.fail()
		return
	}
	r.b = r.b[n:]
}

// octets reads an Octet String (RFC 2741 5.3): a length, the octets, and
// padding to a multiple of 4. The result points into the PDU.
func (r *reader) octets() []byte {
	n := r.u32()
	if r.err != nil {
		return nil
	}
	if uint64(n) > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	v := r.b[:n:n]
	pad := (4 - n%4) % 4
	if uint64(n)+uint64(pad) > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	r.b = r.b[n+pad:]
	return v
}

// oid reads an Object Identifier (RFC 2741 5.1), expanding the
// 1.3.6.1.<prefix> compression, into dst[:0]. A dst of capacity maxOIDLen
// never grows.
func (r *reader) oid(dst OID) (o OID, include bool) {
	if len(r.b) < 4 {
		r.fail()
		return dst[:0], false
	}
	n, prefix, inc := int(r.b[0]), r.b[1], r.b[2]
	r.b = r.b[4:]
	if n > maxSubIDs || len(r.b) < 4*n {
		r.fail()
		return dst[:0], false
	}
	o = dst[:0]
	if prefix != 0 {
		o = append(o, 1, 3, 6, 1, uint32(prefix))
	}
	if r.big {
		for i := 0; i < n; i++ {
			o = append(o, binary.BigEndian.Uint32(r.b[4*i:]))
		}
	} else {
		for i := 0; i < n; i++ {
			o = append(o, binary.LittleEndian.Uint32(r.b[4*i:]))
		}
	}
	r.b = r.b[4*n:]
	return o, inc != 0
}

// value reads a varbind's type and data; name is decoded into nameBuf. Octet
// strings point into the PDU and OID values are decoded into valBuf.
func (r *reader) varbind(nameBuf, valBuf OID) (name OID, v Value) {
	v.Type = VarType(r.u16())
	r.skip(2)
	name, _ = r.oid(nameBuf)
	switch v.Type {
	case TypeInteger, TypeCounter32, TypeGauge32, TypeTimeTicks:
		v.Integer = uint64(r.u32())
	case TypeCounter64:
		v.Integer = r.u64()
	case TypeOctetString, TypeIPAddress, TypeOpaque:
		v.Bytes = r.octets()
	case TypeObjectIdentifier:
		v.OID, _ = r.oid(valBuf)
	case TypeNull, TypeNoSuchObject, TypeNoSuchInstance, TypeEndOfMIBView:
	default:
		r.fail()
	}
	return name, v
}

// writer appends an AgentX PDU to b in one byte order. bad is set when asked
// to encode something AgentX cannot carry (an OID too long); the caller then
// answers genErr instead.
type writer struct {
	b   []byte
	big bool
	bad bool
}

func (w *writer) u8(v uint8) { w.b = append(w.b, v) }

func (w *writer) u16(v uint16) {
	if w.big {
		w.b = binary.BigEndian.AppendUint16(w.b, v)
	} else {
		w.b = binary.LittleEndian.AppendUint16(w.b, v)
	}
}

func (w *writer) u32(v uint32) {
	if w.big {
		w.b = binary.BigEndian.AppendUint32(w.b, v)
	} else {
		w.b = binary.LittleEndian.AppendUint32(w.b, v)
	}
}

func (w *writer) u64(v uint64) {
	if w.big {
		w.b = binary.BigEndian.AppendUint64(w.b, v)
	} else {
		w.b = binary.LittleEndian.AppendUint64(w.b, v)
	}
}

func (w *writer) octets(s []byte) {
	w.u32(uint32(len(s)))
	w.b = append(w.b, s...)
	for i := len(s); i%4 != 0; i++ {
		w.b = append(w.b, 0)
	}
}

// oid writes an OID, compressing a leading 1.3.6.1.<1..255> into the prefix
// byte as net-snmp does.
func (w *writer) oid(o OID, include bool) {
	var prefix uint8
	if len(o) >= 5 && o[0] == 1 && o[1] == 3 && o[2] == 6 && o[3] == 1 && o[4] > 0 && o[4] < 256 {
		prefix = uint8(o[4])
		o = o[5:]
	}
	if len(o) > maxSubIDs {
		w.bad = true
		o = o[:0]
	}
	var inc uint8
	if include {
		inc = 1
	}
	w.b = append(w.b, uint8(len(o)), prefix, inc, 0)
	for _, s := range o {
		w.u32(s)
	}
}

// varbind writes a varbind. A value of a type AgentX does not know is sent as
// Null rather than producing an unparsable PDU.
func (w *writer) varbind(name OID, v Value) {
	switch v.Type {
	case TypeInteger, TypeCounter32, TypeGauge32, TypeTimeTicks:
		w.u16(uint16(v.Type))
		w.u16(0)
		w.oid(name, false)
		w.u32(uint32(v.Integer))
	case TypeCounter64:
		w.u16(uint16(v.Type))
		w.u16(0)
		w.oid(name, false)
		w.u64(v.Integer)
	case TypeOctetString, TypeIPAddress, TypeOpaque:
		w.u16(uint16(v.Type))
		w.u16(0)
		w.oid(name, false)
		w.octets(v.Bytes)
	case TypeObjectIdentifier:
		w.u16(uint16(v.Type))
		w.u16(0)
		w.oid(name, false)
		w.oid(v.OID, false)
	case TypeNoSuchObject, TypeNoSuchInstance, TypeEndOfMIBView:
		w.u16(uint16(v.Type))
		w.u16(0)
		w.oid(name, false)
	default:
		w.u16(uint16(TypeNull))
		w.u16(0)
		w.oid(name, false)
	}
}

// header writes a header whose payload length is patched by finish.
func (w *writer) header(typ pduType, flags uint8, sessionID, transactionID, packetID uint32) {
	if w.big {
		flags |= flagNetworkByteOrder
	} else {
		flags &^= flagNetworkByteOrder
	}
	w.b = append(w.b, 1, uint8(typ), flags, 0)
	w.u32(sessionID)
	w.u32(transactionID)
	w.u32(packetID)
	w.u32(0)
}

// finish patches the payload length of the PDU that starts at start.
func (w *writer) finish(start int) {
	n := uint32(len(w.b) - start - headerLen)
	if w.big {
		binary.BigEndian.PutUint32(w.b[start+16:], n)
	} else {
		binary.LittleEndian.PutUint32(w.b[start+16:], n)
	}
}

// putIDs overwrites the session and packet IDs of an encoded PDU (the
// session assigns them when the PDU is sent).
func putIDs(b []byte, sessionID, packetID uint32) {
	if b[2]&flagNetworkByteOrder != 0 {
		binary.BigEndian.PutUint32(b[4:], sessionID)
		binary.BigEndian.PutUint32(b[12:], packetID)
	} else {
		binary.LittleEndian.PutUint32(b[4:], sessionID)
		binary.LittleEndian.PutUint32(b[12:], packetID)
	}
}
