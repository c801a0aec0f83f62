package mib

import (
	"slices"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
)

// index is a table's row indexes, in OID order: row i's instance suffix is
// key i, and keys ascend as SNMP orders OIDs. Its implementations are plain
// slices with no per-row allocation; a snapshot boxes each one once, at
// build, so serving one costs no allocation.
type index interface {
	Len() int
	// after returns the first row whose key follows idx (or equals it,
	// with include): Len() when none does.
	after(idx []uint32, include bool) int
	// find returns the row whose key is exactly idx.
	find(idx []uint32) (int, bool)
	// appendKey appends row's key to dst.
	appendKey(dst agentx.OID, row int) agentx.OID
}

// ifIndexKeys are one-subid keys (an ifIndex), ascending.
type ifIndexKeys []uint32

func (k ifIndexKeys) Len() int { return len(k) }

func (k ifIndexKeys) after(idx []uint32, include bool) int {
	if len(idx) == 0 {
		return 0
	}
	pos, found := slices.BinarySearch(k, idx[0])
	// [n] > idx when n > idx[0], or n == idx[0] and idx is just [n] with
	// include; a longer idx ([n, ...]) is past the instance [n].
	if found && !(include && len(idx) == 1) {
		pos++
	}
	return pos
}

func (k ifIndexKeys) find(idx []uint32) (int, bool) {
	if len(idx) != 1 {
		return 0, false
	}
	return slices.BinarySearch(k, idx[0])
}

func (k ifIndexKeys) appendKey(dst agentx.OID, row int) agentx.OID { return append(dst, k[row]) }

// pairKeys are two-subid keys (a, b) held as a<<32 | b, ascending: they
// sort as their OIDs do.
type pairKeys []uint64

func (k pairKeys) Len() int { return len(k) }

func (k pairKeys) after(idx []uint32, include bool) int {
	switch len(idx) {
	case 0:
		return 0
	case 1:
		// every [idx[0], b] is longer than [idx[0]], hence after it
		pos, _ := slices.BinarySearch(k, uint64(idx[0])<<32)
		return pos
	}
	pos, found := slices.BinarySearch(k, uint64(idx[0])<<32|uint64(idx[1]))
	if found && !(include && len(idx) == 2) {
		pos++
	}
	return pos
}

func (k pairKeys) find(idx []uint32) (int, bool) {
	if len(idx) != 2 {
		return 0, false
	}
	return slices.BinarySearch(k, uint64(idx[0])<<32|uint64(idx[1]))
}

func (k pairKeys) appendKey(dst agentx.OID, row int) agentx.OID {
	return append(dst, uint32(k[row]>>32), uint32(k[row]))
}

// oidKeys are keys of any length in one flat slice: key i is
// flat[off[i]+lead : off[i+1]]. Each key may be preceded by lead subids
// that are not part of it (ipAddressPrefixTable keeps there the column OID
// that makes a key a RowPointer), so one slice serves both.
type oidKeys struct {
	flat []uint32
	off  []uint32 // len Len()+1
	lead int
}

func (k *oidKeys) Len() int {
	if len(k.off) == 0 {
		return 0
	}
	return len(k.off) - 1
}

// at returns key i; callers must not modify it.
func (k *oidKeys) at(i int) agentx.OID {
	return k.flat[int(k.off[i])+k.lead : k.off[i+1] : k.off[i+1]]
}

// whole returns key i with its lead.
func (k *oidKeys) whole(i int) agentx.OID {
	return k.flat[k.off[i]:k.off[i+1]:k.off[i+1]]
}

func (k *oidKeys) after(idx []uint32, include bool) int {
	lo, hi := 0, k.Len()
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		c := k.at(m).Compare(idx)
		if c > 0 || (include && c == 0) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

func (k *oidKeys) find(idx []uint32) (int, bool) {
	pos := k.after(idx, true)
	return pos, pos < k.Len() && k.at(pos).Compare(idx) == 0
}

func (k *oidKeys) appendKey(dst agentx.OID, row int) agentx.OID { return append(dst, k.at(row)...) }

// keyList collects keys in any order, to be sorted: add a key's subids
// with push, end it with end.
type keyList struct {
	flat []uint32
	off  []uint32
}

// newKeyList makes room for n keys of about width subids.
func newKeyList(n, width int) keyList {
	l := keyList{flat: make([]uint32, 0, n*width), off: make([]uint32, 1, n+1)}
	return l
}

func (l *keyList) push(v ...uint32) { l.flat = append(l.flat, v...) }

func (l *keyList) end() {
	if len(l.off) == 0 {
		l.off = append(l.off, 0)
	}
	l.off = append(l.off, uint32(len(l.flat)))
}

func (l *keyList) at(i int) agentx.OID { return l.flat[l.off[i]:l.off[i+1]] }

func (l *keyList) len() int { return max(len(l.off)-1, 0) }

// sorted returns the keys ascending, each after lead, with all but the
// first of equal keys dropped; order, the position in l of each key kept;
// and row, the position in the result of each key of l (its equal's, for
// one dropped).
func (l *keyList) sorted(lead agentx.OID) (order, row []int32, k oidKeys) {
	n := l.len()
	order = make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	cmpKeys := func(a, b int32) int {
		if c := l.at(int(a)).Compare(l.at(int(b))); c != 0 {
			return c
		}
		return int(a) - int(b) // the first of equal keys first
	}
	// VPP dumps by sw_if_index, which is often the keys' order already
	if !slices.IsSortedFunc(order, cmpKeys) {
		slices.SortFunc(order, cmpKeys)
	}
	row = make([]int32, n)
	kept := order[:0]
	for _, p := range order {
		if len(kept) > 0 && l.at(int(kept[len(kept)-1])).Compare(l.at(int(p))) == 0 {
			row[p] = int32(len(kept) - 1)
			continue
		}
		row[p] = int32(len(kept))
		kept = append(kept, p)
	}
	order = kept
	k = oidKeys{
		flat: make([]uint32, 0, len(l.flat)+len(order)*len(lead)),
		off:  make([]uint32, 0, len(order)+1),
		lead: len(lead),
	}
	k.off = append(k.off, 0)
	for _, p := range order {
		k.flat = append(append(k.flat, lead...), l.at(int(p))...)
		k.off = append(k.off, uint32(len(k.flat)))
	}
	return order, row, k
}
