package agentx

import (
	"slices"
	"sort"
)

// listTree is a sorted list of varbinds: the simple Tree of the tests.
type listTree struct{ e []Varbind }

func newListTree(vbs ...Varbind) *listTree {
	t := &listTree{e: slices.Clone(vbs)}
	sort.Slice(t.e, func(i, j int) bool { return t.e[i].Name.Compare(t.e[j].Name) < 0 })
	return t
}

func (t *listTree) search(name OID) int {
	return sort.Search(len(t.e), func(i int) bool { return t.e[i].Name.Compare(name) >= 0 })
}

// Get: a value, or noSuchInstance when a neighbour shares the name's column
// (all but the last sub-identifier), else noSuchObject.
func (t *listTree) Get(name OID) Value {
	i := t.search(name)
	if i < len(t.e) && t.e[i].Name.Compare(name) == 0 {
		return t.e[i].Value
	}
	if len(name) > 1 {
		col := name[:len(name)-1]
		for _, j := range []int{i - 1, i} {
			if j >= 0 && j < len(t.e) && len(t.e[j].Name) == len(name) && t.e[j].Name.HasPrefix(col) {
				return Value{Type: TypeNoSuchInstance}
			}
		}
	}
	return Value{Type: TypeNoSuchObject}
}

func (t *listTree) Next(dst, from OID, include bool) (OID, Value, bool) {
	i := t.search(from)
	if i < len(t.e) && !include && t.e[i].Name.Compare(from) == 0 {
		i++
	}
	if i >= len(t.e) {
		return dst[:0], Value{}, false
	}
	return append(dst[:0], t.e[i].Name...), t.e[i].Value, true
}

// tableTree is a conceptual table answered arithmetically, as the real MIB
// snapshot is: entry.col.row for each column and each (sorted) row index,
// without one element per OID. Values depend on gen so that tests can tell
// snapshots apart.
type tableTree struct {
	entry OID
	cols  []uint32 // sorted
	rows  []uint32 // sorted
	gen   uint64
	names [][]byte
}

func newTableTree(entry OID, cols []uint32, nrows int, gen uint64) *tableTree {
	t := &tableTree{entry: entry, cols: cols, gen: gen}
	for i := range nrows {
		t.rows = append(t.rows, uint32(1000+i))
		t.names = append(t.names, []byte("if"+itoa(i)))
	}
	return t
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}

func (t *tableTree) value(col uint32, row int) Value {
	switch col % 4 {
	case 0:
		return Value{Type: TypeCounter64, Integer: t.gen<<32 | uint64(row)}
	case 1:
		return Value{Type: TypeInteger, Integer: uint64(t.rows[row])}
	case 2:
		return Value{Type: TypeOctetString, Bytes: t.names[row]}
	default:
		return Value{Type: TypeGauge32, Integer: t.gen}
	}
}

func (t *tableTree) Get(name OID) Value {
	n := len(t.entry)
	if len(name) != n+2 || !name.HasPrefix(t.entry) {
		return Value{Type: TypeNoSuchObject}
	}
	if _, ok := slices.BinarySearch(t.cols, name[n]); !ok {
		return Value{Type: TypeNoSuchObject}
	}
	r, ok := slices.BinarySearch(t.rows, name[n+1])
	if !ok {
		return Value{Type: TypeNoSuchInstance}
	}
	return t.value(name[n], r)
}

func (t *tableTree) Next(dst, from OID, include bool) (OID, Value, bool) {
	n := len(t.entry)
	ci, ri := 0, 0
	switch {
	case from.HasPrefix(t.entry):
		rest := from[n:]
		if len(rest) == 0 {
			break
		}
		var exact bool
		ci, exact = slices.BinarySearch(t.cols, rest[0])
		if !exact || len(rest) == 1 {
			break
		}
		ri, exact = slices.BinarySearch(t.rows, rest[1])
		// entry.col.row itself is next only when included; anything
		// longer (entry.col.row.x) sorts after the row.
		if exact && (len(rest) > 2 || !include) {
			ri++
		}
		if ri == len(t.rows) {
			ci, ri = ci+1, 0
		}
	case from.Compare(t.entry) > 0:
		return dst[:0], Value{}, false
	}
	if ci >= len(t.cols) || len(t.rows) == 0 {
		return dst[:0], Value{}, false
	}
	dst = append(append(dst[:0], t.entry...), t.cols[ci], t.rows[ri])
	return dst, t.value(t.cols[ci], ri), true
}

// all lists the table's varbinds in order.
func (t *tableTree) all() []Varbind {
	var vbs []Varbind
	for _, c := range t.cols {
		for ri, r := range t.rows {
			vbs = append(vbs, Varbind{Name: append(slices.Clone(t.entry), c, r), Value: t.value(c, ri)})
		}
	}
	return vbs
}

// multiTree serves several trees over disjoint, ordered subtrees.
type multiTree []Tree

func (m multiTree) Get(name OID) Value {
	for _, t := range m {
		if v := t.Get(name); v.Type != TypeNoSuchObject {
			return v
		}
	}
	return Value{Type: TypeNoSuchObject}
}

func (m multiTree) Next(dst, from OID, include bool) (OID, Value, bool) {
	for _, t := range m {
		if name, v, ok := t.Next(dst, from, include); ok {
			return name, v, true
		}
	}
	return dst[:0], Value{}, false
}
