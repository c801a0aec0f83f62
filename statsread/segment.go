package statsread

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"
)

// The stats segment, version 2, as VPP 26.06 lays it out (its
// src/vlib/stats/shared.h; vppsim/statseg writes the same): a header of
// little-endian u64 words, then VPP's heap. Pointers are VPP's addresses,
// translated by subtracting the header's base. Every vector has an 8-byte
// header in front of its data whose first u32 is its length.
const (
	hdrBase        = 8
	hdrEpoch       = 16
	hdrInProgress  = 24
	hdrDirVector   = 32
	hdrErrorVector = 40 // absent in 26.06 (reads 0); non-zero: older type numbers

	entrySize  = 144 // u32 type, pad, u64 union, name[128]
	entryUnion = 8
	entryName  = 16
	nameSize   = 128
)

// Directory entry types, 26.06 numbering and the older one (used by VPP
// releases whose header has an error vector).
const (
	typeScalar   = 1
	typeSimple   = 2
	typeCombined = 3
	typeNames    = 4
	typeNamesOld = 5
)

// errBadSegment is a pointer or length that leads out of the mapping: a
// segment VPP is rewriting under us (the epoch check says so), or garbage.
var errBadSegment = errors.New("the stats segment holds a pointer out of its bounds")

// segment is a read-only mapping of a whole stats segment. Reading it
// copies nothing but the values asked for: at 100,000 interfaces govpp's
// copy of every selected vector was most of a read's time and of the
// agent's heap.
type segment struct {
	b []byte
}

// word loads the header word at off, whole (VPP stores them whole).
func (s segment) word(off int) uint64 {
	return atomic.LoadUint64((*uint64)(unsafe.Pointer(&s.b[off])))
}

// state returns the epoch and whether VPP holds the segment (in_progress).
func (s segment) state() (epoch uint64, busy bool) {
	return s.word(hdrEpoch), s.word(hdrInProgress) != 0
}

// at translates a VPP pointer to an offset in the mapping with n bytes
// after it.
func (s segment) at(ptr uint64, n uint64) (uint64, bool) {
	off := ptr - s.word(hdrBase)
	if ptr == 0 || off >= uint64(len(s.b)) || n > uint64(len(s.b))-off {
		return 0, false
	}
	return off, true
}

// vec returns the offset and length of the vector at VPP pointer ptr,
// whose elements are elem bytes, all within the mapping.
func (s segment) vec(ptr uint64, elem uint64) (off uint64, n uint64, ok bool) {
	off, ok = s.at(ptr, 0)
	if !ok || off < 8 || off%8 != 0 {
		return 0, 0, false
	}
	n = uint64(binary.LittleEndian.Uint32(s.b[off-8:]))
	if n*elem > uint64(len(s.b))-off {
		return 0, 0, false
	}
	return off, n, true
}

func (s segment) u64(off uint64) uint64 { return binary.LittleEndian.Uint64(s.b[off:]) }

// legacy reports whether the entry types are the older numbering.
func (s segment) legacy() bool {
	ev := s.word(hdrErrorVector)
	_, ok := s.at(ev, 0)
	return ev != 0 && ok
}

// step is one directory entry a read uses and the model.Counters fields it
// sums into.
type step struct {
	entry       uint64 // offset of the directory entry
	kind        uint32 // typeScalar, typeSimple, typeCombined or typeNames
	name        string // the counter's, e.g. /if/rx
	pkts, bytes field
}

// planFor finds the entries a read needs in the directory: /if/names (it
// must be there: without it this is no interface stats segment),
// /sys/boottime and the counters of counterFields. It stops once it has
// them all: VPP makes them at start, ahead of the per-interface entries.
func planFor(s segment) ([]step, error) {
	dir, n, ok := s.vec(s.word(hdrDirVector), entrySize)
	if !ok {
		return nil, fmt.Errorf("the stats segment's directory: %w", errBadSegment)
	}
	legacy := s.legacy()
	want := len(counterFields) + 2
	var plan []step
	names := false
	for i := uint64(0); i < n && len(plan) < want; i++ {
		e := dir + i*entrySize
		name := s.b[e+entryName : e+entryName+nameSize]
		// Most entries are /interfaces/..., /nodes/..., /err/...: two bytes
		// tell them from /if/ and /sys/.
		if name[0] != '/' || (name[1] != 'i' || name[2] != 'f') && name[1] != 's' {
			continue
		}
		if z := indexByte(name, 0); z >= 0 {
			name = name[:z]
		}
		typ := binary.LittleEndian.Uint32(s.b[e:])
		switch string(name) {
		case "/if/names":
			if typ != typeNames && !legacy || typ != typeNamesOld && legacy {
				return nil, fmt.Errorf("/if/names has type %d", typ)
			}
			names = true
			plan = append(plan, step{entry: e, kind: typeNames})
		case "/sys/boottime":
			if typ == typeScalar {
				plan = append(plan, step{entry: e, kind: typeScalar})
			}
		default:
			f, ok := counterFields[string(name)]
			if !ok || typ != typeSimple && typ != typeCombined {
				continue
			}
			plan = append(plan, step{entry: e, kind: typ, name: string(name), pkts: f[0], bytes: f[1]})
		}
	}
	if !names {
		return nil, fmt.Errorf("no /if/names in the stats segment (%d entries matched)", len(plan))
	}
	return plan, nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// threads returns, for the counter vector entry e, one slice per thread of
// its values (elem bytes each), viewing the mapping.
func threads[T any](s segment, e uint64, dst [][]T) ([][]T, error) {
	var zero T
	elem := uint64(unsafe.Sizeof(zero))
	tv, tn, ok := s.vec(s.u64(e+entryUnion), 8)
	if !ok {
		return dst, errBadSegment
	}
	for t := range tn {
		cv, cn, ok := s.vec(s.u64(tv+8*t), elem)
		if !ok {
			return dst, errBadSegment
		}
		if cn == 0 {
			dst = append(dst, nil)
			continue
		}
		dst = append(dst, unsafe.Slice((*T)(unsafe.Pointer(&s.b[cv])), cn))
	}
	return dst, nil
}

// nameAt returns the i-th name of the names vector at offset nv (n long),
// NULs left out as govpp leaves them out, without copying when it can.
func (s segment) nameAt(nv uint64, i uint64) ([]byte, error) {
	p := s.u64(nv + 8*i)
	if p == 0 {
		return nil, nil
	}
	off, n, ok := s.vec(p, 1)
	if !ok {
		return nil, errBadSegment
	}
	b := s.b[off : off+n : off+n]
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	if indexByte(b, 0) >= 0 {
		c := make([]byte, 0, len(b))
		for _, x := range b {
			if x != 0 {
				c = append(c, x)
			}
		}
		b = c
	}
	return b, nil
}
