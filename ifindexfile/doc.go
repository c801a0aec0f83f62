// Package ifindexfile keeps the persistent ifIndex map (mib.Indexes) in a
// small JSON file, so that every interface keeps its ifIndex across agent
// restarts, VPP restarts and sw_if_index renumbering.
//
// Save writes atomically (a temporary file in the same directory, fsync,
// rename, fsync of the directory): a crash leaves the old file or the new
// one, never a torn one. Load treats a missing file as an empty map (the
// first start: every name then gets 1000 + sw_if_index, the Python agent's
// numbers) and a corrupt one as an error that names the file.
//
// The format, one interface per line so that diffs stay readable:
//
//	{"version": 1, "interfaces": [
//	{"ifIndex": 1001, "name": "TenGigabitEthernet3/0/0"},
//	...
//	]}
package ifindexfile
