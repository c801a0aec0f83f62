package mib

import (
	"cmp"
	"slices"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/ifindex"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// maxPatch is the most changed rows Patch takes on; a larger change is a
// Build, which costs the same whatever changed.
const maxPatch = 256

// maxOverflow is the most counters Patch keeps beside its prev's shared
// array (Snapshot.ovf), each copied on every patch that adds some; beyond
// it Patch declines and the caller's Build lays them out again, as every
// counter read does anyway.
const maxOverflow = 4 * maxPatch

// Patch returns what Build(prev, ifaces, counters, idx, now, opt) would,
// computed from prev by redoing only the rows whose names are in changed
// (each updated or added from ifaces, or removed when ifaces no longer has
// it) and the ifStackTable rows they are part of: an interface event costs
// work in proportion to it, not to the router. ok is false, and nothing is
// returned, when the change reaches rows beyond those: a bond, a bond
// member, a parent of sub-interfaces that did not change, a linux-cp pair,
// a sub-interface whose parent changed too, VPP down, a new stats segment,
// more than a few hundred rows. The caller then calls Build.
//
// The arena is copied with the new strings appended; when the strings of
// rows gone since the last Build take more room than the live ones, Patch
// declines, so that a Build compacts it. The counter array is not copied
// but shared with prev (see Snapshot.slot); Patch declines too when the
// counters it set beside it are more than maxOverflow.
func Patch(prev *Snapshot, ifaces []model.Interface, changed map[string]bool, counters []model.Counters, idx *ifindex.Registry, now time.Time, opt Options) (snap *Snapshot, next *ifindex.Registry, trans []Transition, ok bool) {
	if prev == nil || prev == &emptySnapshot || prev.epoch.IsZero() || opt.VPPDown || len(changed) > maxPatch ||
		(opt.Segment != 0 && opt.Segment != prev.segment) {
		return nil, nil, nil, false
	}
	// The changed interfaces still there, by name, and their sw_if_index.
	at := make(map[string]int, len(changed))
	sws := make(map[uint32]bool, len(changed))
	// Hashing every name of a large router costs more than the rest of a
	// patch: compare lengths first, against the few changed names.
	lens := make(map[int]bool, len(changed))
	for name := range changed {
		lens[len(name)] = true
	}
	isChanged := func(name string) bool { return lens[len(name)] && changed[name] }
	for i := range ifaces {
		in := &ifaces[i]
		if !isChanged(in.Name) {
			continue
		}
		if _, dup := at[in.Name]; dup {
			return nil, nil, nil, false
		}
		at[in.Name] = i
		sws[in.SwIfIndex] = true
	}
	// The rows of the changed names in prev, and the sw_if_index of those
	// removed.
	type edit struct {
		ix   uint32
		pos  int // in ifaces; -1: removed
		name string
	}
	var edits []edit
	var names []string
	var nameSw []uint32
	for name := range changed {
		if p, here := at[name]; here {
			names = append(names, name)
			nameSw = append(nameSw, ifaces[p].SwIfIndex)
			continue
		}
		ix, known := idx.Lookup(name)
		if !known {
			continue
		}
		if r, found := slices.BinarySearch(prev.ifIndex, ix); found {
			if string(prev.str(prev.rows[r].descr)) != truncate(name, maxDisplayString) {
				return nil, nil, nil, false
			}
			sws[prev.rows[r].swIfIndex] = true
			edits = append(edits, edit{ix: ix, pos: -1, name: name})
		}
	}
	// Relations that reach beyond the changed rows, and the parents of
	// changed sub-interfaces.
	parents := make(map[uint32]int)
	for i := range ifaces {
		in := &ifaces[i]
		mine := isChanged(in.Name)
		if in.LCPHostName() != "" && (mine || sws[in.LCPHostSwIfIndex()]) || len(in.BondMembers()) > 0 && mine {
			return nil, nil, nil, false
		}
		for _, m := range in.BondMembers() {
			if sws[m.SwIfIndex] {
				return nil, nil, nil, false
			}
		}
		if in.Sub && in.SupSwIfIndex != in.SwIfIndex {
			switch {
			case mine && sws[in.SupSwIfIndex]:
				return nil, nil, nil, false // parent changed too
			case !mine && sws[in.SupSwIfIndex]:
				return nil, nil, nil, false // derived from a changed parent
			case mine:
				parents[in.SupSwIfIndex] = -1
			}
		}
	}
	if len(parents) > 0 {
		for i := range ifaces {
			if p, want := parents[ifaces[i].SwIfIndex]; want && p < 0 {
				parents[ifaces[i].SwIfIndex] = i
			}
		}
	}
	// ifIndexes: known names keep theirs with no other bookkeeping (the
	// next Build records them seen); a new name is allocated, through the
	// whole map's assign only where that cannot forget a present name that
	// this partial list leaves out (see patchForgetFloor).
	ifx := make([]uint32, len(names))
	next = idx
	fresh := false
	for k, name := range names {
		ifx[k], _ = idx.Lookup(name)
		fresh = fresh || ifx[k] == 0
	}
	if fresh {
		if f := idx.ForgetAfter(); f != 0 && f < patchForgetFloor {
			return nil, nil, nil, false
		}
		ifx, next = idx.Assign(names, nameSw, now)
	}
	for k, name := range names {
		if ifx[k] == 0 {
			return nil, nil, nil, false
		}
		edits = append(edits, edit{ix: ifx[k], pos: at[name], name: name})
	}
	slices.SortFunc(edits, func(a, b edit) int { return cmp.Compare(a.ix, b.ix) })
	for k := 1; k < len(edits); k++ {
		if edits[k].ix == edits[k-1].ix {
			return nil, nil, nil, false
		}
	}

	s := &Snapshot{
		clock:        opt.Clock,
		epoch:        prev.epoch,
		segment:      prev.segment,
		tableChanged: prev.tableChanged,
		stackChanged: prev.stackChanged,
	}
	nowAt := s.stamp(now)
	// Rows: prev's, spliced; they are always copied. Counters stay in
	// prev's array, which s shares: a row that stays keeps its slot there
	// (its counters until the next read, WithCounters), and a row added or
	// moved to another sw_if_index gets one in s.ovf, a copy of prev's
	// plus these. ifIndex and the slots are shared with prev too when no
	// row comes, goes or moves (a state change).
	adds, removes, moved, sets := 0, 0, false, 0
	for _, e := range edits {
		r, found := slices.BinarySearch(prev.ifIndex, e.ix)
		switch {
		case e.pos < 0 && found:
			removes++
		case e.pos >= 0 && !found:
			adds++
		case e.pos >= 0 && prev.rows[r].swIfIndex != ifaces[e.pos].SwIfIndex:
			moved = true // its counters are at another sw_if_index now
			if int(ifaces[e.pos].SwIfIndex) < len(counters) {
				sets++
			}
		}
	}
	if len(prev.ovf)+adds+sets > maxOverflow {
		return nil, nil, nil, false
	}
	reshape := adds > 0 || removes > 0 || moved
	n := len(prev.ifIndex) + adds - removes
	s.ctr = prev.ctr
	if reshape {
		s.ifIndex = make([]uint32, 0, n)
		s.slot = make([]uint32, 0, n)
		s.ovf = slices.Clip(prev.ovf) // so that appending copies it
	} else {
		s.ifIndex, s.slot, s.ovf = prev.ifIndex, prev.slot, prev.ovf
	}
	s.rows = make([]row, 0, n)
	s.arena = slices.Clip(prev.arena)
	live := 0
	var stackDrop, stackAdd []uint64
	var orphans []uint32 // parents of removed sub-interfaces
	j := 0
	for _, e := range edits {
		k := j + sortSearch(prev.ifIndex[j:], e.ix)
		s.rows = append(s.rows, prev.rows[j:k]...)
		if reshape {
			s.ifIndex = append(s.ifIndex, prev.ifIndex[j:k]...)
			s.slot = prev.appendSlots(s.slot, j, k)
		}
		j = k
		found := j < len(prev.ifIndex) && prev.ifIndex[j] == e.ix
		if found {
			// Its stack rows go; an update puts them back below.
			stackDrop = append(stackDrop, uint64(e.ix), uint64(e.ix)<<32)
			if lo, ok := lowerOf(prev.stack, e.ix); ok {
				stackDrop = append(stackDrop, uint64(e.ix)<<32|uint64(lo))
				if e.pos < 0 {
					orphans = append(orphans, lo)
				}
			}
		}
		if e.pos < 0 {
			if found {
				j++
			}
			continue
		}
		in := &ifaces[e.pos]
		var r row
		r.swIfIndex = in.SwIfIndex
		r.mtu = in.MTU
		if r.mtu == 0 {
			r.mtu = in.LinkMTU
		}
		r.ifType, r.connector = classify(in)
		r.admin = StatusDown
		if in.AdminUp {
			r.admin = StatusUp
		}
		r.speedKbps = uint64(in.LinkSpeed)
		r.duplex = in.Duplex
		mac := in.MAC
		switch {
		case !in.AdminUp:
			r.oper = StatusDown
		case in.LinkUp:
			r.oper = StatusUp
		default:
			r.oper = StatusDown
		}
		var parentIx uint32
		if in.Sub && in.SupSwIfIndex != in.SwIfIndex {
			if p := parents[in.SupSwIfIndex]; p >= 0 {
				pix, known := next.Lookup(ifaces[p].Name)
				pr, found := slices.BinarySearch(prev.ifIndex, pix)
				if !known || !found {
					return nil, nil, nil, false
				}
				prow := &prev.rows[pr]
				r.speedKbps = prow.speedKbps
				if mac == ([6]byte{}) {
					copy(mac[:], prev.str(prow.mac))
				}
				switch {
				case !in.AdminUp:
					r.oper = StatusDown
				case prow.oper == StatusUp:
					r.oper = StatusUp
				default:
					r.oper = StatusLowerLayerDown
				}
				parentIx = pix
				r.stacked = true
			}
		}
		r.descr = s.add(truncate(in.Name, maxDisplayString))
		r.name = r.descr
		alias := opt.Aliases[in.Name]
		if alias == "" {
			alias = in.Tag()
		}
		r.alias = s.add(truncate(alias, maxAlias))
		if mac != ([6]byte{}) {
			r.mac = s.add(string(mac[:]))
		} else {
			r.mac = span{off: uint32(len(s.arena))}
		}
		// set: c is the row's counters; else it keeps those of prev's row keep
		var c ctrRow
		set, keep := false, j
		if found {
			pr := &prev.rows[j]
			r.lastChange = pr.lastChange
			if pr.swIfIndex != in.SwIfIndex && int(in.SwIfIndex) < len(counters) {
				c.read(&counters[in.SwIfIndex])
				c.follow(prev.ctrOf(j), false, nowAt)
				set = true
			}
			if pr.oper != r.oper {
				r.lastChange = nowAt
				trans = append(trans, Transition{
					IfIndex: e.ix, Name: in.Name, Alias: string(s.str(r.alias)),
					Admin: r.admin, Oper: r.oper, PrevOper: pr.oper, At: now, TrapEnabled: !r.stacked,
				})
			}
			j++
		} else {
			r.lastChange, c.disc = nowAt, nowAt
			if int(in.SwIfIndex) < len(counters) {
				c.read(&counters[in.SwIfIndex])
			}
			set = true
			s.tableChanged = nowAt
		}
		s.rows = append(s.rows, r)
		switch {
		case set: // only when reshaping: a row added or moved
			s.ifIndex = append(s.ifIndex, e.ix)
			s.slot = append(s.slot, uint32(len(s.ctr)+len(s.ovf)))
			s.ovf = append(s.ovf, c)
		case reshape:
			s.ifIndex = append(s.ifIndex, e.ix)
			s.slot = prev.appendSlots(s.slot, keep, keep+1)
		}
		if parentIx != 0 {
			stackAdd = append(stackAdd, uint64(e.ix)<<32|uint64(parentIx))
			stackDrop = append(stackDrop, uint64(parentIx)) // (0, parent): it has a higher layer now
		} else {
			stackAdd = append(stackAdd, uint64(e.ix)<<32)
		}
		stackAdd = append(stackAdd, uint64(e.ix)) // (0, x): nothing is stacked on a changed row
	}
	s.rows = append(s.rows, prev.rows[j:]...)
	if reshape {
		s.ifIndex = append(s.ifIndex, prev.ifIndex[j:]...)
		s.slot = prev.appendSlots(s.slot, j, len(prev.ifIndex))
		if removes > 0 {
			s.tableChanged = nowAt
		}
	}
	for i := range s.rows {
		r := &s.rows[i]
		live += int(r.descr.n + r.alias.n + r.mac.n)
		if r.name != r.descr {
			live += int(r.name.n)
		}
	}
	if len(s.arena) > 2*live+64<<10 {
		return nil, nil, nil, false // mostly strings of rows gone: Build compacts
	}
	s.stack = patchStack(prev.stack, stackDrop, stackAdd)
	for _, lo := range orphans {
		// A parent left with nothing above gets its (0, x) row back.
		if _, here := slices.BinarySearch(s.ifIndex, lo); here && !hasHigher(s.stack, lo) {
			s.stack = patchStack(s.stack, nil, []uint64{uint64(lo)})
		}
	}
	if !slices.Equal(prev.stack, s.stack) {
		s.stackChanged = nowAt
	}
	// What Build derives from the rows: the boxed indexes, the rows by
	// sw_if_index, and the other modules, which join by it.
	s.ifKeys, s.stackKeys = ifIndexKeys(s.ifIndex), pairKeys(s.stack)
	s.bySw = newSwIndex(len(s.rows), func(i int) uint32 { return s.rows[i].swIfIndex })
	s.src = prev.src
	s.buildModules(prev, opt.MIBs, now)
	return s, next, trans, true
}

// patchForgetFloor is the shortest forget-after (Indexes.ForgetAfter)
// with which Patch allocates a new name's ifIndex: the allocation sees only
// the changed names, and may forget any other unseen for that long, which
// a name still in VPP never is when full Builds record them all far more
// often.
const patchForgetFloor = 24 * time.Hour

// appendSlots appends to dst the counter slots of s's rows j to k-1.
func (s *Snapshot) appendSlots(dst []uint32, j, k int) []uint32 {
	if s.slot != nil {
		return append(dst, s.slot[j:k]...)
	}
	for i := j; i < k; i++ {
		dst = append(dst, uint32(i)) // compact: row i's are ctr[i]
	}
	return dst
}

// sortSearch is the position of the first element of a not below x.
func sortSearch(a []uint32, x uint32) int {
	i, _ := slices.BinarySearch(a, x)
	return i
}

// lowerOf returns the lower layer of ifIndex x in an ifStackTable (the
// first, where there are several), if it has one.
func lowerOf(stack []uint64, x uint32) (uint32, bool) {
	i, _ := slices.BinarySearch(stack, uint64(x)<<32|1)
	if i < len(stack) && uint32(stack[i]>>32) == x {
		return uint32(stack[i]), true
	}
	return 0, false
}

// hasHigher reports whether some row is stacked on ifIndex x.
func hasHigher(stack []uint64, x uint32) bool {
	for _, k := range stack {
		if k>>32 != 0 && uint32(k) == x {
			return true
		}
	}
	return false
}

// patchStack returns stack without the keys of drop and with those of add,
// ascending and without repeats; stack is not modified.
func patchStack(stack, drop, add []uint64) []uint64 {
	slices.Sort(drop)
	add = slices.Compact(slices.Sorted(slices.Values(add)))
	out := make([]uint64, 0, len(stack)+len(add))
	i := 0
	for _, k := range stack {
		if _, gone := slices.BinarySearch(drop, k); gone {
			continue
		}
		for i < len(add) && add[i] < k {
			out = append(out, add[i])
			i++
		}
		if i < len(add) && add[i] == k {
			i++
		}
		out = append(out, k)
	}
	return append(out, add[i:]...)
}
