// Package statseg writes a VPP stats segment (version 2, laid out as VPP
// 26.06 lays it out) in a memfd and serves it on a stats socket, so that
// govpp's real statsclient reads it exactly as it reads a real VPP. It is
// the stats half of vppsim; it knows nothing of the rest of the simulator.
//
// # What is in the segment
//
// The shared header is five little-endian u64 words (version 2, base,
// epoch, in_progress, directory vector) and a sixth word left 0, which govpp
// reads as the legacy error vector and which must be 0 for it to use the
// 26.06 type numbers. Pointers are fake VPP addresses (base + offset,
// base = DefaultBase), which readers translate with the header's base.
// Every vector has VPP's 8-byte header in front of its data (u32 length,
// hdr_size, log2_align, grow_elts), and the heap pointer or string-vector
// header where VPP puts them. The directory holds 144-byte entries
// (u32 type, pad, u64 union, name[128]) of the 26.06 types: 1 scalar,
// 2 simple counter vector, 3 combined counter vector, 4 name vector,
// 5 empty, 6 symlink (index1 = entry, index2 = item), 9 gauge.
//
// Entries, in a real VPP's order: /sys/heartbeat, /sys/last_stats_clear,
// /sys/boottime (scalars); /mem/stat segment with its used/total/free
// symlinks; /sys/vector_rate (gauge); /sys/vector_rate_per_worker and
// /sys/loops_per_worker (one thread entry of threads+1 values, as VPP
// validates them); /sys/num_worker_threads (gauge, threads-1);
// /sys/last_update (scalar); /sys/input_rate (gauge); the /if/ simple
// counters drops, punt, ip4, ip6, rx-no-buf, rx-miss, rx-error, tx-error,
// mpls and combined counters rx, rx-unicast, rx-multicast, rx-broadcast, tx,
// tx-unicast, tx-multicast, tx-broadcast (one vector per thread, one value
// per sw_if_index); /if/names; /sys/node/names and the node counters
// (a short list of real node names, threads+1 thread entries as in VPP);
// then 17 symlinks /interfaces/<name>/<counter> per interface. What the
// agent never reads (/err/, /net/, /nodes/, /buffer-pools/, /bfd/) is left out.
//
// # Consistency, as with VPP
//
// Directory changes (SetInterfaces, a new scalar) set in_progress, change
// the directory, bump the epoch and clear in_progress, as
// vlib_stats_segment_lock/unlock do; readers retry when they saw
// in_progress or a changed epoch. Counter updates (AddSimple, AddCombined,
// ClearInterfaceCounters) are single 64-bit stores without the lock, as
// VPP's workers make them: a reader can see an update's packets without its
// bytes, exactly as with VPP, and no epoch check catches that.
//
// A reader may hold pointers loaded before a directory change. So memory
// is never reused within a memfd: moved vectors, renamed interfaces' name
// strings and a moved directory stay where they were, whole, and a stale
// reader reads old but well-formed data (and then sees the epoch change).
// Lengths change in place only within a vector's capacity. A removed
// entry keeps its old union: VPP writes its free-list link there, which a
// reader that loaded the old SYMLINK type would follow out of the mapping.
//
// # Size and growth
//
// VPP's segment cannot grow (a 32 MiB one aborts VPP near 5,140
// interfaces). Here, without WithSize the memfd is sized from
// WithCapacity (default 1024 interfaces) at twice the layout's upper bound
// (untouched pages of a memfd cost nothing): pass the expected interface
// count. Vectors grow by half their capacity while the memfd has room.
// When it has not, SetInterfaces moves to a new memfd sized for the new
// count plus a quarter, carrying every counter and scalar over with the
// epoch continued, and serves that one to clients that connect from then
// on. The old segment is abandoned with in_progress set for good: a reader
// still mapping it gets govpp's ErrStatsAccessFailed (after 100 ms) from
// every read and must reconnect, which is what the agent does when its
// stats connection fails. With WithSize the memfd never changes and
// SetInterfaces returns ErrNoSpace when the interfaces do not fit.
//
// Per interface the segment takes 17 directory entries of 144 bytes (the
// symlinks: 2,448 bytes, as in VPP), 200 bytes of counters per thread and
// its name: about 2.7 KB with one thread, 3.5 KB with main + 4 workers
// (100,000 interfaces: 334 MiB used of a 711 MiB memfd sized with
// WithCapacity(100000)). Growing piecemeal leaves moved vectors behind, so
// a fixed size holds fewer (4 MiB: 1,024 grown in doublings).
//
// The socket file is not replaced on such a move, unlike on a VPP restart
// (VPP unlinks stats.sock at exit), because of two faults of govpp v0.13.0
// that make a reader die of SIGSEGV (TestReproGovppUnmapOnRestart shows
// them; a VPP restart is simulated with Close and a new Segment served on
// the same path). Its statsclient watches the socket file and, when it is
// removed, unmaps the segment and maps the new one from its fsnotify
// goroutine; but the entry names of a read (StatEntry.Name) are slices of
// the mapping. core.StatsConnection compares them after the read, outside
// the client's lock (GetInterfaceStats), and its next UpdateDir compares
// the kept ones with the new directory's when the new segment's epoch
// equals the old one's (likely after a restart with the same
// configuration). Given dir/./stats.sock instead of dir/stats.sock,
// govpp never matches fsnotify's event name and never remaps: it keeps
// reading the old, frozen segment, and the caller must notice the restart
// (socket inode, heartbeat) and reconnect by itself.
//
// # Replay
//
// FromImage serves a captured segment (a real VPP's memfd copied byte for
// byte) read-only: its pointers are relative to the base in its header, so
// it works as is in a fresh memfd.
//
// # Writers
//
// All methods are safe for concurrent use. Counter updates take a read
// lock (they may run in parallel, each an atomic add); directory changes
// take the write lock. govpp in the same process reads its own mapping and
// never takes these locks.
package statseg
