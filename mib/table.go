package mib

import (
	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
)

// object is one served MIB object: a scalar or a table. A snapshot holds
// the objects of its modules in OID order; their OIDs never prefix one
// another.
type object interface {
	// oid is the scalar's OID (without .0), or the table's entry.
	oid() agentx.OID
	// registrations are the subtrees registered with the master: the
	// scalar, or the table, its entry or each column, as specific as
	// snmpd's own registration of it (the most specific registration wins
	// before priority).
	registrations() []agentx.OID
	get(s *Snapshot, rest []uint32) agentx.Value
	next(s *Snapshot, dst agentx.OID, rest []uint32, include bool) (agentx.OID, agentx.Value, bool)
	// doc lists the object's served columns (or the scalar) for the docs
	// and tests: name and OID.
	doc() []Column
}

// Column names one served object instance family, for docs and tests.
type Column struct {
	Name string
	OID  agentx.OID // the column (entry.sub) or the scalar
}

// column is one accessible column of a table over the module data D:
// declared once, it yields the column's value for any row.
type column[D any] struct {
	sub   uint32
	name  string
	value func(s *Snapshot, d *D, row int) agentx.Value
}

// table is a conceptual table: its rows are the module data's index (in
// OID order), its columns are functions of a row. Get and GetNext come from
// this declaration alone.
type table[D any] struct {
	entry agentx.OID
	// data returns the module's data in s; nil when s has none.
	data func(s *Snapshot) *D
	// rows returns the table's index in d.
	rows func(d *D) index
	cols []column[D] // ascending sub
	// at[sub] is the position of the first column at or after sub, for
	// sub up to the last column's (made by prepare, at init).
	at []uint8
	// register says how specific the registration is: snmpd 5.9 registers
	// most tables whole, but ipAddrTable and ipNetToMediaTable column by
	// column, and the most specific registration wins before priority.
	register regLevel
}

type regLevel uint8

const (
	regTable   regLevel = iota // the table
	regEntry                   // its entry: beats snmpd's table
	regColumns                 // each column: beats snmpd's columns by priority
)

func (t *table[D]) oid() agentx.OID { return t.entry }

func (t *table[D]) registrations() []agentx.OID {
	switch t.register {
	case regEntry:
		return []agentx.OID{t.entry}
	case regColumns:
		var out []agentx.OID
		for _, c := range t.doc() {
			out = append(out, c.OID)
		}
		return out
	}
	return []agentx.OID{t.entry[:len(t.entry)-1]}
}

func (t *table[D]) doc() []Column {
	out := make([]Column, len(t.cols))
	for i, c := range t.cols {
		out[i] = Column{Name: c.name, OID: append(append(agentx.OID(nil), t.entry...), c.sub)}
	}
	return out
}

// prepare makes t.at; register calls it once, at init.
func (t *table[D]) prepare() {
	last := t.cols[len(t.cols)-1].sub
	t.at = make([]uint8, last+1)
	c := 0
	for sub := range t.at {
		for t.cols[c].sub < uint32(sub) {
			c++
		}
		t.at[sub] = uint8(c)
	}
}

// column returns the position of the first column at or after sub.
func (t *table[D]) column(sub uint32) int {
	if int(sub) < len(t.at) {
		return int(t.at[sub])
	}
	return len(t.cols)
}

func (t *table[D]) get(s *Snapshot, rest []uint32) agentx.Value {
	if len(rest) == 0 {
		return agentx.Value{Type: agentx.TypeNoSuchObject}
	}
	c := t.column(rest[0])
	if c == len(t.cols) || t.cols[c].sub != rest[0] {
		return agentx.Value{Type: agentx.TypeNoSuchObject}
	}
	if d := t.data(s); d != nil {
		if row, ok := t.rows(d).find(rest[1:]); ok {
			return t.cols[c].value(s, d, row)
		}
	}
	return agentx.Value{Type: agentx.TypeNoSuchInstance}
}

// next finds the first cell after rest (the part of the searched OID below
// the entry): the same column at the first row whose index follows, else the
// next column's first row. A name naming no column, or one below the first,
// starts at the first column.
func (t *table[D]) next(s *Snapshot, dst agentx.OID, rest []uint32, include bool) (agentx.OID, agentx.Value, bool) {
	d := t.data(s)
	if d == nil {
		return dst, agentx.Value{}, false
	}
	ix := t.rows(d)
	if ix.Len() == 0 {
		return dst, agentx.Value{}, false
	}
	c, row := 0, 0
	if len(rest) > 0 {
		c = t.column(rest[0])
		if c < len(t.cols) && t.cols[c].sub == rest[0] {
			if row = ix.after(rest[1:], include); row == ix.Len() {
				c, row = c+1, 0
			}
		}
	}
	if c >= len(t.cols) {
		return dst, agentx.Value{}, false
	}
	dst = append(append(dst[:0], t.entry...), t.cols[c].sub)
	return ix.appendKey(dst, row), t.cols[c].value(s, d, row), true
}

// scalar is a scalar object, instance .0.
type scalar struct {
	at    agentx.OID
	name  string
	value func(s *Snapshot) agentx.Value
}

func (o *scalar) oid() agentx.OID             { return o.at }
func (o *scalar) registrations() []agentx.OID { return []agentx.OID{o.at} }
func (o *scalar) doc() []Column               { return []Column{{Name: o.name, OID: o.at}} }

func (o *scalar) get(s *Snapshot, rest []uint32) agentx.Value {
	if len(rest) == 1 && rest[0] == 0 {
		return o.value(s)
	}
	return agentx.Value{Type: agentx.TypeNoSuchInstance}
}

func (o *scalar) next(s *Snapshot, dst agentx.OID, rest []uint32, include bool) (agentx.OID, agentx.Value, bool) {
	if len(rest) == 0 || (include && len(rest) == 1 && rest[0] == 0) {
		return append(append(dst[:0], o.at...), 0), o.value(s), true
	}
	return dst, agentx.Value{}, false
}
