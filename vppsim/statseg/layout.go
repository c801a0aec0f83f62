package statseg

// The bytes below are VPP 26.06's, read from a real segment
// (testdata/stats_segment.bin.gz) and from VPP's
// src/vlib/stats/shared.h and vppinfra/vec_bootstrap.h.

// Shared header: little-endian u64 words at the start of the segment.
const (
	hdrVersion    = 0
	hdrBase       = 8
	hdrEpoch      = 16
	hdrInProgress = 24
	hdrDirVector  = 32
	// Word 6 (offset 40) does not exist in 26.06; govpp reads it as
	// error_vector and must find 0 there to use the type numbers below.
	hdrErrorVector = 40

	segmentVersion = 2
	// heapStart is where VPP puts its heap: one page after the header.
	heapStart = 4096
)

// Directory entry: u32 type, 4 pad bytes, u64 union at +8, name[128] at +16.
const (
	entrySize   = 144
	entryUnion  = 8
	entryName   = 16
	maxNameSize = 128 // VLIB_STATS_MAX_NAME_SZ, NUL included
)

// Directory entry types of VPP 26.06 (stat_directory_type_t). govpp v0.13.0
// knows 1..6 and reads 9 as unknown.
const (
	typeScalar   = 1
	typeSimple   = 2
	typeCombined = 3
	typeNames    = 4
	typeEmpty    = 5
	typeSymlink  = 6
	typeGauge    = 9
)

// Interface counters in VPP's order (foreach_simple_interface_counter_name,
// then foreach_combined_interface_counter_name): the order of the /if/
// entries and of each interface's /interfaces/<name>/<counter> symlinks.
var (
	simpleIfCounters = []string{
		"drops", "punt", "ip4", "ip6", "rx-no-buf", "rx-miss", "rx-error", "tx-error", "mpls",
	}
	combinedIfCounters = []string{
		"rx", "rx-unicast", "rx-multicast", "rx-broadcast",
		"tx", "tx-unicast", "tx-multicast", "tx-broadcast",
	}
)

// Counter names, for callers of AddSimple and AddCombined.
const (
	Drops       = "/if/drops"
	Punt        = "/if/punt"
	IP4         = "/if/ip4"
	IP6         = "/if/ip6"
	RxNoBuf     = "/if/rx-no-buf"
	RxMiss      = "/if/rx-miss"
	RxError     = "/if/rx-error"
	TxError     = "/if/tx-error"
	Mpls        = "/if/mpls"
	Rx          = "/if/rx"
	RxUnicast   = "/if/rx-unicast"
	RxMulticast = "/if/rx-multicast"
	RxBroadcast = "/if/rx-broadcast"
	Tx          = "/if/tx"
	TxUnicast   = "/if/tx-unicast"
	TxMulticast = "/if/tx-multicast"
	TxBroadcast = "/if/tx-broadcast"
	Names       = "/if/names"
)

// Scalars (type 1, read by govpp) and gauges (type 9, invisible to govpp
// v0.13.0), for callers of SetScalar.
const (
	Heartbeat        = "/sys/heartbeat"
	LastStatsClear   = "/sys/last_stats_clear"
	BootTime         = "/sys/boottime"
	LastUpdate       = "/sys/last_update"
	VectorRate       = "/sys/vector_rate"
	NumWorkerThreads = "/sys/num_worker_threads"
	InputRate        = "/sys/input_rate"
)

// Deleted is the name VPP 26.06 leaves in /if/names for a deleted interface.
// Such an index has no /interfaces/ symlinks and keeps its counters.
const Deleted = "deleted"

// nodeNames stands in for VPP's graph node list (/sys/node/names): a real
// VPP has hundreds; these few real names are enough for govpp's node stats.
var nodeNames = []string{
	"null-node", "ethernet-input", "ip4-input", "ip6-input", "ip4-lookup",
	"ip6-lookup", "interface-output", "error-drop", "error-punt",
}

// vecKind is how VPP lays out the header in front of a vector's data: the
// u32 length at data-8 (all govpp reads), then hdr_size (header bytes / 8),
// log2_align with the default_heap bit, grow_elts and a pad byte. Vectors
// VPP allocates on the stats heap explicitly also carry the heap pointer at
// data-16; string vectors (/if/names) carry their directory index at data-24.
type vecKind struct {
	hdr       int  // header bytes in front of the data
	align     int  // data alignment
	alignByte byte // log2_align | default_heap<<7
	heapPtr   bool // heap pointer at data-16
	entryIdx  bool // u32 directory index at data-24
}

var (
	// Counter vectors: per-thread pointer vectors and per-index data
	// (vec_validate_aligned to a cache line: 64-byte header, default heap).
	counterVec = vecKind{hdr: 64, align: 64, alignByte: 0x86}
	// The directory and each name string.
	heapVec = vecKind{hdr: 16, align: 8, alignByte: 0x03, heapPtr: true}
	// /if/names and /sys/node/names (vlib_stats_header_t in front).
	stringVec = vecKind{hdr: 24, align: 8, alignByte: 0x03, heapPtr: true, entryIdx: true}
)

// vecWord is the 8-byte vector header word at data-8.
func vecWord(k *vecKind, length, capacity int) uint64 {
	grow := capacity - length
	if grow > 255 {
		grow = 255
	}
	if grow < 0 {
		grow = 0
	}
	return uint64(uint32(length)) | uint64(k.hdr/8)<<32 | uint64(k.alignByte)<<40 | uint64(grow)<<48
}

// linkKeyOf is an interface name as VPP puts it in its symlinks' names:
// '/' replaced by '_' (format_vlib_stats_symlink).
func linkKeyOf(name string) string {
	if indexByte(name, '/') < 0 {
		return name
	}
	b := []byte(name)
	for i, c := range b {
		if c == '/' {
			b[i] = '_'
		}
	}
	return string(b)
}

// putSymlinkName writes "/interfaces/<key>/<counter>" into a directory
// entry's name field, cut to 127 bytes and NUL-padded, without building
// the string (100,000 interfaces make 1.7 million of them).
func putSymlinkName(dst []byte, key, counter string) {
	n := copy(dst[:maxNameSize-1], "/interfaces/")
	n += copy(dst[n:maxNameSize-1], key)
	n += copy(dst[n:maxNameSize-1], "/")
	n += copy(dst[n:maxNameSize-1], counter)
	clear(dst[n:])
}

// cutName cuts a name to what fits a directory entry, as
// vlib_stats_set_entry_name does (127 bytes and the NUL).
func cutName(s string) string {
	if i := indexNUL(s); i >= 0 {
		s = s[:i]
	}
	if len(s) > maxNameSize-1 {
		s = s[:maxNameSize-1]
	}
	return s
}

func indexNUL(s string) int { return indexByte(s, 0) }

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
