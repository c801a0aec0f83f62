package ifindex

import (
	"cmp"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"
	"slices"
	"time"
)

// Max is the largest ifIndex RFC 2863 allows (InterfaceIndex is
// Integer32 1..2147483647).
const Max = 1<<31 - 1

// firstIfIndexBase is added to sw_if_index for a name's first ifIndex: the
// Python vpp-snmp-agent served 1000+sw_if_index, so LibreNMS port history
// survives the switch to this agent.
const firstIfIndexBase = 1000

// maxUnix bounds the times an Registry holds (year 36812), so that sums of a
// time and a forget-after cannot overflow.
const maxUnix = 1 << 40

// maxGrain caps how stale a present name's stored last-seen time may grow
// before an Assign records it again: the map is rewritten at most about this
// often while nothing else changes.
const maxGrain = 3600 // seconds

// ErrInvalid is wrapped by every error New and NewFrom return.
var ErrInvalid = errors.New("invalid ifIndex map")

// Record is one name's entry in an Registry.
type Record struct {
	Name    string
	IfIndex uint32
	// LastSeen is when Assign last saw the name in VPP, to the second and
	// recorded coarsely (see Registry). Zero is not known (a map saved by an
	// agent that did not record it): the name counts as seen at the next
	// Build.
	LastSeen time.Time
}

// Tombstone is the ifIndex of a forgotten name, which no other name gets
// until the tombstone expires.
type Tombstone struct {
	IfIndex   uint32
	Forgotten time.Time
}

// Registry is the persistent map from VPP interface name to ifIndex. It is
// immutable: Assign (called by mib.Build) returns a new one when it changes it, so a caller can
// save it when the pointer changes. The nil *Registry is an empty map that
// never forgets.
//
// With a forget-after (WithForgetAfter), a name that Assign has not seen for
// that long is forgotten, and its ifIndex is given to no other name for as
// long again (a tombstone), so pollers that still hold the old number do
// not join another interface's history to it. To keep the map from being
// rewritten at every Assign, a present name's last-seen time is recorded
// again only once it is older than a grain (an eighth of forget-after, at
// least 1 s, at most 1 h; 1 h without forgetting), and a name is forgotten
// only once its recorded time is older than forget-after plus that grain:
// never before it has been unseen for forget-after, and within about a
// grain and an Assign after.
type Registry struct {
	// byName is shared by the registries an Assign derives by only adding
	// names: they go to added, which that Assign copies, rather than into a
	// copy of every name (at 100,000 names, about 7 MB per new interface
	// under churn). A later Assign folds added into a new byName once it
	// grows (see foldAt), or when it rewrites the map anyway.
	byName map[string]slot
	added  map[string]slot  // names given since byName was made; disjoint from it
	ixs    []uint32         // ascending ifIndexes of byName and tomb; nil: not made yet
	tomb   map[uint32]int64 // forgotten ifIndex → when, unix seconds
	forget int64            // seconds; 0 never forgets
	// due is the unix second from which an Assign has something to forget,
	// expire or record even when every name it sees is known and fresh, so
	// that such an Assign is O(names seen) rather than O(map).
	due int64
	// foldEvery, when set, replaces foldAt's bound (tests).
	foldEvery int
}

// slot is one name's ifIndex and last-seen time (unix seconds, 0 unknown).
type slot struct {
	ix   uint32
	seen int64
}

// New returns an Registry holding m, after checking that every ifIndex
// is in 1..Max and that no two names share one. No last-seen time is
// known: each name counts as seen at the next Assign.
func New(m map[string]uint32) (*Registry, error) {
	recs := make([]Record, 0, len(m))
	for name, ix := range m {
		recs = append(recs, Record{Name: name, IfIndex: ix})
	}
	return NewFrom(recs, nil)
}

// NewFrom returns an Registry holding recs and tombstones (as a saved
// map holds them), after checking that every ifIndex is in 1..Max,
// that no name is listed twice, that no two names or tombstones share an
// ifIndex, and that every time is zero (LastSeen only) or after 1970. It
// does not forget until WithForgetAfter says when.
func NewFrom(recs []Record, tombstones []Tombstone) (*Registry, error) {
	x := &Registry{byName: make(map[string]slot, len(recs))}
	// owner of each ifIndex: a position in recs, or -1 for a tombstone
	owner := make(map[uint32]int, len(recs)+len(tombstones))
	who := func(i int) string {
		if i < 0 {
			return "a forgotten name"
		}
		return fmt.Sprintf("%q", recs[i].Name)
	}
	take := func(ix uint32, i int) error {
		if ix == 0 || ix > Max {
			return fmt.Errorf("%w: %s has ifIndex %d, outside 1..%d", ErrInvalid, who(i), ix, Max)
		}
		if j, dup := owner[ix]; dup {
			a, b := who(i), who(j)
			return fmt.Errorf("%w: %s and %s share ifIndex %d", ErrInvalid, min(a, b), max(a, b), ix)
		}
		owner[ix] = i
		return nil
	}
	for i, r := range recs {
		if _, dup := x.byName[r.Name]; dup {
			return nil, fmt.Errorf("%w: %q listed twice", ErrInvalid, r.Name)
		}
		if err := take(r.IfIndex, i); err != nil {
			return nil, err
		}
		var at int64
		if !r.LastSeen.IsZero() {
			var err error
			if at, err = unixOf(r.LastSeen); err != nil {
				return nil, fmt.Errorf("%w: %q last seen %w", ErrInvalid, r.Name, err)
			}
		}
		x.byName[r.Name] = slot{ix: r.IfIndex, seen: at}
	}
	if len(tombstones) > 0 {
		x.tomb = make(map[uint32]int64, len(tombstones))
	}
	for _, t := range tombstones {
		if err := take(t.IfIndex, -1); err != nil {
			return nil, err
		}
		at, err := unixOf(t.Forgotten)
		if err != nil {
			return nil, fmt.Errorf("%w: ifIndex %d forgotten %w", ErrInvalid, t.IfIndex, err)
		}
		x.tomb[t.IfIndex] = at
	}
	x.due = x.nextDue()
	return x, nil
}

// unixOf returns t in unix seconds, refusing times before 1970 (or at its
// first second, which zero-valued files would give) and after maxUnix.
func unixOf(t time.Time) (int64, error) {
	s := t.Unix()
	if s <= 0 || s > maxUnix {
		return 0, fmt.Errorf("at %d, outside 1..%d (unix seconds)", s, int64(maxUnix))
	}
	return s, nil
}

// WithForgetAfter returns x forgetting names unseen for d (rounded up to a
// second); d <= 0 never forgets, and then tombstones never expire either.
func (x *Registry) WithForgetAfter(d time.Duration) *Registry {
	y := &Registry{}
	if x != nil {
		*y = *x // the maps are shared: neither changes them
	}
	y.forget = 0
	if d > 0 {
		y.forget = int64(d / time.Second)
		if d%time.Second != 0 {
			y.forget++
		}
		y.forget = min(y.forget, maxUnix)
	}
	y.due = y.nextDue()
	return y
}

// ForgetAfter is how long a name may go unseen before it is forgotten (0:
// never).
func (x *Registry) ForgetAfter() time.Duration {
	if x == nil {
		return 0
	}
	return time.Duration(x.forget) * time.Second
}

// grain is how old, in seconds, a present name's recorded last-seen time
// may grow before an Assign records it again.
func (x *Registry) grain() int64 {
	if x == nil || x.forget == 0 {
		return maxGrain
	}
	return min(max(x.forget/8, 1), maxGrain)
}

// nextDue computes due: the first unix second at which a name may be
// forgotten or a tombstone expire, or the distant past when some name's
// last-seen time is unknown (the next Assign records it).
func (x *Registry) nextDue() int64 {
	due := int64(math.MaxInt64)
	lim := x.forget + x.grain()
	for _, s := range x.byName {
		if s.seen == 0 {
			return math.MinInt64
		}
		if x.forget > 0 {
			due = min(due, s.seen+lim+1)
		}
	}
	for _, s := range x.added {
		if x.forget > 0 {
			due = min(due, s.seen+lim+1)
		}
	}
	if x.forget > 0 {
		for _, at := range x.tomb {
			due = min(due, at+x.forget)
		}
	}
	return due
}

// Lookup returns the ifIndex of a name.
func (x *Registry) Lookup(name string) (uint32, bool) {
	s, ok := x.slot(name)
	return s.ix, ok
}

// Len is the number of names held.
func (x *Registry) Len() int {
	if x == nil {
		return 0
	}
	return len(x.byName) + len(x.added)
}

// All yields every (name, ifIndex) in ascending ifIndex order.
func (x *Registry) All() iter.Seq2[string, uint32] {
	return func(yield func(string, uint32) bool) {
		for r := range x.Records() {
			if !yield(r.Name, r.IfIndex) {
				return
			}
		}
	}
}

// Records yields every name's record in ascending ifIndex order.
func (x *Registry) Records() iter.Seq[Record] {
	return func(yield func(Record) bool) {
		if x == nil {
			return
		}
		names := make([]string, 0, x.Len()) // sized once: 1.6 MB at 100,000 names
		names = slices.AppendSeq(slices.AppendSeq(names, maps.Keys(x.byName)), maps.Keys(x.added))
		ix := func(n string) uint32 { s, _ := x.slot(n); return s.ix }
		slices.SortFunc(names, func(a, b string) int { return cmp.Compare(ix(a), ix(b)) })
		for _, n := range names {
			s, _ := x.slot(n)
			r := Record{Name: n, IfIndex: s.ix}
			if s.seen != 0 {
				r.LastSeen = time.Unix(s.seen, 0).UTC()
			}
			if !yield(r) {
				return
			}
		}
	}
}

// Tombstones yields the ifIndexes of forgotten names not yet free again,
// in ascending ifIndex order.
func (x *Registry) Tombstones() iter.Seq[Tombstone] {
	return func(yield func(Tombstone) bool) {
		if x == nil {
			return
		}
		for _, ix := range slices.Sorted(maps.Keys(x.tomb)) {
			if !yield(Tombstone{IfIndex: ix, Forgotten: time.Unix(x.tomb[ix], 0).UTC()}) {
				return
			}
		}
	}
}

// TombstoneCount is the number of tombstones held.
func (x *Registry) TombstoneCount() int {
	if x == nil {
		return 0
	}
	return len(x.tomb)
}

// Assign returns the ifIndex of each name (names[i] was seen at
// sw_if_index sw[i], now), allocating for names not yet known, and the
// Registry that holds them all: x itself when nothing changed. Besides
// allocations, a change is a present name's last-seen time recorded again
// (see Registry), a name forgotten or a tombstone expired.
//
// Known names keep their ifIndex. New names first try 1000+sw_if_index,
// all of them before any falls back, so one collision does not push later
// interfaces off their own numbers; the rest take the next free number,
// never one a name or a tombstone holds.
func (x *Registry) Assign(names []string, sw []uint32, now time.Time) ([]uint32, *Registry) {
	t := now.Unix()
	g := x.grain()
	out := make([]uint32, len(names))
	var fresh []int // positions of names without an ifIndex
	stale := false  // a present name's recorded last-seen time is due
	for i, n := range names {
		if s, ok := x.slot(n); ok {
			out[i] = s.ix
			// A time ahead of now is a wall clock stepped back: record now.
			stale = stale || s.seen == 0 || t-s.seen >= g || s.seen > t
		} else {
			fresh = append(fresh, i)
		}
	}
	if len(fresh) == 0 && !stale && (x == nil || t < x.due) {
		return out, x
	}
	if x != nil && !stale && t < x.due && len(x.added)+len(fresh) < x.foldAt() {
		return out, x.add(names, sw, fresh, out, t)
	}

	y := &Registry{byName: make(map[string]slot, x.Len()+len(fresh))}
	if x != nil {
		// Only names known before need telling present from absent: at a
		// first start, with every name new, this map was the largest
		// thing a build allocated.
		present := make(map[string]struct{}, len(names))
		for _, n := range names {
			present[n] = struct{}{}
		}
		y.forget, y.foldEvery = x.forget, x.foldEvery
		for n, s := range x.all() {
			_, here := present[n]
			switch {
			case here || s.seen == 0 || s.seen > t:
				// seen now; or not known (an older file), counted from now
				s.seen = t
			case y.forget > 0 && t-s.seen > y.forget+g:
				y.bury(s.ix, t)
				continue
			}
			y.byName[n] = s
		}
		for ix, at := range x.tomb {
			if y.forget > 0 && t-at >= y.forget {
				continue // free again
			}
			y.bury(ix, min(at, t))
		}
	}

	a := allocator{taken: make(map[uint32]struct{}, len(y.byName)+len(y.tomb)+len(fresh))}
	for _, s := range y.byName {
		a.taken[s.ix] = struct{}{}
	}
	for ix := range y.tomb {
		a.taken[ix] = struct{}{}
	}
	var later []int
	for _, i := range fresh {
		if s, dup := y.byName[names[i]]; dup { // a name twice among the new ones
			out[i] = s.ix
			continue
		}
		want := preferred(sw[i])
		if _, taken := a.taken[want]; taken {
			later = append(later, i)
			continue
		}
		a.taken[want] = struct{}{}
		y.byName[names[i]] = slot{ix: want, seen: t}
		out[i] = want
	}
	for _, i := range later {
		if s, dup := y.byName[names[i]]; dup {
			out[i] = s.ix
			continue
		}
		ix := a.next(preferred(sw[i]))
		if ix == 0 {
			continue // all 2^31-1 taken: no row, and nothing unsaveable stored
		}
		y.byName[names[i]] = slot{ix: ix, seen: t}
		out[i] = ix
	}
	y.ixs = slices.Sorted(maps.Keys(a.taken))
	y.due = y.nextDue()
	return out, y
}

// foldAt is how many added names make Assign fold them into a new byName.
func (x *Registry) foldAt() int {
	if x.foldEvery > 0 {
		return x.foldEvery
	}
	return 64 + len(x.byName)/16
}

// add is Assign when it only adds the new names at positions fresh: y
// shares x's byName and tombstones, and holds its own copy of the added
// names, with these. out gets their ifIndexes.
func (x *Registry) add(names []string, sw []uint32, fresh []int, out []uint32, t int64) *Registry {
	y := *x
	y.added = make(map[string]slot, len(x.added)+len(fresh))
	maps.Copy(y.added, x.added)
	if y.ixs == nil {
		y.ixs = slices.AppendSeq(slices.Collect(maps.Keys(y.tomb)), func(yield func(uint32) bool) {
			for _, s := range y.byName {
				if !yield(s.ix) {
					return
				}
			}
		})
		slices.Sort(y.ixs)
	}
	a := allocator{taken: make(map[uint32]struct{}, len(y.added)+len(fresh)), under: y.ixs}
	for _, s := range y.added {
		a.taken[s.ix] = struct{}{}
	}
	give := func(i int, ix uint32) {
		y.added[names[i]] = slot{ix: ix, seen: t}
		out[i] = ix
	}
	var later []int
	for _, i := range fresh {
		if s, dup := y.added[names[i]]; dup {
			out[i] = s.ix
			continue
		}
		if want := preferred(sw[i]); !a.isTaken(want) {
			a.taken[want] = struct{}{}
			give(i, want)
			continue
		}
		later = append(later, i)
	}
	for _, i := range later {
		if s, dup := y.added[names[i]]; dup {
			out[i] = s.ix
			continue
		}
		if ix := a.next(preferred(sw[i])); ix != 0 {
			give(i, ix)
		}
	}
	if y.forget > 0 {
		y.due = min(y.due, t+y.forget+y.grain()+1)
	}
	return &y
}

// all yields every name and its slot.
func (x *Registry) all() iter.Seq2[string, slot] {
	return func(yield func(string, slot) bool) {
		if x == nil {
			return
		}
		for n, s := range x.byName {
			if !yield(n, s) {
				return
			}
		}
		for n, s := range x.added {
			if !yield(n, s) {
				return
			}
		}
	}
}

// slot returns a name's slot.
func (x *Registry) slot(name string) (slot, bool) {
	if x == nil {
		return slot{}, false
	}
	if s, ok := x.byName[name]; ok {
		return s, true
	}
	s, ok := x.added[name]
	return s, ok
}

// bury records a tombstone for ix, forgotten at (unix seconds).
func (x *Registry) bury(ix uint32, at int64) {
	if x.tomb == nil {
		x.tomb = make(map[uint32]int64)
	}
	x.tomb[ix] = at
}

// preferred is a new name's first choice of ifIndex.
func preferred(sw uint32) uint32 {
	if sw > Max-firstIfIndexBase {
		return 1 // sw_if_index ~0 and other nonsense: any free number will do
	}
	return firstIfIndexBase + sw
}

// allocator finds free ifIndex numbers. skip remembers, for a taken number,
// a number at or below which everything from it is taken, so a run of
// collisions costs amortised O(1) per allocation instead of a linear scan.
type allocator struct {
	taken map[uint32]struct{}
	under []uint32 // ascending numbers taken besides those in taken
	skip  map[uint32]uint32
}

func (a *allocator) isTaken(n uint32) bool {
	if _, t := a.taken[n]; t {
		return true
	}
	_, t := slices.BinarySearch(a.under, n)
	return t
}

// next takes and returns the first free number at or after want, wrapping
// from Max to 1. It returns 0 only if all 2^31-1 numbers are taken.
func (a *allocator) next(want uint32) uint32 {
	if a.skip == nil {
		a.skip = make(map[uint32]uint32)
	}
	var path []uint32
	n := want
	for steps := 0; ; steps++ {
		if steps > Max {
			return 0
		}
		if !a.isTaken(n) {
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
	if n >= Max {
		return 1
	}
	return n + 1
}
