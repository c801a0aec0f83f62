// Package statsread reads VPP's interface counters from the stats segment
// (the shared memory VPP hands out over stats.sock), sums them over threads
// and returns them as plain model.Counters indexed by sw_if_index: into an
// array (Read, ReadInto) or, one interface at a time, straight into the
// caller's structure (View). It maps the segment read-only itself and reads
// the vectors in place, every pointer and length checked against the
// mapping; govpp's statsclient copied every selected vector on each read.
//
// It never returns a dead or replaced segment's data as current. govpp's
// long-lived stats connection keeps its mapping of the old segment after a
// VPP restart and goes on returning the old (frozen) values with no error.
// This package instead identifies the segment by the memfd VPP hands out
// (device and inode, which stay unique while anyone maps the memfd): each
// Read ends by asking stats.sock for the segment again and comparing. If VPP
// is gone the Read fails; if the segment changed, the data just read is
// discarded, the new segment is mapped and read, and Counters.Segment
// changes so that the caller can mark a counter discontinuity.
package statsread
