package statseg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// Errors of the writer side.
var (
	// ErrNoSpace: the interfaces do not fit a segment whose size was fixed
	// with WithSize (a real VPP aborts instead).
	ErrNoSpace = errors.New("stats segment full")
	// ErrReadOnly: the segment serves a captured image (FromImage).
	ErrReadOnly = errors.New("stats segment is a read-only image")
	// ErrClosed: Close was called.
	ErrClosed = errors.New("stats segment closed")
)

// DefaultBase is the fake VPP address of the segment's first byte, written
// in the header's base word; every pointer in the segment is base + offset,
// so readers must translate them as they do for a real VPP.
const DefaultBase = 0x7f0000000000

const (
	defaultCapacity = 1024
	maxThreads      = 1024
	maxInterfaces   = 1 << 22
)

// Option configures New.
type Option func(*config)

type config struct {
	size     int
	threads  int
	capacity int
	base     uint64
}

// WithSize fixes the memfd size in bytes, like VPP's `statseg { size }`.
// The segment then never grows: SetInterfaces returns ErrNoSpace when the
// interfaces do not fit. Without it the size follows the interface count.
func WithSize(bytes int) Option { return func(c *config) { c.size = bytes } }

// WithThreads sets the number of VPP threads, main plus workers: every
// counter vector has that many thread entries. Default 1 (main only, as in
// the 26.06 capture).
func WithThreads(n int) Option { return func(c *config) { c.threads = n } }

// WithCapacity sizes the segment for this many interfaces up front, so
// that growing to it needs neither moving vectors nor a new memfd.
// Default 1024.
func WithCapacity(interfaces int) Option { return func(c *config) { c.capacity = interfaces } }

// WithBase sets the fake base address written in the header (DefaultBase).
func WithBase(base uint64) Option { return func(c *config) { c.base = base } }

// Segment is a VPP stats segment, version 2 as VPP 26.06 writes it, in a
// memfd mapped read-write. One goroutine or many may write to it; readers
// are other processes (or govpp in this one) that map the memfd received
// from Serve.
type Segment struct {
	// mu orders the writer's own goroutines: counter updates hold it for
	// reading, directory changes for writing. Readers of the segment
	// never take it; they rely on in_progress and epoch, as with VPP.
	mu        sync.RWMutex
	cfg       config
	st        *state // nil for a read-only image
	image     *arena // the memfd of a read-only image
	closed    bool
	servers   map[*server]struct{}
	memfdGen  int // incremented by each move to a new memfd
	imageSize int
}

// New creates a segment with no interface (call SetInterfaces).
func New(opts ...Option) (*Segment, error) {
	cfg := config{threads: 1, base: DefaultBase}
	for _, o := range opts {
		o(&cfg)
	}
	switch {
	case cfg.threads < 1 || cfg.threads > maxThreads:
		return nil, fmt.Errorf("creating stats segment: %d threads, want 1..%d", cfg.threads, maxThreads)
	case cfg.capacity < 0 || cfg.capacity > maxInterfaces:
		return nil, fmt.Errorf("creating stats segment: capacity %d, want 0..%d", cfg.capacity, maxInterfaces)
	case cfg.size < 0:
		return nil, fmt.Errorf("creating stats segment: size %d", cfg.size)
	case cfg.base == 0 || cfg.base%4096 != 0:
		return nil, fmt.Errorf("creating stats segment: base %#x is not a page address", cfg.base)
	}
	capacity := cfg.capacity
	if capacity == 0 {
		capacity = defaultCapacity
	}
	s := &Segment{cfg: cfg, servers: map[*server]struct{}{}}
	if cfg.size == 0 {
		st, err := newState(cfg, capacity, autoSize(cfg.threads, capacity, 0))
		if err != nil {
			return nil, err
		}
		s.st = st
		return s, nil
	}
	// A fixed size: lay out for as many interfaces as fit, up to capacity.
	for c := capacity; ; c /= 2 {
		st, err := newState(cfg, c, cfg.size)
		if err == nil {
			s.st = st
			return s, nil
		}
		if !errors.Is(err, errArenaFull) {
			return nil, err
		}
		if c == 0 {
			return nil, fmt.Errorf("creating stats segment of %d bytes: %w", cfg.size, ErrNoSpace)
		}
	}
}

func newState(cfg config, capacity, size int) (*state, error) {
	a, err := newArena(size, cfg.base)
	if err != nil {
		return nil, err
	}
	st, err := build(a, cfg.threads, capacity)
	if err != nil {
		_ = a.close()
		if errors.Is(err, errArenaFull) {
			return nil, err
		}
		return nil, fmt.Errorf("laying out stats segment: %w", err)
	}
	return st, nil
}

// autoSize is the memfd size for capacity interfaces whose names take
// nameBytes (0: assume 32 bytes each): twice an upper bound of the layout,
// so that vectors can move once and names change before a new memfd is
// needed, rounded to MiB. Untouched pages cost nothing.
func autoSize(threads, capacity, nameBytes int) int {
	if nameBytes == 0 {
		nameBytes = 32 * capacity
	}
	n := heapStart
	n += vecCost(&heapVec, entrySize, fixedEntries+ifCounterCount*capacity)
	perThread := 0
	for range simpleIfCounters {
		perThread += vecCost(&counterVec, 8, capacity)
	}
	for range combinedIfCounters {
		perThread += vecCost(&counterVec, 16, capacity)
	}
	n += (threads + 1) * perThread
	n += vecCost(&stringVec, 8, capacity) + capacity*(heapVec.hdr+16) + nameBytes
	n += 64 << 10 // the fixed entries, /sys/node/*, /mem/
	n *= 2
	const mib = 1 << 20
	return alignUp(n+mib, mib)
}

// SetInterfaces makes names the interface table: /if/names and every /if/
// counter get len(names) entries per thread (index = sw_if_index), and
// each named interface its /interfaces/<name>/<counter> symlinks ('/' in a
// name becomes '_'). Pass Deleted for a deleted index, as VPP keeps it:
// no symlinks, counters kept. An index whose name is unchanged keeps its
// counters; one with a new name is a new interface and starts at zero, as
// in VPP. "" leaves a null name pointer (an index VPP never filled).
// Names are cut at a NUL; symlink names at 127 bytes; a name whose
// symlinks exist already (two interfaces, one name) gets none, as in VPP.
//
// It is a directory change: in_progress is set and the epoch bumped around
// it, as vlib_stats_segment_lock/unlock do. When the segment is too small,
// it moves to a new, larger memfd (see doc.go), or returns ErrNoSpace if
// its size was fixed with WithSize.
func (s *Segment) SetInterfaces(names []string) error {
	if len(names) > maxInterfaces {
		return fmt.Errorf("setting %d interfaces: more than %d", len(names), maxInterfaces)
	}
	clean := make([]string, len(names))
	nameBytes := 0
	for i, n := range names {
		if j := indexNUL(n); j >= 0 {
			n = n[:j]
		}
		clean[i] = n
		nameBytes += len(n) + 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writableLocked(); err != nil {
		return err
	}
	if slices.Equal(clean, s.st.names) {
		return nil
	}
	err := s.st.setInterfaces(clean)
	if !errors.Is(err, errArenaFull) {
		if err != nil {
			return fmt.Errorf("setting %d interfaces: %w", len(clean), err)
		}
		return nil
	}
	if s.cfg.size != 0 {
		return fmt.Errorf("setting %d interfaces in %d bytes: %w", len(clean), s.cfg.size, ErrNoSpace)
	}
	return s.regrowLocked(clean, nameBytes)
}

// regrowLocked moves to a new memfd sized for names (with room to grow by
// a quarter), carrying every counter and scalar over, and serves it to
// every client that connects from then on. The old segment is abandoned
// with in_progress set for good, so that a reader still mapping it gets
// govpp's ErrStatsAccessFailed (after its 100 ms wait) and knows to
// reconnect. The socket file is left alone on purpose: govpp's
// statsclient remaps by itself when it is removed, and does so while
// core.StatsConnection may still be reading entry names that point into
// the mapping it unmaps (a SIGSEGV; see doc.go).
func (s *Segment) regrowLocked(names []string, nameBytes int) error {
	old := s.st
	capacity := max(s.cfg.capacity, len(names)+len(names)/4)
	st, err := newState(s.cfg, capacity, autoSize(s.cfg.threads, capacity, nameBytes))
	if err != nil {
		return fmt.Errorf("moving stats segment to a new memfd for %d interfaces: %w", len(names), err)
	}
	// Carry the names over first, so that counters land on the same
	// indexes, then the values of indexes that keep their interface.
	if len(old.names) > 0 {
		if err := st.setInterfaces(old.names); err != nil {
			_ = st.a.close()
			return fmt.Errorf("moving stats segment to a new memfd: %w", err)
		}
	}
	copyValues(st, old)
	if err := st.setInterfaces(names); err != nil {
		_ = st.a.close()
		return fmt.Errorf("moving stats segment to a new memfd: %w", err)
	}
	// The epoch goes on from the old one, so that a directory read from
	// the old segment is stale in the new one.
	st.a.store64(hdrEpoch, old.a.load64(hdrEpoch)+2)
	st.held = old.held
	st.a.store64(hdrInProgress, st.held)
	old.a.store64(hdrInProgress, 1)
	old.a.add64(hdrEpoch, 1)
	s.st = st
	s.memfdGen++
	if err := old.a.close(); err != nil {
		return fmt.Errorf("moving stats segment to a new memfd: %w", err)
	}
	return nil
}

// copyValues copies every counter value and scalar of old into st, over
// the lengths both have.
func copyValues(st, old *state) {
	for name, oc := range old.counters {
		nc := st.counters[name]
		if nc == nil || nc.elem != oc.elem {
			continue
		}
		for t := range min(len(nc.inner), len(oc.inner)) {
			nv, ov := nc.inner[t], oc.inner[t]
			if nc == st.memStats {
				continue
			}
			k := min(nv.length, ov.length) * nc.elem
			copy(st.a.mem[nv.off:nv.off+k], old.a.mem[ov.off:ov.off+k])
		}
	}
	for name, oi := range old.scalars {
		v := old.a.load64(old.entryOff(oi) + entryUnion)
		if ni, ok := st.scalars[name]; ok {
			st.a.store64(st.entryOff(ni)+entryUnion, v)
		} else {
			_ = st.addScalar(old.a.load32(old.entryOff(oi)), name, v)
		}
	}
}

func (s *Segment) writableLocked() error {
	switch {
	case s.closed:
		return ErrClosed
	case s.st == nil:
		return ErrReadOnly
	}
	return nil
}

// AddCombined adds to a combined counter ("/if/rx" ...) of one thread and
// sw_if_index: packets then bytes, each one 64-bit store, without touching
// in_progress or the epoch, as VPP's workers do (so a reader may see the
// packets of an update without its bytes, as with VPP). It reports false,
// and does nothing, for an unknown counter, thread or index, or a
// read-only or closed segment.
func (s *Segment) AddCombined(counter string, thread int, swIfIndex uint32, packets, bytes uint64) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	off, ok := s.valueOffLocked(counter, typeCombined, thread, swIfIndex)
	if ok {
		s.st.a.add64(off, packets)
		s.st.a.add64(off+8, bytes)
	}
	return ok
}

// AddSimple adds v to a simple counter ("/if/drops" ...) of one thread and
// sw_if_index, as AddCombined does.
func (s *Segment) AddSimple(counter string, thread int, swIfIndex uint32, v uint64) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	off, ok := s.valueOffLocked(counter, typeSimple, thread, swIfIndex)
	if ok {
		s.st.a.add64(off, v)
	}
	return ok
}

func (s *Segment) valueOffLocked(counter string, typ uint32, thread int, swIfIndex uint32) (int, bool) {
	if s.closed || s.st == nil {
		return 0, false
	}
	c := s.st.counters[counter]
	if c == nil || c.typ != typ || thread < 0 || thread >= len(c.inner) || c == s.st.memStats {
		return 0, false
	}
	v := &c.inner[thread]
	if uint64(swIfIndex) >= uint64(v.length) {
		return 0, false
	}
	return v.off + int(swIfIndex)*c.elem, true
}

// ClearInterfaceCounters sets every /if/ counter of every thread and index
// to 0, as `clear interfaces` does: plain stores, no epoch change.
func (s *Segment) ClearInterfaceCounters() {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed || s.st == nil {
		return
	}
	for _, c := range s.st.ifc {
		for _, v := range c.inner {
			for off := v.off; off < v.off+v.length*c.elem; off += 8 {
				s.st.a.store64(off, 0)
			}
		}
	}
}

// SetScalar sets a scalar or gauge (Heartbeat, BootTime, LastUpdate,
// LastStatsClear, VectorRate, InputRate, NumWorkerThreads ...). VPP 26.06
// keeps the value as a u64 in the entry, so the fraction is lost (negative
// and NaN become 0); govpp reads scalars back as that integer and does not
// read gauges at all. An unknown name becomes a new scalar entry, which
// is a directory change.
func (s *Segment) SetScalar(name string, v float64) error {
	s.mu.RLock()
	if err := s.writableLocked(); err != nil {
		s.mu.RUnlock()
		return err
	}
	if i, ok := s.st.scalars[name]; ok {
		s.st.a.store64(s.st.entryOff(i)+entryUnion, scalarWord(v))
		s.mu.RUnlock()
		return nil
	}
	s.mu.RUnlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writableLocked(); err != nil {
		return err
	}
	if i, ok := s.st.scalars[name]; ok {
		s.st.a.store64(s.st.entryOff(i)+entryUnion, scalarWord(v))
		return nil
	}
	return s.st.newScalar(name, scalarWord(v))
}

// newScalar adds a scalar entry inside in_progress and bumps the epoch.
func (st *state) newScalar(name string, v uint64) error {
	name = cutName(name)
	if name == "" {
		return errors.New("adding a scalar: empty name")
	}
	if _, ok := st.byName[name]; ok {
		return fmt.Errorf("adding scalar %s: the name is taken by another entry", name)
	}
	if len(st.free) == 0 && st.dir.length == st.dir.capacity {
		return fmt.Errorf("adding scalar %s: directory full", name)
	}
	a := st.a
	a.store64(hdrInProgress, 1)
	err := st.addScalar(typeScalar, name, v)
	a.add64(hdrEpoch, 1)
	a.store64(hdrInProgress, st.held)
	if err != nil {
		return fmt.Errorf("adding scalar %s: %w", name, err)
	}
	return nil
}

// SetBusy holds the header's in_progress flag set (on) or releases it, as
// a VPP stuck inside vlib_stats_segment_lock would: readers retry and then
// give up (govpp's statsclient: ErrStatsAccessFailed after 100 ms).
// Directory changes made meanwhile leave the flag set; counter updates go
// on (whether to make any is the caller's choice). A read-only image
// returns ErrReadOnly.
func (s *Segment) SetBusy(on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writableLocked(); err != nil {
		return err
	}
	s.st.held = 0
	if on {
		s.st.held = 1
	}
	s.st.a.store64(hdrInProgress, s.st.held)
	return nil
}

// Epoch is the header's epoch.
func (s *Segment) Epoch() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0
	}
	if s.st == nil {
		var b [8]byte
		if _, err := unix.Pread(s.image.fd, b[:], hdrEpoch); err != nil {
			return 0
		}
		return binary.LittleEndian.Uint64(b[:])
	}
	return s.st.a.load64(hdrEpoch)
}

// Size is the memfd size in bytes and Used the bytes allocated in it.
func (s *Segment) Size() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch {
	case s.closed:
		return 0
	case s.st == nil:
		return s.imageSize
	}
	return len(s.st.a.mem)
}

// Used is the bytes of the segment's heap in use (what /mem/stat segment
// reports as used).
func (s *Segment) Used() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed || s.st == nil {
		return 0
	}
	return s.st.a.used()
}

// Generation counts the moves to a new memfd (0 until the first).
func (s *Segment) Generation() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.memfdGen
}

// Close stops the servers (their sockets are removed), unmaps the segment
// and closes the memfd. Readers that mapped it keep their mapping.
func (s *Segment) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	servers := s.servers
	s.servers = map[*server]struct{}{}
	var err error
	if s.st != nil {
		err = s.st.a.close()
	} else {
		err = s.image.close()
	}
	s.mu.Unlock()
	for srv := range servers {
		srv.stop()
	}
	return err
}

// FromImage serves a captured segment byte for byte (a copy of a real
// VPP's memfd, e.g. stats_segment.bin.gz gunzipped). Its pointers are
// VPP's addresses, which readers translate with the base in its header, so
// it needs no change. The segment is read-only: SetInterfaces and
// SetScalar return ErrReadOnly, AddSimple and AddCombined return false.
func FromImage(image []byte) (*Segment, error) {
	if len(image) < heapStart {
		return nil, fmt.Errorf("loading stats segment image: %d bytes, shorter than its header page", len(image))
	}
	fd, err := unix.MemfdCreate("stat segment", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("creating memfd for stats image: %w", err)
	}
	a := &arena{fd: fd}
	if err := unix.Ftruncate(fd, int64(len(image))); err != nil {
		_ = a.close()
		return nil, fmt.Errorf("sizing memfd for stats image: %w", err)
	}
	for off := 0; off < len(image); {
		n, err := unix.Pwrite(fd, image[off:], int64(off))
		if err != nil {
			_ = a.close()
			return nil, fmt.Errorf("writing stats image to memfd: %w", err)
		}
		off += n
	}
	return &Segment{image: a, imageSize: len(image), servers: map[*server]struct{}{}}, nil
}
