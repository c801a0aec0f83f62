package statseg

import (
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// errArenaFull is the allocator's internal "does not fit": the caller
// rolls back and grows into a new memfd or reports ErrNoSpace.
var errArenaFull = errors.New("stats segment arena full")

// arena is one memfd, mapped read-write, with a bump allocator for VPP
// vectors. Memory is never reused within an arena: a reader in another
// process may still follow a pointer it loaded before a directory change,
// and must then find the old vector whole (its length within its memory),
// never a new vector's bytes. Space left behind is reclaimed only by moving
// to a new arena (see Segment.regrow).
type arena struct {
	fd   int
	mem  []byte
	base uint64 // the fake VPP address of mem[0]
	next int    // first free byte
	high int    // highest next ever: bytes above it were never written
}

// newArena creates and maps a memfd of size bytes. Its pages cost memory
// only once touched (tmpfs is sparse).
func newArena(size int, base uint64) (*arena, error) {
	fd, err := unix.MemfdCreate("stat segment", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("creating stats memfd: %w", err)
	}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("sizing stats memfd to %d bytes: %w", size, err)
	}
	mem, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("mapping stats memfd (%d bytes): %w", size, err)
	}
	return &arena{fd: fd, mem: mem, base: base, next: heapStart}, nil
}

func (a *arena) close() error {
	var errs []error
	if a.mem != nil {
		if err := unix.Munmap(a.mem); err != nil {
			errs = append(errs, fmt.Errorf("unmapping stats segment: %w", err))
		}
		a.mem = nil
	}
	if a.fd >= 0 {
		if err := unix.Close(a.fd); err != nil {
			errs = append(errs, fmt.Errorf("closing stats memfd: %w", err))
		}
		a.fd = -1
	}
	return errors.Join(errs...)
}

func (a *arena) ptr(off int) uint64 { return a.base + uint64(off) }

func (a *arena) u64(off int) *uint64 { return (*uint64)(unsafe.Pointer(&a.mem[off])) }
func (a *arena) u32(off int) *uint32 { return (*uint32)(unsafe.Pointer(&a.mem[off])) }

// Every store a reader may see is a single aligned 64-bit (or 32-bit)
// store, as VPP's are: a reader never sees half a word.
func (a *arena) store64(off int, v uint64) { atomic.StoreUint64(a.u64(off), v) }
func (a *arena) load64(off int) uint64     { return atomic.LoadUint64(a.u64(off)) }
func (a *arena) add64(off int, v uint64)   { atomic.AddUint64(a.u64(off), v) }
func (a *arena) store32(off int, v uint32) { atomic.StoreUint32(a.u32(off), v) }
func (a *arena) load32(off int) uint32     { return atomic.LoadUint32(a.u32(off)) }
func (a *arena) used() int                 { return a.next - heapStart }
func alignUp(n, align int) int             { return (n + align - 1) &^ (align - 1) }
func (a *arena) heapPointer() uint64       { return a.ptr(heapStart) }

// vec is a VPP vector in the arena: off is its data offset (what VPP
// pointers point at), capacity its room in elements.
type vec struct {
	kind     *vecKind
	off      int
	elem     int
	capacity int
	length   int
}

// allocVec allocates a vector of capacity elements of elem bytes, zeroed,
// with its header written for length 0.
func (a *arena) allocVec(k *vecKind, elem, capacity int, entryIndex uint32) (vec, error) {
	off := alignUp(a.next+k.hdr, k.align)
	end := alignUp(off+elem*capacity, 16)
	if capacity < 0 || end > len(a.mem) || end < off {
		return vec{}, errArenaFull
	}
	// Bytes below the high-water mark may hold a rolled-back allocation's:
	// clear them. Those above were never written (and never touched, which
	// keeps a large fresh memfd sparse).
	if lo := off - k.hdr; lo < a.high {
		clear(a.mem[lo:min(end, a.high)])
	}
	a.next = end
	a.high = max(a.high, end)
	v := vec{kind: k, off: off, elem: elem, capacity: capacity}
	if k.entryIdx {
		a.store64(off-24, uint64(entryIndex))
	}
	if k.heapPtr {
		a.store64(off-16, a.heapPointer())
	}
	a.store64(off-8, vecWord(k, 0, capacity))
	return v, nil
}

// setLen publishes a new length (one 64-bit store of the header word).
func (a *arena) setLen(v *vec, n int) {
	v.length = n
	a.store64(v.off-8, vecWord(v.kind, n, v.capacity))
}

// vecCost is an upper bound of the bytes allocVec takes.
func vecCost(k *vecKind, elem, capacity int) int {
	return k.hdr + k.align + elem*capacity + 16
}
