package main

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// AgentX constants (RFC 2741) used by the floor.
const (
	headerLen = 20

	pduOpen       = 1
	pduClose      = 2
	pduRegister   = 3
	pduGet        = 5
	pduGetNext    = 6
	pduGetBulk    = 7
	pduTestSet    = 8
	pduCommitSet  = 9
	pduUndoSet    = 10
	pduCleanupSet = 11
	pduResponse   = 18

	flagNonDefaultContext = 0x08
	flagNetworkByteOrder  = 0x10

	typeInteger        = 2
	typeOctetString    = 4
	typeOID            = 6
	typeCounter32      = 65
	typeGauge32        = 66
	typeTimeTicks      = 67
	typeCounter64      = 70
	typeNoSuchObject   = 128
	typeNoSuchInstance = 129
	typeEndOfMIBView   = 130

	errGenErr          = 5
	errNotWritable     = 17
	errProcessingError = 268

	// maxSubids caps n_subid from the wire (RFC 2578 allows 128).
	maxSubids = 128
	// maxPDU bounds one PDU (header + payload) in either direction.
	maxPDU = 1 << 16
)

// be is the byte order of everything the floor sends: it Opens in network
// byte order, so snmpd's requests arrive in it too.
var be = binary.BigEndian

// column is one column of a table and how to make row i's value.
type column struct {
	sub   uint32
	value func(i int) (typ uint16, num uint64, str []byte, oid []uint32)
}

// table is one conceptual table (ifTable or ifXTable) of the same rows.
type table struct {
	entry []uint32 // the entry OID, e.g. 1.3.6.1.2.1.2.2.1
	cols  []column // sorted by sub
}

// floorMIB is the served data: a few tables sharing the sorted row indexes,
// with every varbind encoded once. Lookups are arithmetic on (table, column,
// row) with a binary search over the row indexes: O(log rows), no allocation.
type floorMIB struct {
	tables []table   // sorted by entry OID, none a prefix of another
	index  []uint32  // sorted row indexes (ifIndex)
	off    [][]int32 // off[t][c*len(index)+r] is the varbind's offset in enc; a sentinel ends each
	enc    []byte    // every varbind, big-endian, back to back
}

var (
	ifEntry  = []uint32{1, 3, 6, 1, 2, 1, 2, 2, 1}
	ifXEntry = []uint32{1, 3, 6, 1, 2, 1, 31, 1, 1, 1}
)

func num(t uint16, v uint64) func(int) (uint16, uint64, []byte, []uint32) {
	return func(int) (uint16, uint64, []byte, []uint32) { return t, v, nil, nil }
}

func counter(t uint16, mul uint64) func(int) (uint16, uint64, []byte, []uint32) {
	return func(i int) (uint16, uint64, []byte, []uint32) {
		v := uint64(i+1) * mul
		if t == typeCounter32 {
			v &= 0xffffffff
		}
		return t, v, nil, nil
	}
}

// newFloorMIB builds rows ifIndex = first, first+1, ... with IF-MIB-like
// columns: ifTable 1-22 and ifXTable 1-19, as snmpd's own IF-MIB serves.
func newFloorMIB(rows int, first uint32) *floorMIB {
	name := func(i int) string { return fmt.Sprintf("TenGigabitEthernet%d/0/%d.%d", i%4+3, i%2, i+100) }
	str := func(f func(i int) string) func(int) (uint16, uint64, []byte, []uint32) {
		return func(i int) (uint16, uint64, []byte, []uint32) { return typeOctetString, 0, []byte(f(i)), nil }
	}
	ifTable := table{entry: ifEntry, cols: []column{
		{1, func(i int) (uint16, uint64, []byte, []uint32) {
			return typeInteger, uint64(first) + uint64(i), nil, nil
		}},
		{2, str(name)},
		{3, num(typeInteger, 135)},
		{4, num(typeInteger, 9000)},
		{5, num(typeGauge32, 4294967295)},
		{6, func(i int) (uint16, uint64, []byte, []uint32) {
			return typeOctetString, 0, []byte{0x02, 0xfe, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}, nil
		}},
		{7, num(typeInteger, 1)},
		{8, num(typeInteger, 1)},
		{9, counter(typeTimeTicks, 7)},
		{10, counter(typeCounter32, 1234567)},
		{11, counter(typeCounter32, 12345)},
		{12, counter(typeCounter32, 17)},
		{13, counter(typeCounter32, 3)},
		{14, counter(typeCounter32, 1)},
		{15, num(typeCounter32, 0)},
		{16, counter(typeCounter32, 7654321)},
		{17, counter(typeCounter32, 54321)},
		{18, counter(typeCounter32, 19)},
		{19, num(typeCounter32, 0)},
		{20, counter(typeCounter32, 2)},
		{21, num(typeGauge32, 0)},
		{22, func(int) (uint16, uint64, []byte, []uint32) { return typeOID, 0, nil, []uint32{0, 0} }},
	}}
	ifXTable := table{entry: ifXEntry, cols: []column{
		{1, str(name)},
		{2, counter(typeCounter32, 17)},
		{3, counter(typeCounter32, 5)},
		{4, counter(typeCounter32, 19)},
		{5, counter(typeCounter32, 6)},
		{6, counter(typeCounter64, 123456789012)},
		{7, counter(typeCounter64, 98765432)},
		{8, counter(typeCounter64, 17)},
		{9, counter(typeCounter64, 5)},
		{10, counter(typeCounter64, 210987654321)},
		{11, counter(typeCounter64, 87654321)},
		{12, counter(typeCounter64, 19)},
		{13, counter(typeCounter64, 6)},
		{14, num(typeInteger, 1)},
		{15, num(typeGauge32, 10000)},
		{16, num(typeInteger, 2)},
		{17, num(typeInteger, 1)},
		{18, str(func(i int) string { return fmt.Sprintf("bench row %d", i) })},
		{19, num(typeTimeTicks, 0)},
	}}
	m := &floorMIB{tables: []table{ifTable, ifXTable}, index: make([]uint32, rows)}
	for i := range m.index {
		m.index[i] = first + uint32(i)
	}
	var name6 [maxSubids]uint32
	for _, t := range m.tables {
		offs := make([]int32, 0, len(t.cols)*rows+1)
		for _, c := range t.cols {
			for r, idx := range m.index {
				offs = append(offs, int32(len(m.enc)))
				oid := append(append(append(name6[:0], t.entry...), c.sub), idx)
				typ, v, s, o := c.value(r)
				m.enc = appendVarbind(m.enc, oid, typ, v, s, o)
			}
		}
		m.off = append(m.off, append(offs, int32(len(m.enc))))
	}
	return m
}

// appendOID encodes oid with the 1.3.6.1.x prefix compression snmpd uses.
func appendOID(b []byte, oid []uint32, include bool) []byte {
	prefix := byte(0)
	if len(oid) >= 5 && oid[0] == 1 && oid[1] == 3 && oid[2] == 6 && oid[3] == 1 && oid[4] > 0 && oid[4] < 256 {
		prefix = byte(oid[4])
		oid = oid[5:]
	}
	inc := byte(0)
	if include {
		inc = 1
	}
	b = append(b, byte(len(oid)), prefix, inc, 0)
	for _, s := range oid {
		b = be.AppendUint32(b, s)
	}
	return b
}

func appendOctets(b, s []byte) []byte {
	b = be.AppendUint32(b, uint32(len(s)))
	b = append(b, s...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func appendVarbind(b []byte, name []uint32, typ uint16, v uint64, s []byte, o []uint32) []byte {
	b = be.AppendUint16(b, typ)
	b = append(b, 0, 0)
	b = appendOID(b, name, false)
	switch typ {
	case typeInteger, typeCounter32, typeGauge32, typeTimeTicks:
		b = be.AppendUint32(b, uint32(v))
	case typeCounter64:
		b = be.AppendUint64(b, v)
	case typeOctetString:
		b = appendOctets(b, s)
	case typeOID:
		b = appendOID(b, o, false)
	}
	return b
}

// errFraming says a PDU from snmpd could not be parsed; the session ends.
var errFraming = errors.New("malformed AgentX PDU")

// parseOID decodes an OID at b into dst (expanding the prefix) and returns
// the OID, its include flag and its encoded length.
func parseOID(b []byte, dst *[maxSubids + 5]uint32) (oid []uint32, include bool, n int, err error) {
	if len(b) < 4 {
		return nil, false, 0, errFraming
	}
	nsub, prefix := int(b[0]), b[1]
	if nsub > maxSubids || len(b) < 4+4*nsub {
		return nil, false, 0, errFraming
	}
	oid = dst[:0]
	if prefix != 0 {
		oid = append(oid, 1, 3, 6, 1, uint32(prefix))
	}
	for i := 0; i < nsub; i++ {
		oid = append(oid, be.Uint32(b[4+4*i:]))
	}
	return oid, b[2] != 0, 4 + 4*nsub, nil
}

func compareOID(a, b []uint32) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

func hasPrefix(o, p []uint32) bool {
	if len(o) < len(p) {
		return false
	}
	for i := range p {
		if o[i] != p[i] {
			return false
		}
	}
	return true
}

// searchRow returns the first row whose index is >= idx.
func (m *floorMIB) searchRow(idx uint32) int {
	lo, hi := 0, len(m.index)
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if m.index[h] < idx {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo
}

// searchCol returns the first column of t whose sub-identifier is >= sub.
func searchCol(t *table, sub uint32) int {
	for c := range t.cols {
		if t.cols[c].sub >= sub {
			return c
		}
	}
	return len(t.cols)
}

// pos names one varbind: table, column, row.
type pos struct{ t, c, r int }

// next returns the first varbind after from (or at it, when include is set).
func (m *floorMIB) next(from []uint32, include bool) (pos, bool) {
	if len(m.index) == 0 {
		return pos{}, false
	}
	for ti := range m.tables {
		t := &m.tables[ti]
		if !hasPrefix(from, t.entry) {
			if compareOID(from, t.entry) < 0 {
				return pos{ti, 0, 0}, true
			}
			continue
		}
		rest := from[len(t.entry):]
		if len(rest) == 0 {
			return pos{ti, 0, 0}, true
		}
		c := searchCol(t, rest[0])
		if c == len(t.cols) {
			continue
		}
		if t.cols[c].sub > rest[0] || len(rest) == 1 {
			return pos{ti, c, 0}, true
		}
		r := m.searchRow(rest[1])
		if r < len(m.index) && m.index[r] == rest[1] && (len(rest) > 2 || !include) {
			r++ // the row's own OID is not after from
		}
		if r < len(m.index) {
			return pos{ti, c, r}, true
		}
		if c+1 < len(t.cols) {
			return pos{ti, c + 1, 0}, true
		}
	}
	return pos{}, false
}

// get returns the varbind at exactly name, or the type of the exception.
func (m *floorMIB) get(name []uint32) (pos, uint16) {
	for ti := range m.tables {
		t := &m.tables[ti]
		if !hasPrefix(name, t.entry) {
			continue
		}
		rest := name[len(t.entry):]
		if len(rest) == 0 {
			return pos{}, typeNoSuchObject
		}
		c := searchCol(t, rest[0])
		if c == len(t.cols) || t.cols[c].sub != rest[0] {
			return pos{}, typeNoSuchObject
		}
		if len(rest) != 2 {
			return pos{}, typeNoSuchInstance
		}
		r := m.searchRow(rest[1])
		if r == len(m.index) || m.index[r] != rest[1] {
			return pos{}, typeNoSuchInstance
		}
		return pos{ti, c, r}, 0
	}
	return pos{}, typeNoSuchObject
}

// varbind returns the encoded varbind at p and its OID, written into dst.
func (m *floorMIB) varbind(p pos, dst *[maxSubids + 5]uint32) ([]byte, []uint32) {
	t := &m.tables[p.t]
	k := p.c*len(m.index) + p.r
	oid := append(append(dst[:0], t.entry...), t.cols[p.c].sub, m.index[p.r])
	return m.enc[m.off[p.t][k]:m.off[p.t][k+1]], oid
}

// handler answers one PDU at a time into its own output buffer.
type handler struct {
	mib      *floorMIB
	out      [maxPDU]byte
	from, to [maxSubids + 5]uint32
	name     [maxSubids + 5]uint32
}

// handle answers the PDU req (header and payload) and returns the response
// to write (nil when none is due) and whether the master closed the session.
// The response aliases h.out.
func (h *handler) handle(req []byte) (resp []byte, closed bool, err error) {
	if len(req) < headerLen || req[0] != 1 {
		return nil, false, errFraming
	}
	typ, flags := req[1], req[2]
	if flags&flagNetworkByteOrder == 0 {
		// snmpd sends its requests in the byte order of our (big-endian) Open.
		return nil, false, fmt.Errorf("PDU type %d in host byte order: %w", typ, errFraming)
	}
	payload := req[headerLen:]
	if int(be.Uint32(req[16:])) != len(payload) {
		return nil, false, fmt.Errorf("payload length %d in a %d-byte PDU: %w", be.Uint32(req[16:]), len(req), errFraming)
	}
	if flags&flagNonDefaultContext != 0 && typ >= pduGet && typ <= pduCleanupSet {
		if len(payload) < 4 {
			return nil, false, errFraming
		}
		n := 4 + (int(be.Uint32(payload))+3)&^3
		if n > len(payload) || n < 4 {
			return nil, false, errFraming
		}
		payload = payload[n:]
	}
	out := h.out[:]
	copy(out[:headerLen], req[:headerLen])
	out[1], out[2], out[3] = pduResponse, flagNetworkByteOrder, 0
	be.PutUint32(out[20:], 0) // sysUpTime
	be.PutUint32(out[24:], 0) // error, index
	w := 28
	switch typ {
	case pduGet, pduGetNext:
		var errStatus uint16
		w, errStatus, err = h.answer(typ, payload, out, w)
		if err != nil {
			return nil, false, err
		}
		if errStatus != 0 {
			be.PutUint16(out[24:], errStatus)
			w = 28
		}
	case pduTestSet:
		be.PutUint16(out[24:], errNotWritable)
		be.PutUint16(out[26:], 1)
	case pduCommitSet, pduUndoSet:
	case pduCleanupSet, pduResponse:
		return nil, false, nil
	case pduClose:
		return nil, true, nil
	default: // GetBulk (snmpd never sends it), Notify, ...: not ours to serve.
		be.PutUint16(out[24:], errProcessingError)
	}
	be.PutUint32(out[16:], uint32(w-headerLen))
	return out[:w], false, nil
}

// answer writes one varbind per search range of a Get or GetNext payload.
// A response that would not fit in out is answered genErr.
func (h *handler) answer(typ byte, payload, out []byte, w int) (int, uint16, error) {
	for len(payload) > 0 {
		from, include, n, err := parseOID(payload, &h.from)
		if err != nil {
			return 0, 0, err
		}
		startEnc := payload[:n]
		to, _, n2, err := parseOID(payload[n:], &h.to)
		if err != nil {
			return 0, 0, err
		}
		payload = payload[n+n2:]

		var vb []byte
		var exception uint16
		if typ == pduGet {
			var p pos
			if p, exception = h.mib.get(from); exception == 0 {
				vb, _ = h.mib.varbind(p, &h.name)
			}
		} else {
			exception = typeEndOfMIBView
			if p, ok := h.mib.next(from, include); ok {
				var name []uint32
				vb, name = h.mib.varbind(p, &h.name)
				if len(to) == 0 || compareOID(name, to) < 0 {
					exception = 0
				}
			}
		}
		if exception != 0 {
			// The varbind is named by the request's start OID, include cleared.
			if w+4+len(startEnc) > len(out) {
				return 0, errGenErr, nil
			}
			be.PutUint16(out[w:], exception)
			out[w+2], out[w+3] = 0, 0
			copy(out[w+4:], startEnc)
			out[w+4+2] = 0
			w += 4 + len(startEnc)
			continue
		}
		if w+len(vb) > len(out) {
			return 0, errGenErr, nil
		}
		w += copy(out[w:], vb)
	}
	return w, 0, nil
}
