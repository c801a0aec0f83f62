package mib

import (
	"cmp"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
)

// MaxIfIndex is the largest ifIndex RFC 2863 allows (InterfaceIndex is
// Integer32 1..2147483647).
const MaxIfIndex = 1<<31 - 1

// firstIfIndexBase is added to sw_if_index for a name's first ifIndex: the
// Python vpp-snmp-agent served 1000+sw_if_index, so LibreNMS port history
// survives the switch to this agent.
const firstIfIndexBase = 1000

// ErrIndexes is wrapped by every error NewIndexes returns.
var ErrIndexes = errors.New("invalid ifIndex map")

// Indexes is the persistent map from VPP interface name to ifIndex. It is
// immutable: Build returns a new one when it allocates, so a caller can save
// it when the pointer changes. The nil *Indexes is an empty map.
type Indexes struct {
	byName map[string]uint32
}

// NewIndexes returns an Indexes holding m, after checking that every ifIndex
// is in 1..MaxIfIndex and that no two names share one.
func NewIndexes(m map[string]uint32) (*Indexes, error) {
	seen := make(map[uint32]string, len(m))
	for name, ix := range m {
		if ix == 0 || ix > MaxIfIndex {
			return nil, fmt.Errorf("%w: %q has ifIndex %d, outside 1..%d", ErrIndexes, name, ix, MaxIfIndex)
		}
		if other, dup := seen[ix]; dup {
			a, b := min(name, other), max(name, other)
			return nil, fmt.Errorf("%w: %q and %q share ifIndex %d", ErrIndexes, a, b, ix)
		}
		seen[ix] = name
	}
	return &Indexes{byName: maps.Clone(m)}, nil
}

// Lookup returns the ifIndex of a name.
func (x *Indexes) Lookup(name string) (uint32, bool) {
	if x == nil {
		return 0, false
	}
	ix, ok := x.byName[name]
	return ix, ok
}

// Len is the number of names held.
func (x *Indexes) Len() int {
	if x == nil {
		return 0
	}
	return len(x.byName)
}

// All yields every (name, ifIndex) in ascending ifIndex order.
func (x *Indexes) All() iter.Seq2[string, uint32] {
	return func(yield func(string, uint32) bool) {
		if x == nil {
			return
		}
		names := slices.Collect(maps.Keys(x.byName))
		slices.SortFunc(names, func(a, b string) int {
			return cmp.Compare(x.byName[a], x.byName[b])
		})
		for _, n := range names {
			if !yield(n, x.byName[n]) {
				return
			}
		}
	}
}

// assign returns the ifIndex of each name (names[i] was seen at
// sw_if_index sw[i]), allocating for names not yet known, and the Indexes
// that holds them all: x itself when nothing was allocated.
//
// Known names keep their ifIndex. New names first try 1000+sw_if_index,
// all of them before any falls back, so one collision does not push later
// interfaces off their own numbers; the rest take the next free number.
func (x *Indexes) assign(names []string, sw []uint32) ([]uint32, *Indexes) {
	out := make([]uint32, len(names))
	var fresh []int // positions of names without an ifIndex
	for i, n := range names {
		if ix, ok := x.Lookup(n); ok {
			out[i] = ix
		} else {
			fresh = append(fresh, i)
		}
	}
	if len(fresh) == 0 {
		return out, x
	}
	m := make(map[string]uint32, x.Len()+len(fresh))
	if x != nil {
		maps.Copy(m, x.byName)
	}
	a := allocator{taken: make(map[uint32]struct{}, len(m)+len(fresh))}
	for _, ix := range m {
		a.taken[ix] = struct{}{}
	}
	var later []int
	for _, i := range fresh {
		if _, dup := m[names[i]]; dup { // a name twice among the new ones
			out[i] = m[names[i]]
			continue
		}
		want := preferred(sw[i])
		if _, t := a.taken[want]; t {
			later = append(later, i)
			continue
		}
		a.taken[want] = struct{}{}
		m[names[i]] = want
		out[i] = want
	}
	for _, i := range later {
		if ix, dup := m[names[i]]; dup {
			out[i] = ix
			continue
		}
		ix := a.next(preferred(sw[i]))
		m[names[i]] = ix
		out[i] = ix
	}
	return out, &Indexes{byName: m}
}

// preferred is a new name's first choice of ifIndex.
func preferred(sw uint32) uint32 {
	if sw > MaxIfIndex-firstIfIndexBase {
		return 1 // sw_if_index ~0 and other nonsense: any free number will do
	}
	return firstIfIndexBase + sw
}

// allocator finds free ifIndex numbers. skip remembers, for a taken number,
// a number at or below which everything from it is taken, so a run of
// collisions costs amortised O(1) per allocation instead of a linear scan.
type allocator struct {
	taken map[uint32]struct{}
	skip  map[uint32]uint32
}

// next takes and returns the first free number at or after want, wrapping
// from MaxIfIndex to 1. It returns 0 only if all 2^31-1 numbers are taken.
func (a *allocator) next(want uint32) uint32 {
	if a.skip == nil {
		a.skip = make(map[uint32]uint32)
	}
	var path []uint32
	n := want
	for steps := 0; ; steps++ {
		if steps > MaxIfIndex {
			return 0
		}
		if _, t := a.taken[n]; !t {
			break
		}
		path = append(path, n)
		if j, ok := a.skip[n]; ok {
			n = j
			continue
		}
		n = wrapInc(n)
	}
	for _, p := range path {
		a.skip[p] = n
	}
	a.taken[n] = struct{}{}
	return n
}

func wrapInc(n uint32) uint32 {
	if n >= MaxIfIndex {
		return 1
	}
	return n + 1
}
