// Package ifindexfile keeps the persistent ifIndex map (ifindex.Registry) in a
// small JSON file, so that every interface keeps its ifIndex across agent
// restarts, VPP restarts and sw_if_index renumbering.
//
// Save writes atomically (a temporary file in the same directory, fsync,
// rename, fsync of the directory): a crash leaves the old file or the new
// one, never a torn one. Before replacing the file it keeps it beside as
// <file>.prev (a hard link), once it has read it back as good (a Store,
// saving the same file again and again, reads back only a file it did not
// write last). It refuses to write a map larger than Load reads, and
// streams the file out rather than build it in memory.
//
// Load never stops the agent: a missing file is the first start (every
// name then gets 1000 + sw_if_index, the Python agent's numbers); a corrupt
// or unreadable one is moved aside as <file>.corrupt-<unix time> and the
// previous copy is used, or an empty map if that is bad too; its report
// says what happened, for the caller to log.
//
// The format, one interface per line so that diffs stay readable; seen is
// when the name was last seen in VPP and at when a name was forgotten
// (unix seconds), and both are optional (files of agents that did not
// record them lack them):
//
//	{"version": 1, "interfaces": [
//	{"ifIndex":1001,"name":"TenGigabitEthernet3/0/0","seen":1795306109},
//	...
//	],
//	"forgotten": [
//	{"ifIndex":1300,"at":1795306109},
//	...
//	]}
package ifindexfile
