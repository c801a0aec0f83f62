// Package poller joins what VPP says of its interfaces (details and events
// from the binary API, counters from the stats segment) into IF-MIB
// snapshots, publishes each one whole, keeps the counters served fresh, and
// hands every oper state change on for linkUp/linkDown.
//
// Snapshots are built by one producer at a time; readers take whichever
// snapshot was published last and never lock.
package poller
