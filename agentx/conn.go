package agentx

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"
)

var (
	errShutdown        = errors.New("session closed on shutdown")
	errRegisterRefused = errors.New("master refused registration")
	errConnLost        = errors.New("AgentX connection lost before the master answered")
	errMasterClosed    = errors.New("master closed the session")
)

// callKind is what a PDU of ours was, to act on its Response.
type callKind uint8

const (
	callOpen callKind = iota
	callRegister
	callPing
	callClose
	callNotify
)

func (k callKind) String() string {
	return [...]string{"Open", "Register", "Ping", "Close", "Notify"}[k]
}

// call is a PDU of ours awaiting the master's Response.
type call struct {
	kind     callKind
	b        []byte // the encoded PDU; session and packet IDs set when sent
	subtree  OID    // Register
	deadline time.Time
	done     chan callResult // Notify: the caller waits on it
}

type callResult struct {
	p   *pdu
	err error
}

// conn is one connection to the master, owned by one goroutine: it reads,
// answers requests, sends our own PDUs and matches their Responses. Only
// outbox, done and the transport's wake are touched by other goroutines.
type conn struct {
	s *Session
	t transport
	d *dispatcher

	rbuf   []byte // read buffer: unprocessed bytes are rbuf[rs:re]
	rs, re int
	out    []byte // response buffer, reused

	sessionID uint32
	packetID  uint32
	waiting   map[uint32]*call
	outbox    chan *call
	done      chan struct{}

	opened, registered, closing bool
	regsLeft                    int
	nextPing                    time.Time
	reads                       int
	lastYield                   time.Time // see yield
	partialSince                time.Time // when the incomplete PDU in rbuf began to arrive
}

const (
	initialBuffer = 64 << 10
	// outBuffer holds a full GetBulk answer and the varbind that overflows
	// it, so that answering one allocates nothing. A bigger response
	// buffer (a Get answer of up to maxResponse) is dropped after use.
	outBuffer = maxBulkResponse + 4<<10
	// idleEvery makes a busy connection do its periodic work (ping,
	// timeouts, shutdown) every so many reads as well.
	idleEvery = 1024
	// yieldEvery and yieldAfter pace conn.yield: a clock read every 32
	// reads, a Gosched when 2 ms have passed since the last.
	yieldEvery = 32
	yieldAfter = 2 * time.Millisecond
)

func newConn(s *Session, t transport) *conn {
	return &conn{
		s:       s,
		t:       t,
		d:       newDispatcher(&s.tree, s.cfg.Context),
		rbuf:    make([]byte, initialBuffer),
		out:     make([]byte, 0, outBuffer),
		waiting: make(map[uint32]*call),
		outbox:  make(chan *call, 64),
		done:    make(chan struct{}),
	}
}

func (c *conn) loop(ctx context.Context) error {
	if err := c.send(c.openCall()); err != nil {
		return err
	}
	for {
		n, err := c.t.read(c.rbuf[c.re:])
		if err == errTimeout {
			if err := c.idle(ctx); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		c.re += n
		if err := c.frames(); err != nil {
			return err
		}
		if len(c.outbox) > 0 {
			if err := c.flushOutbox(); err != nil {
				return err
			}
		}
		c.reads++
		if c.reads%yieldEvery == 0 {
			c.yield()
		}
		if c.reads >= idleEvery {
			if err := c.idle(ctx); err != nil {
				return err
			}
		}
	}
}

// frames handles every complete PDU in the read buffer. Framing is exact:
// the header's payload_length says where the next PDU starts.
func (c *conn) frames() error {
	handled := false
	for c.re-c.rs >= headerLen {
		h := parseHeader(c.rbuf[c.rs:c.re])
		if err := h.check(); err != nil {
			// Past a bad header nothing can be framed: give up the
			// connection (and reconnect) rather than guess.
			c.writeClose(reasonParseError)
			return fmt.Errorf("framing a PDU from the master: %w", err)
		}
		total := headerLen + int(h.payloadLen)
		if c.re-c.rs < total {
			if total > len(c.rbuf) {
				nb := make([]byte, total)
				copy(nb, c.rbuf[c.rs:c.re])
				c.rbuf, c.re, c.rs = nb, c.re-c.rs, 0
			}
			break
		}
		p := c.rbuf[c.rs : c.rs+total]
		c.rs += total
		handled = true
		if err := c.handle(h, p); err != nil {
			return err
		}
	}
	if c.rs == c.re {
		c.rs, c.re = 0, 0
		if len(c.rbuf) > initialBuffer {
			// A PDU bigger than usual grew the buffer: let it go.
			c.rbuf = make([]byte, initialBuffer)
		}
		if !c.partialSince.IsZero() {
			c.partialSince = time.Time{}
		}
		return nil
	}
	if c.rs > 0 {
		c.re = copy(c.rbuf, c.rbuf[c.rs:c.re])
		c.rs = 0
	}
	// Part of a PDU waits for the rest, for at most Timeout (checked here
	// for a master that trickles, and by idle for one that went quiet).
	now := time.Now()
	if handled || c.partialSince.IsZero() {
		c.partialSince = now
	} else if now.Sub(c.partialSince) >= c.s.cfg.Timeout {
		return c.stalled()
	}
	return nil
}

// stalled ends a connection whose master stopped in the middle of a PDU:
// nothing after it can be framed, so leave at once rather than when a ping
// goes unanswered.
func (c *conn) stalled() error {
	c.writeClose(reasonTimeouts)
	return fmt.Errorf("master sent %d bytes of a PDU and not the rest within %v", c.re-c.rs, c.s.cfg.Timeout)
}

// handle answers one framed PDU. The request path (Get, GetNext) does one
// dispatch and one write, with no allocation, lock or log.
func (c *conn) handle(h header, p []byte) error {
	switch h.typ {
	case pduResponse:
		return c.onResponse(p)
	case pduClose:
		reason := closeReason(0)
		if len(p) > headerLen {
			reason = closeReason(p[headerLen])
		}
		return fmt.Errorf("%w (reason %v)", errMasterClosed, reason)
	}
	var start time.Time
	if c.s.cfg.Observer != nil {
		start = time.Now()
	}
	resp, ok := c.d.answerFramed(h, p, c.out[:0])
	c.out = resp[:0]
	if cap(resp) > outBuffer {
		// Only a Get or GetNext of very many ranges gets here: do not
		// keep up to maxResponse for the rest of the session.
		c.out = make([]byte, 0, outBuffer)
	}
	if !ok {
		return nil
	}
	if err := c.t.write(resp); err != nil {
		return fmt.Errorf("answering the master: %w", err)
	}
	if o := c.s.cfg.Observer; o != nil {
		o.Answered(h.typ.String(), time.Since(start))
	}
	return nil
}

func (c *conn) onResponse(b []byte) error {
	now := time.Now()
	p, err := decodePDU(b)
	if err != nil {
		// Unmatched, it can only be dropped (RFC 2741 7.2.2).
		c.s.log.WithError(err).Warn("dropping a malformed Response from the master")
		return nil
	}
	c.s.clock.update(now, p.sysUpTime)
	cl := c.waiting[p.packetID]
	if cl == nil {
		return nil // late: its caller gave up
	}
	delete(c.waiting, p.packetID)
	switch cl.kind {
	case callOpen:
		if p.resError != NoError {
			return fmt.Errorf("master refused Open: %v", p.resError)
		}
		c.sessionID, c.opened = p.sessionID, true
		c.regsLeft = len(c.s.cfg.Subtrees)
		for _, st := range c.s.cfg.Subtrees {
			if err := c.send(c.registerCall(st)); err != nil {
				return err
			}
		}
		if c.regsLeft == 0 {
			c.setRegistered()
		}
	case callRegister:
		if p.resError != NoError {
			return fmt.Errorf("%w of %v at priority %d: %v", errRegisterRefused, cl.subtree, c.s.cfg.Priority, p.resError)
		}
		if c.regsLeft--; c.regsLeft == 0 {
			c.setRegistered()
		}
	case callPing:
		if p.resError != NoError {
			return fmt.Errorf("master answered Ping with %v", p.resError)
		}
	case callClose:
		return errShutdown
	case callNotify:
		cl.done <- callResult{p: p}
	}
	return nil
}

func (c *conn) setRegistered() {
	now := time.Now()
	c.registered = true
	c.nextPing = now.Add(c.s.cfg.PingInterval)
	c.s.cur.Store(c)
	entry := c.s.log.WithFields(map[string]any{"session_id": c.sessionID, "subtrees": len(c.s.cfg.Subtrees)})
	switch d := c.s.down; {
	case d.wasUp:
		entry.WithFields(map[string]any{"down_for": now.Sub(d.since).Round(time.Millisecond), "attempts": d.failures + 1}).
			Info("AgentX session registered again")
	case d.failures > 0:
		entry.WithFields(map[string]any{"waited": now.Sub(d.since).Round(time.Millisecond), "attempts": d.failures + 1}).
			Info("AgentX session registered")
	default:
		entry.Info("AgentX session registered")
	}
	if o := c.s.cfg.Observer; o != nil {
		o.Registered()
	}
	if c.s.opts.onConn != nil {
		c.s.opts.onConn()
	}
}

// yield lets the scheduler see this goroutine move now and then. A loop
// that only ever blocks in read(2) is never rescheduled, so after 10 ms the
// runtime's sysmon takes it for a long-running goroutine and polls every
// 20 µs, a nanosleep per PDU or so (measured by make bench: 0.21 nanosleeps
// and 18.9 µs of CPU per PDU before, 0.01 and 14.1 µs after).
func (c *conn) yield() {
	if now := time.Now(); now.Sub(c.lastYield) >= yieldAfter {
		c.lastYield = now
		runtime.Gosched()
	}
}

// idle does the periodic work: shutdown, Response timeouts, pings and
// queued Notifies.
func (c *conn) idle(ctx context.Context) error {
	c.reads = 0
	now := time.Now()
	if ctx.Err() != nil && !c.closing {
		if !c.opened {
			return errShutdown
		}
		c.closing = true
		c.s.cur.CompareAndSwap(c, nil)
		cl := c.closeCall(reasonShutdown)
		if err := c.send(cl); err != nil {
			return errShutdown
		}
		// Do not hold shutdown for long on a master that does not answer.
		cl.deadline = now.Add(min(c.s.cfg.Timeout, time.Second))
	}
	if !c.partialSince.IsZero() && now.Sub(c.partialSince) >= c.s.cfg.Timeout {
		return c.stalled()
	}
	for id, cl := range c.waiting {
		if now.Before(cl.deadline) {
			continue
		}
		delete(c.waiting, id)
		switch cl.kind {
		case callClose:
			return errShutdown
		case callNotify:
			cl.done <- callResult{err: fmt.Errorf("no Response to Notify within %v", c.s.cfg.Timeout)}
		default:
			return fmt.Errorf("no Response to %v within %v", cl.kind, c.s.cfg.Timeout)
		}
	}
	if c.registered && !c.closing && c.s.cfg.PingInterval > 0 && !now.Before(c.nextPing) {
		c.nextPing = now.Add(c.s.cfg.PingInterval)
		if err := c.send(c.pingCall()); err != nil {
			return err
		}
	}
	return c.flushOutbox()
}

// flushOutbox sends the PDUs other goroutines queued (Notify).
func (c *conn) flushOutbox() error {
	for {
		select {
		case cl := <-c.outbox:
			if !c.registered || c.closing {
				cl.done <- callResult{err: ErrNotConnected}
				continue
			}
			if err := c.send(cl); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

// send numbers a PDU of ours, remembers it until its Response and writes it.
func (c *conn) send(cl *call) error {
	c.packetID++
	putIDs(cl.b, c.sessionID, c.packetID)
	cl.deadline = time.Now().Add(c.s.cfg.Timeout)
	c.waiting[c.packetID] = cl
	if err := c.t.write(cl.b); err != nil {
		return fmt.Errorf("sending %v: %w", cl.kind, err)
	}
	return nil
}

// writeClose tells the master why we are leaving, best effort.
func (c *conn) writeClose(r closeReason) {
	if c.opened {
		cl := c.closeCall(r)
		c.packetID++
		putIDs(cl.b, c.sessionID, c.packetID)
		c.t.write(cl.b)
	}
}

// shut fails everything still waiting on this connection.
func (c *conn) shut() {
	c.s.cur.CompareAndSwap(c, nil)
	close(c.done)
	for id, cl := range c.waiting {
		delete(c.waiting, id)
		if cl.done != nil {
			cl.done <- callResult{err: errConnLost}
		}
	}
	for {
		select {
		case cl := <-c.outbox:
			cl.done <- callResult{err: ErrNotConnected}
		default:
			return
		}
	}
}

func (c *conn) newPDU(typ pduType) *pdu {
	p := &pdu{header: header{version: 1, typ: typ}}
	if c.s.opts.big {
		p.flags |= flagNetworkByteOrder
	}
	if c.s.cfg.Context != "" && typ.hasContext() {
		p.flags |= flagNonDefaultContext
		p.context = []byte(c.s.cfg.Context)
	}
	return p
}

func (c *conn) openCall() *call {
	p := c.newPDU(pduOpen)
	p.timeout = uint8(c.s.cfg.Timeout / time.Second)
	p.id = c.s.cfg.ID
	p.descr = []byte(c.s.cfg.Description)
	return &call{kind: callOpen, b: p.appendTo(nil)}
}

func (c *conn) registerCall(subtree OID) *call {
	p := c.newPDU(pduRegister)
	p.priority = c.s.cfg.Priority
	p.subtree = subtree
	return &call{kind: callRegister, b: p.appendTo(nil), subtree: subtree}
}

func (c *conn) pingCall() *call {
	return &call{kind: callPing, b: c.newPDU(pduPing).appendTo(nil)}
}

func (c *conn) closeCall(r closeReason) *call {
	p := c.newPDU(pduClose)
	p.reason = r
	return &call{kind: callClose, b: p.appendTo(nil)}
}
