package statsread

import (
	"encoding/binary"
	"slices"
)

// SegmentInfo describes the stats segment a Reader has mapped.
type SegmentInfo struct {
	// Version is the first word of the segment's header: 2 for the layout
	// this package reads (VPP 20.x to 26.06).
	Version uint64
	// Counters are the interface counters the segment's directory has, of
	// those a Read folds (e.g. /if/rx), sorted; Missing are the others.
	Counters, Missing []string
}

// Describe tells what the last successful Read mapped; ok is false when
// nothing is mapped (no Read yet, or the last one lost the segment).
func (r *Reader) Describe() (info SegmentInfo, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sc == nil || r.dir == nil || len(r.header) < 8 {
		return SegmentInfo{}, false
	}
	// VPP writes the header in its own byte order, which is ours: the
	// segment is shared memory on this machine.
	info.Version = binary.NativeEndian.Uint64(r.header)
	have := make(map[string]bool)
	for _, s := range r.plan {
		if s.counter {
			have[string(r.dir.Entries[s.entry].Name)] = true
		}
	}
	for name := range counterFields {
		if have[name] {
			info.Counters = append(info.Counters, name)
		} else {
			info.Missing = append(info.Missing, name)
		}
	}
	slices.Sort(info.Counters)
	slices.Sort(info.Missing)
	return info, true
}
