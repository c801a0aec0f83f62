package statsread

import (
	"unsafe"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// entryPattern selects the directory entries a Read needs, and only those:
// govpp copies every selected vector on each read. govpp matches it against
// every directory name (VPP has about 27 per interface) each time it
// prepares the directory, so it is factored to decide on the first bytes:
// 0.25 us per rejected name where the plain alternation took 7.8 us.
const entryPattern = `^/(?:if/(?:names|rx(?:-(?:no-buf|miss|error|unicast|multicast|broadcast))?|tx(?:-(?:error|unicast|multicast|broadcast))?|drops|punt)|sys/boottime)$`

// field is the offset of a uint64 field in model.Counters; noField for the
// bytes half of a simple counter.
type field = uintptr

const noField = ^field(0)

// counterFields maps each counter to the model.Counters fields it sums into:
// packets (or the value of a simple counter) and bytes. Offsets rather than
// accessor funcs: the fold adds about 15 values per interface and thread,
// and a call per value was half the cost of a Read.
var counterFields = map[string][2]field{
	"/if/rx":           {unsafe.Offsetof(model.Counters{}.RxPackets), unsafe.Offsetof(model.Counters{}.RxBytes)},
	"/if/tx":           {unsafe.Offsetof(model.Counters{}.TxPackets), unsafe.Offsetof(model.Counters{}.TxBytes)},
	"/if/rx-unicast":   {unsafe.Offsetof(model.Counters{}.RxUnicastPackets), unsafe.Offsetof(model.Counters{}.RxUnicastBytes)},
	"/if/rx-multicast": {unsafe.Offsetof(model.Counters{}.RxMulticastPackets), unsafe.Offsetof(model.Counters{}.RxMulticastBytes)},
	"/if/rx-broadcast": {unsafe.Offsetof(model.Counters{}.RxBroadcastPackets), unsafe.Offsetof(model.Counters{}.RxBroadcastBytes)},
	"/if/tx-unicast":   {unsafe.Offsetof(model.Counters{}.TxUnicastPackets), unsafe.Offsetof(model.Counters{}.TxUnicastBytes)},
	"/if/tx-multicast": {unsafe.Offsetof(model.Counters{}.TxMulticastPackets), unsafe.Offsetof(model.Counters{}.TxMulticastBytes)},
	"/if/tx-broadcast": {unsafe.Offsetof(model.Counters{}.TxBroadcastPackets), unsafe.Offsetof(model.Counters{}.TxBroadcastBytes)},
	"/if/drops":        {unsafe.Offsetof(model.Counters{}.Drops), noField},
	"/if/punt":         {unsafe.Offsetof(model.Counters{}.Punts), noField},
	"/if/rx-no-buf":    {unsafe.Offsetof(model.Counters{}.RxNoBuf), noField},
	"/if/rx-miss":      {unsafe.Offsetof(model.Counters{}.RxMiss), noField},
	"/if/rx-error":     {unsafe.Offsetof(model.Counters{}.RxError), noField},
	"/if/tx-error":     {unsafe.Offsetof(model.Counters{}.TxError), noField},
}

// sources are the planned entries of a segment, viewed in place: one
// slice per counter and thread, the names vector, the boot time.
type sources struct {
	simple   []simpleSrc
	combined []combinedSrc
	names    struct{ off, n uint64 }
	boot     uint64
	n        int // interfaces: the longest vector
}

// sources finds the planned entries' vectors in s.
func (r *Reader) sources(s segment) (sources, error) {
	var src sources
	hasNames := false
	r.simpleSrc, r.combinedSrc = r.simpleSrc[:0], r.combinedSrc[:0]
	for _, st := range r.plan {
		switch st.kind {
		case typeNames:
			off, cnt, ok := s.vec(s.u64(st.entry+entryUnion), 8)
			if !ok {
				return sources{}, errBadSegment
			}
			src.names.off, src.names.n, hasNames = off, cnt, true
			src.n = max(src.n, int(cnt))
		case typeScalar:
			src.boot = s.u64(st.entry + entryUnion)
		case typeSimple:
			ts, err := threads(s, st.entry, r.simpleBuf[:0])
			if err != nil {
				return sources{}, err
			}
			r.simpleBuf = ts
			for _, t := range ts {
				r.simpleSrc = append(r.simpleSrc, simpleSrc{v: t, f: st.pkts})
				src.n = max(src.n, len(t))
			}
		case typeCombined:
			ts, err := threads(s, st.entry, r.combinedBuf[:0])
			if err != nil {
				return sources{}, err
			}
			r.combinedBuf = ts
			for _, t := range ts {
				r.combinedSrc = append(r.combinedSrc, combinedSrc{v: t, pkts: st.pkts, bytes: st.bytes})
				src.n = max(src.n, len(t))
			}
		}
	}
	if !hasNames {
		return sources{}, errBadSegment
	}
	src.simple, src.combined = r.simpleSrc, r.combinedSrc
	return src, nil
}

// add adds sw_if_index i's counters of every thread to c.
func (src *sources) add(i int, c *model.Counters) {
	p := unsafe.Pointer(c)
	for _, s := range src.simple {
		if i < len(s.v) {
			*at(p, s.f) += s.v[i]
		}
	}
	for _, s := range src.combined {
		if i < len(s.v) {
			*at(p, s.pkts) += s.v[i][0]
			if s.bytes != noField {
				*at(p, s.bytes) += s.v[i][1]
			}
		}
	}
}

// fold sums the planned entries of s over threads into Counters, in buf's
// storage when it is large enough. It reads the mapping in place; the
// caller checks the epoch around it.
func (r *Reader) fold(s segment, buf []model.Counters) (Counters, error) {
	src, err := r.sources(s)
	if err != nil {
		return Counters{}, err
	}
	var out []model.Counters
	if cap(buf) >= src.n {
		out = buf[:src.n]
		clear(out)
	} else {
		out = make([]model.Counters, src.n)
	}
	// One pass over out, interface by interface, adding every counter of
	// every thread: out is written once, and the source vectors are read
	// in order. (A pass per counter and thread walks out 15 x threads
	// times, which at 100,000 interfaces is cache misses all the way.)
	for i := range out {
		src.add(i, &out[i])
	}
	names, err := r.namesFor(s, src.names.off, src.names.n, src.n)
	if err != nil {
		return Counters{}, err
	}
	return Counters{BySwIfIndex: out, Names: names, BootTime: src.boot, Segment: r.segments}, nil
}

// simpleSrc and combinedSrc are one thread's vector of one counter, viewed
// in the mapping, and the fields it adds to.
type simpleSrc struct {
	v []uint64
	f field
}

type combinedSrc struct {
	v           [][2]uint64
	pkts, bytes field
}

// at is the uint64 field at offset f of the model.Counters at c; f comes
// from unsafe.Offsetof on model.Counters.
func at(c unsafe.Pointer, f field) *uint64 { return (*uint64)(unsafe.Add(c, f)) }

// namesFor returns /if/names (cnt entries at nv) as n strings, reusing the
// previous slice (no allocation) while they are unchanged: names are
// stored once, not once per read.
func (r *Reader) namesFor(s segment, nv, cnt uint64, n int) ([]string, error) {
	same := len(r.names) == n
	for i := uint64(0); same && i < cnt; i++ {
		b, err := s.nameAt(nv, i)
		if err != nil {
			return nil, err
		}
		same = string(b) == r.names[i]
	}
	if same {
		return r.names, nil
	}
	out := make([]string, n)
	for i := uint64(0); i < cnt; i++ {
		b, err := s.nameAt(nv, i)
		if err != nil {
			return nil, err
		}
		if i < uint64(len(r.names)) && string(b) == r.names[i] {
			out[i] = r.names[i] // the same string, not a copy
			continue
		}
		out[i] = string(b)
	}
	r.names = out
	return out, nil
}
