package agentx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// ProbeResult is what the master answered to Probe, step by step. Fields of
// steps the probe did not reach are zero.
type ProbeResult struct {
	// Connected says the connection to Config.Addr was made.
	Connected bool
	// Opened says the master accepted the Open; OpenError is its refusal.
	Opened    bool
	OpenError ErrorStatus
	SessionID uint32
	// Registrations has the master's answer to each Config.Subtrees, in
	// order, once the session is open.
	Registrations []Registration
	// Closed says the master acknowledged the Close.
	Closed bool
}

// Registration is the master's answer to one Register.
type Registration struct {
	Subtree  OID
	Priority uint8
	// Error is NoError when the master accepted the registration;
	// DuplicateRegistration when another session holds the subtree at the
	// same priority.
	Error ErrorStatus
	// Detail is what the Response carried beyond the echo of the subtree
	// (a Null named by it): a master may name the holder of a duplicate
	// there. snmpd names nothing.
	Detail []Varbind
}

// OK says whether the session was opened and every subtree registered,
// which is what a Session needs to serve.
func (r ProbeResult) OK() bool {
	if !r.Opened {
		return false
	}
	for _, g := range r.Registrations {
		if g.Error != NoError {
			return false
		}
	}
	return true
}

// ErrNoResponse is wrapped by Probe's error when the master did not answer
// one of the probe's PDUs in time.
var ErrNoResponse = errors.New("no Response from the master")

// Probe does once what a Session does on each connection, and reports each
// step instead of retrying: it connects to cfg.Addr, opens a session,
// registers every subtree of cfg (all of them, even after a refusal, to
// report each), then closes the session (reason shutdown) and the
// connection. It is for configuration checks: the master briefly holds the
// registrations, and requests that reach the probe meanwhile are answered
// as an empty tree would.
//
// Each PDU waits for its Response up to cfg.Timeout (default 5 s), and the
// whole probe is bounded by ctx. The error is non-nil when the probe could
// not complete (no connection, no Response, the master closed the session);
// the master's refusals are in the result, not errors.
func Probe(ctx context.Context, cfg Config) (ProbeResult, error) {
	var res ProbeResult
	s, err := New(cfg)
	if err != nil {
		return res, err
	}
	t, err := s.dial()
	if err != nil {
		return res, err
	}
	res.Connected = true
	defer t.close()
	// A fresh, never-set tree: the dispatcher answers from emptyTree.
	var tree atomic.Pointer[treeRef]
	p := &prober{s: s, t: t, d: newDispatcher(&tree, s.cfg.Context), rbuf: make([]byte, 0, 4096)}

	open := p.pdu(pduOpen)
	open.timeout = uint8(s.cfg.Timeout / time.Second)
	open.id = s.cfg.ID
	open.descr = []byte(s.cfg.Description)
	r, err := p.call(ctx, open)
	if err != nil {
		return res, fmt.Errorf("opening a session: %w", err)
	}
	if r.resError != NoError {
		res.OpenError = r.resError
		return res, nil
	}
	res.Opened, res.SessionID = true, r.sessionID
	p.sessionID = r.sessionID

	for _, st := range s.cfg.Subtrees {
		reg := p.pdu(pduRegister)
		reg.priority = s.cfg.Priority
		reg.subtree = st
		r, err := p.call(ctx, reg)
		if err != nil {
			p.closeQuietly()
			return res, fmt.Errorf("registering %v at priority %d: %w", st, s.cfg.Priority, err)
		}
		res.Registrations = append(res.Registrations, Registration{
			Subtree: st, Priority: s.cfg.Priority, Error: r.resError, Detail: registerDetail(st, r.varbinds),
		})
	}

	cl := p.pdu(pduClose)
	cl.reason = reasonShutdown
	// A master that does not answer a Close still drops the session with
	// the connection; do not wait long for it.
	cctx, cancel := context.WithTimeout(ctx, min(s.cfg.Timeout, time.Second))
	defer cancel()
	if _, err := p.call(cctx, cl); err != nil {
		return res, fmt.Errorf("closing the session: %w", err)
	}
	res.Closed = true
	return res, nil
}

// registerDetail drops the varbind that merely echoes the subtree.
func registerDetail(subtree OID, vbs []Varbind) []Varbind {
	var out []Varbind
	for _, vb := range vbs {
		if vb.Value.Type == TypeNull && vb.Name.Compare(subtree) == 0 {
			continue
		}
		out = append(out, vb)
	}
	return out
}

// prober is the one connection of a Probe: each of its PDUs waits for its
// Response before the next is sent, which keeps the attribution of every
// answer plain. It is not on any hot path.
type prober struct {
	s         *Session
	t         transport
	d         *dispatcher
	sessionID uint32
	packetID  uint32
	rbuf      []byte
	out       []byte
}

func (p *prober) pdu(typ pduType) *pdu {
	q := &pdu{header: header{version: 1, typ: typ, sessionID: p.sessionID}}
	if p.s.opts.big {
		q.flags |= flagNetworkByteOrder
	}
	if p.s.cfg.Context != "" && typ.hasContext() {
		q.flags |= flagNonDefaultContext
		q.context = []byte(p.s.cfg.Context)
	}
	return q
}

// call sends q and returns the master's Response to it, answering any
// request of the master's that comes first.
func (p *prober) call(ctx context.Context, q *pdu) (*pdu, error) {
	p.packetID++
	q.packetID = p.packetID
	if err := p.t.write(q.appendTo(nil)); err != nil {
		return nil, fmt.Errorf("sending %v: %w", q.typ, err)
	}
	deadline := time.Now().Add(p.s.cfg.Timeout)
	for {
		r, err := p.next(ctx, deadline)
		if err != nil {
			return nil, fmt.Errorf("waiting for the Response to %v: %w", q.typ, err)
		}
		if r.packetID == q.packetID {
			return r, nil
		}
	}
}

// next returns the next Response from the master.
func (p *prober) next(ctx context.Context, deadline time.Time) (*pdu, error) {
	for {
		if len(p.rbuf) >= headerLen {
			h := parseHeader(p.rbuf)
			if err := h.check(); err != nil {
				return nil, fmt.Errorf("framing a PDU from the master: %w", err)
			}
			if n := headerLen + int(h.payloadLen); len(p.rbuf) >= n {
				b := p.rbuf[:n]
				r, err := p.handle(h, b)
				p.rbuf = append(p.rbuf[:0], p.rbuf[n:]...)
				if err != nil || r != nil {
					return r, err
				}
				continue
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w within %v", ErrNoResponse, p.s.cfg.Timeout)
		}
		if len(p.rbuf) == cap(p.rbuf) {
			p.rbuf = append(p.rbuf, make([]byte, cap(p.rbuf))...)[:len(p.rbuf)]
		}
		n, err := p.t.read(p.rbuf[len(p.rbuf):cap(p.rbuf)])
		if err == errTimeout {
			continue
		}
		if err != nil {
			return nil, err
		}
		p.rbuf = p.rbuf[:len(p.rbuf)+n]
	}
}

// handle returns a Response, or answers a request of the master's (nil,
// nil), or fails on the master's Close.
func (p *prober) handle(h header, b []byte) (*pdu, error) {
	switch h.typ {
	case pduResponse:
		// Decoded octet strings point into their input, and b is the read
		// buffer, which the next read overwrites.
		r, err := decodePDU(bytes.Clone(b))
		if err != nil {
			return nil, fmt.Errorf("decoding the master's Response: %w", err)
		}
		return r, nil
	case pduClose:
		reason := closeReason(0)
		if len(b) > headerLen {
			reason = closeReason(b[headerLen])
		}
		return nil, fmt.Errorf("%w (reason %v)", errMasterClosed, reason)
	}
	resp, ok := p.d.answerFramed(h, b, p.out[:0])
	p.out = resp[:0]
	if !ok {
		return nil, nil
	}
	if err := p.t.write(resp); err != nil {
		return nil, fmt.Errorf("answering the master: %w", err)
	}
	return nil, nil
}

// closeQuietly tells the master the probe is leaving, best effort, when
// it stops half-way.
func (p *prober) closeQuietly() {
	cl := p.pdu(pduClose)
	cl.reason = reasonShutdown
	p.packetID++
	cl.packetID = p.packetID
	_ = p.t.write(cl.appendTo(nil))
}
