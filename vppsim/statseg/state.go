package statseg

import (
	"errors"
	"math"
)

// state is the Go-side map of one arena's layout. Only the writer touches
// it (under Segment.mu); readers see the arena alone.
type state struct {
	a       *arena
	threads int

	dir    vec
	free   []uint32 // directory free list; the last element is VPP's first_free
	byName map[string]uint32

	counters map[string]*counter
	ifc      []*counter // the /if/ counters, in symlink order
	scalars  map[string]uint32
	memStats *counter // /mem/stat segment

	// held is what in_progress returns to after a directory change: 1
	// while SetBusy holds it set, else 0.
	held uint64

	names     []string
	namesVec  vec
	namesIdx  uint32
	links     []uint32       // per sw_if_index, len(ifc) symlink entries; noEntry where absent
	linkOwner map[string]int // linkKeyOf(name) -> the index that has the symlinks
	ifSuffix  []string       // counter part of each symlink name, in ifc order
}

const noEntry = ^uint32(0)

type counter struct {
	name  string
	typ   uint32
	entry uint32
	elem  int
	outer vec   // per-thread pointer vector
	inner []vec // per thread: the per-index values
}

func (st *state) entryOff(i uint32) int { return st.dir.off + int(i)*entrySize }

// nextEntry is the index addEntry will use next.
func (st *state) nextEntry() uint32 {
	if n := len(st.free); n > 0 {
		return st.free[n-1]
	}
	return uint32(st.dir.length)
}

// writeEntry fills a directory slot. The type is stored last so that a
// reader that sees the new type also sees a union that is valid for it.
func (st *state) writeEntry(i uint32, typ uint32, union uint64, name string) {
	a, off := st.a, st.entryOff(i)
	a.store64(off+entryUnion, union)
	nb := a.mem[off+entryName : off+entryName+maxNameSize]
	clear(nb[copy(nb[:maxNameSize-1], name):])
	a.store32(off, typ)
}

// addEntry creates a directory entry, reusing the most recently freed slot
// first as VPP does. The caller has made sure the directory has room.
func (st *state) addEntry(typ uint32, name string, union uint64) (uint32, error) {
	name = cutName(name)
	if _, ok := st.byName[name]; ok {
		return noEntry, errors.New("directory entry " + name + " exists")
	}
	i := st.nextEntry()
	if n := len(st.free); n > 0 {
		st.free = st.free[:n-1]
		st.writeEntry(i, typ, union, name)
	} else {
		if st.dir.length == st.dir.capacity {
			return noEntry, errArenaFull
		}
		// Written before the length covers it: readers never see it half made.
		st.writeEntry(i, typ, union, name)
		st.a.setLen(&st.dir, st.dir.length+1)
	}
	if typ != typeSymlink {
		// Symlinks are found through linkOwner: a map of 1.7 million names
		// for 100,000 interfaces would cost more than the segment.
		st.byName[name] = i
	}
	return i, nil
}

// removeEntry empties a slot as vlib_stats_remove_entry does (type EMPTY,
// name zeroed), except that VPP then writes its free-list link in the union:
// a reader that loaded the old type SYMLINK just before would follow
// 0xffffffff as a directory index and fault. The union keeps its old
// (valid) value; the free list lives here.
func (st *state) removeEntry(i uint32) {
	a, off := st.a, st.entryOff(i)
	a.store32(off, typeEmpty)
	clear(a.mem[off+entryName : off+entryName+maxNameSize])
	st.free = append(st.free, i)
}

// newCounter allocates a counter entry: a vector of outerLen thread
// pointers, each to a vector of innerLen values (capacity innerCap).
func (st *state) newCounter(typ uint32, name string, outerLen, innerLen, innerCap int) (*counter, error) {
	a := st.a
	c := &counter{name: name, typ: typ, elem: 8}
	if typ == typeCombined {
		c.elem = 16
	}
	var err error
	if c.outer, err = a.allocVec(&counterVec, 8, outerLen, 0); err != nil {
		return nil, err
	}
	c.inner = make([]vec, outerLen)
	for t := range c.inner {
		if c.inner[t], err = a.allocVec(&counterVec, c.elem, max(innerCap, innerLen), 0); err != nil {
			return nil, err
		}
		a.setLen(&c.inner[t], innerLen)
		a.store64(c.outer.off+8*t, a.ptr(c.inner[t].off))
	}
	a.setLen(&c.outer, outerLen)
	if c.entry, err = st.addEntry(typ, name, a.ptr(c.outer.off)); err != nil {
		return nil, err
	}
	st.counters[name] = c
	return c, nil
}

// newString allocates a NUL-terminated string vector (length includes the
// NUL, as VPP's format(s, "%c", 0) makes it: govpp checks that).
func (st *state) newString(s string) (vec, error) {
	v, err := st.a.allocVec(&heapVec, 1, len(s)+1, 0)
	if err != nil {
		return vec{}, err
	}
	copy(st.a.mem[v.off:], s)
	st.a.setLen(&v, len(s)+1)
	return v, nil
}

func (st *state) addScalar(typ uint32, name string, v uint64) error {
	i, err := st.addEntry(typ, name, v)
	if err != nil {
		return err
	}
	st.scalars[name] = i
	return nil
}

// fixedEntries bounds the directory entries build makes besides symlinks.
const fixedEntries = 64

// ifCounterCount is the number of /if/ counters, hence of symlinks per
// interface.
var ifCounterCount = len(simpleIfCounters) + len(combinedIfCounters)

// build lays out a fresh segment in a (which nobody maps yet) for
// capacity interfaces, with no interface yet.
func build(a *arena, threads, capacity int) (*state, error) {
	st := &state{
		a:         a,
		threads:   threads,
		byName:    map[string]uint32{},
		counters:  map[string]*counter{},
		scalars:   map[string]uint32{},
		linkOwner: map[string]int{},
	}
	var err error
	if st.dir, err = a.allocVec(&heapVec, entrySize, fixedEntries+ifCounterCount*capacity, 0); err != nil {
		return nil, err
	}
	a.store64(hdrVersion, segmentVersion)
	a.store64(hdrBase, a.base)
	a.store64(hdrEpoch, 1)
	a.store64(hdrInProgress, 0)
	a.store64(hdrDirVector, a.ptr(st.dir.off))
	a.store64(hdrErrorVector, 0)

	// The order of a real VPP 26.06's directory, less what the agent never
	// reads (/err/, /net/, /buffer-pools/, /nodes/, /bfd/ ...).
	steps := []func() error{
		func() error { return st.addScalar(typeScalar, Heartbeat, 0) },
		func() error { return st.addScalar(typeScalar, LastStatsClear, 0) },
		func() error { return st.addScalar(typeScalar, BootTime, 0) },
		func() error {
			c, err := st.newCounter(typeSimple, "/mem/stat segment", 1, 7, 7)
			if err != nil {
				return err
			}
			st.memStats = c
			for _, l := range []struct {
				name string
				i    uint64
			}{{"used", 1}, {"total", 0}, {"free", 2}} {
				if _, err := st.addEntry(typeSymlink, "/mem/stat segment/"+l.name, uint64(c.entry)|l.i<<32); err != nil {
					return err
				}
			}
			return nil
		},
		func() error { return st.addScalar(typeGauge, VectorRate, 0) },
		// VPP validates these to index n_threads: one more than threads.
		func() error {
			_, err := st.newCounter(typeSimple, "/sys/vector_rate_per_worker", 1, threads+1, threads+1)
			return err
		},
		func() error {
			_, err := st.newCounter(typeSimple, "/sys/loops_per_worker", 1, threads+1, threads+1)
			return err
		},
		func() error { return st.addScalar(typeGauge, NumWorkerThreads, uint64(threads-1)) },
		func() error { return st.addScalar(typeScalar, LastUpdate, 0) },
		func() error { return st.addScalar(typeGauge, InputRate, 0) },
		func() error {
			for _, n := range simpleIfCounters {
				c, err := st.newCounter(typeSimple, "/if/"+n, threads, 0, capacity)
				if err != nil {
					return err
				}
				st.ifc = append(st.ifc, c)
				st.ifSuffix = append(st.ifSuffix, n)
			}
			for _, n := range combinedIfCounters {
				c, err := st.newCounter(typeCombined, "/if/"+n, threads, 0, capacity)
				if err != nil {
					return err
				}
				st.ifc = append(st.ifc, c)
				st.ifSuffix = append(st.ifSuffix, n)
			}
			return nil
		},
		func() error {
			st.namesIdx = st.nextEntry()
			var err error
			if st.namesVec, err = a.allocVec(&stringVec, 8, capacity, st.namesIdx); err != nil {
				return err
			}
			_, err = st.addEntry(typeNames, Names, a.ptr(st.namesVec.off))
			return err
		},
		func() error { return st.buildNodes() },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	st.updateMemStats()
	return st, nil
}

// buildNodes adds /sys/node/names and the four per-node counters (VPP's
// node counters have one more thread entry than there are threads).
func (st *state) buildNodes() error {
	a := st.a
	idx := st.nextEntry()
	nv, err := a.allocVec(&stringVec, 8, len(nodeNames), idx)
	if err != nil {
		return err
	}
	for i, n := range nodeNames {
		s, err := st.newString(n)
		if err != nil {
			return err
		}
		a.store64(nv.off+8*i, a.ptr(s.off))
	}
	a.setLen(&nv, len(nodeNames))
	if _, err := st.addEntry(typeNames, "/sys/node/names", a.ptr(nv.off)); err != nil {
		return err
	}
	for _, n := range []string{"clocks", "vectors", "calls", "suspends"} {
		if _, err := st.newCounter(typeSimple, "/sys/node/"+n, st.threads+1, len(nodeNames), len(nodeNames)); err != nil {
			return err
		}
	}
	return nil
}

func (st *state) updateMemStats() {
	c, a := st.memStats, st.a
	total := uint64(len(a.mem) - heapStart)
	used := uint64(a.used())
	a.store64(c.inner[0].off, total)
	a.store64(c.inner[0].off+8, used)
	a.store64(c.inner[0].off+16, total-used)
}

// growCap is the new capacity of a vector that must hold need elements.
func growCap(capacity, need int) int {
	return max(need, capacity+capacity/2, 8)
}

// setInterfaces is SetInterfaces on this arena. It allocates everything
// first and rolls back on errArenaFull, so a failure leaves the segment
// unchanged; then it publishes inside in_progress and bumps the epoch.
func (st *state) setInterfaces(names []string) error {
	a := st.a
	n, old := len(names), len(st.names)
	mark := a.next
	fail := func(err error) error {
		a.next = mark
		return err
	}
	changed := func(i int) bool { return i >= old || names[i] != st.names[i] }

	// 1. Allocate (nothing a reader can reach yet).
	type reloc struct {
		c  *counter
		t  int
		nv vec
	}
	var relocs []reloc
	for _, c := range st.ifc {
		for t := range c.inner {
			if n > c.inner[t].capacity {
				nv, err := a.allocVec(&counterVec, c.elem, growCap(c.inner[t].capacity, n), 0)
				if err != nil {
					return fail(err)
				}
				relocs = append(relocs, reloc{c, t, nv})
			}
		}
	}
	namesVec, namesMoved := st.namesVec, false
	if n > namesVec.capacity {
		var err error
		if namesVec, err = a.allocVec(&stringVec, 8, growCap(namesVec.capacity, n), st.namesIdx); err != nil {
			return fail(err)
		}
		namesMoved = true
	}
	newNames := make(map[int]vec)
	for i := 0; i < n; i++ {
		if changed(i) && names[i] != "" {
			s, err := st.newString(names[i])
			if err != nil {
				return fail(err)
			}
			newNames[i] = s
		}
	}
	// Symlinks: drop those of every index that goes or changes name, then
	// add those of every index with a new name (first owner wins, as VPP
	// refuses a symlink whose name exists).
	var drop []int
	for i := 0; i < old; i++ {
		if i >= n || changed(i) {
			if k, ok := st.linkKey(i); ok && st.linkOwner[k] == i {
				drop = append(drop, i)
			}
		}
	}
	owner := make(map[string]int)
	keys := make([]string, n) // linkKeyOf of the indexes that get symlinks
	for i := 0; i < n; i++ {
		if !changed(i) || names[i] == "" || names[i] == Deleted {
			continue
		}
		k := linkKeyOf(names[i])
		if _, taken := owner[k]; taken {
			continue
		}
		if j, taken := st.linkOwner[k]; taken && j < n && !changed(j) {
			continue
		}
		owner[k] = i
		keys[i] = k
	}
	freeSlots := len(st.free) + len(drop)*len(st.ifc)
	need := len(owner)*len(st.ifc) - freeSlots
	dir, dirMoved := st.dir, false
	if need > dir.capacity-dir.length {
		var err error
		if dir, err = a.allocVec(&heapVec, entrySize, growCap(dir.capacity, dir.length+need), 0); err != nil {
			return fail(err)
		}
		dirMoved = true
	}

	// A new interface on a reused sw_if_index starts from zero, as VPP
	// zeroes its counters on creation; a deleted one keeps its counters.
	var renamed []int
	for i := 0; i < min(old, n); i++ {
		if changed(i) && names[i] != Deleted {
			renamed = append(renamed, i)
		}
	}

	// 2. Publish, inside in_progress (vlib_stats_segment_lock).
	a.store64(hdrInProgress, 1)

	if dirMoved {
		copy(a.mem[dir.off:dir.off+st.dir.length*entrySize], a.mem[st.dir.off:st.dir.off+st.dir.length*entrySize])
		a.setLen(&dir, st.dir.length)
		st.dir = dir
	}
	for _, r := range relocs {
		ov := r.c.inner[r.t]
		keep := min(ov.length, n) * r.c.elem
		copy(a.mem[r.nv.off:r.nv.off+keep], a.mem[ov.off:ov.off+keep])
		a.setLen(&r.nv, n)
		a.store64(r.c.outer.off+8*r.t, a.ptr(r.nv.off))
		r.c.inner[r.t] = r.nv
	}
	for _, c := range st.ifc {
		for t := range c.inner {
			v := &c.inner[t]
			if v.length > n {
				// Shrink: publish the length first, then clear the tail so
				// that a later growth starts from zero.
				ol := v.length
				a.setLen(v, n)
				clear(a.mem[v.off+n*c.elem : v.off+ol*c.elem])
			} else if v.length < n {
				a.setLen(v, n)
			}
			for _, i := range renamed {
				clear(a.mem[v.off+i*c.elem : v.off+(i+1)*c.elem])
			}
		}
	}

	if namesMoved {
		for i := 0; i < min(old, n); i++ {
			a.store64(namesVec.off+8*i, a.load64(st.namesVec.off+8*i))
		}
	}
	for i := 0; i < n; i++ {
		if !changed(i) {
			continue
		}
		var p uint64
		if s, ok := newNames[i]; ok {
			p = a.ptr(s.off)
		}
		a.store64(namesVec.off+8*i, p)
	}
	ol := namesVec.length
	a.setLen(&namesVec, n)
	if n < ol {
		clear(a.mem[namesVec.off+8*n : namesVec.off+8*ol])
	}
	if namesMoved {
		a.store64(st.entryOff(st.namesIdx)+entryUnion, a.ptr(namesVec.off))
	}
	st.namesVec = namesVec

	for _, i := range drop {
		for j := range st.ifc {
			if e := st.links[i*len(st.ifc)+j]; e != noEntry {
				st.removeEntry(e)
			}
		}
		k, _ := st.linkKey(i)
		delete(st.linkOwner, k)
	}
	links := make([]uint32, n*len(st.ifc))
	for i := range links {
		links[i] = noEntry
	}
	for i := 0; i < min(old, n); i++ {
		if !changed(i) {
			copy(links[i*len(st.ifc):(i+1)*len(st.ifc)], st.links[i*len(st.ifc):(i+1)*len(st.ifc)])
		}
	}
	st.links = links
	for i := 0; i < n; i++ {
		k := keys[i]
		if k == "" {
			continue
		}
		st.linkOwner[k] = i
		for j, c := range st.ifc {
			e := st.putSymlink(k, st.ifSuffix[j], uint64(c.entry)|uint64(i)<<32)
			st.links[i*len(st.ifc)+j] = e
		}
	}
	if dirMoved {
		a.store64(hdrDirVector, a.ptr(st.dir.off))
	}
	st.names = names
	st.updateMemStats()

	a.add64(hdrEpoch, 1)
	a.store64(hdrInProgress, st.held)
	return nil
}

// linkKey is the owner key of index i's symlinks (false: it has none).
func (st *state) linkKey(i int) (string, bool) {
	if i >= len(st.names) || st.names[i] == "" || st.names[i] == Deleted {
		return "", false
	}
	return linkKeyOf(st.names[i]), true
}

// putSymlink is addEntry for a symlink whose name is known to be free
// (setInterfaces checked it and made room).
func (st *state) putSymlink(key, counter string, union uint64) uint32 {
	a := st.a
	i := st.nextEntry()
	off := st.entryOff(i)
	a.store64(off+entryUnion, union)
	putSymlinkName(a.mem[off+entryName:off+entryName+maxNameSize], key, counter)
	a.store32(off, typeSymlink)
	if n := len(st.free); n > 0 {
		st.free = st.free[:n-1]
	} else {
		a.setLen(&st.dir, st.dir.length+1)
	}
	return i
}

// scalarWord is what VPP 26.06 stores for a scalar or gauge: the f64
// converted to the u64 union (the fraction is lost; govpp converts back).
func scalarWord(v float64) uint64 {
	switch {
	case math.IsNaN(v) || v <= 0:
		return 0
	case v >= math.MaxUint64:
		return math.MaxUint64
	}
	return uint64(v)
}
