// Package agentx is an AgentX subagent (RFC 2741) that serves a Tree
// through a master agent such as net-snmp's snmpd. It knows nothing of VPP.
//
// The public API is small:
//
//	s, err := agentx.New(agentx.Config{Addr: "unix:/var/agentx/master", ID: ..., Subtrees: ...})
//	s.SetTree(tree)           // any time; swapped atomically, readers never lock
//	go s.Run(ctx)             // connect, Open, Register, serve; reconnect forever
//	s.Notify(ctx, varbinds)   // a trap through the master
//	s.Clock().Ticks(t)        // the master's sysUpTime at t
//
// ParseAddr parses the net-snmp address forms (unix:/path, /path,
// tcp:host:port, host:port) for configuration checks.
//
// # Codec
//
// Every PDU a subagent sends or receives is encoded and decoded, in both
// byte orders, with non-default contexts, every value type and the
// 1.3.6.1.<prefix> OID compression. Decoding goes through a cursor with a
// sticky error (reader), so no input can make it panic; n_subid is capped
// at 128, payload_length at 1 MiB before any allocation, and no count from
// the wire is trusted to preallocate (lists run to the end of the payload).
//
// # Dispatcher
//
// Get, GetNext and GetBulk are answered from the Tree loaded once per PDU,
// so every varbind of one request comes from one snapshot. A Get or GetNext
// gets exactly one varbind per SearchRange (snmpd batches several ranges,
// across registrations, in one PDU). GetNext honours include and the range
// end, answering endOfMibView named by the start when nothing precedes the
// end. GetBulk (never sent by snmpd) is built from GetNext, keeps no state
// per repeater and ends at the last varbind within 64 KiB, whatever the
// master's max-repetitions and number of ranges; a Get or GetNext answer
// that would pass 1 MiB is tooBig. TestSet is
// refused with notWritable naming the first varbind; CommitSet and UndoSet
// get noError; CleanupSet gets no Response (RFC 2741 7.2.4.4). Any other
// PDU from the master gets parseError; a PDU whose header cannot be framed
// closes the connection, which is then reopened. Responses echo the
// request's IDs and byte order.
//
// # Session and performance
//
// One goroutine, locked to its OS thread, owns a connection: it reads,
// answers and writes, and it also sends the session's own PDUs (Open,
// Register, Ping, Close and queued Notifies), so responses and
// notifications never interleave on the wire without any lock. The request
// path reads into a reused buffer, decodes in place, asks the Tree into a
// reused OID, encodes into a reused buffer and writes once: no allocation,
// lock, log or goroutine handoff per PDU. On Linux, unix sockets bypass the
// netpoller with blocking read(2)/write(2) on the socket (SO_RCVTIMEO bounds
// each read to 50 ms so that pings, Notifies and shutdown are handled);
// TCP uses a net.Conn. A PDU whose first bytes arrived must be complete
// within Config.Timeout, or the session closes (reason timeouts).
//
// # Reconnecting
//
// Run reconnects on any failure and registers every subtree again: with
// capped exponential backoff (100 ms to 1 s), and for a unix socket also as
// soon as the socket's path appears or is replaced, which it checks with
// stat(2) every 20 ms while the master is down (a restarted snmpd binds a
// new socket; the session is registered again within tens of milliseconds).
// A master that cannot be reached is never silent: the first failure is a
// warning naming the address, the error and what to check, and so is one
// at least every minute after; the attempts in between are debug lines,
// and the reconnection is one info line saying how long the master was
// away.
//
// Nothing but the tree is consulted on the request path: a tree whose data
// ages (counters) is refreshed by its owner and swapped in with SetTree.
//
// The master's sysUpTime, carried by each of its Responses, is kept as a
// Clock for ifLastChange and friends (RFC 2863).
package agentx
