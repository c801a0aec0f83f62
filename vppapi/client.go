package vppapi

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/apisocket"
	"go.fd.io/govpp/adapter"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/bond"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/lacp"
	"go.fd.io/govpp/binapi/lcp"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/binapi/vpe"
	"go.fd.io/govpp/core"
)

// ErrNotConnected is returned by requests while there is no API connection.
var ErrNotConnected = errors.New("not connected to VPP")

const (
	defaultRequestTimeout    = 5 * time.Second
	defaultReconnectInterval = time.Second
	firstBackoff             = 50 * time.Millisecond
	// A lost connection is seen at once (the socket ends); the ping only
	// finds a VPP that hangs with its socket open, and at 100,000
	// interfaces one a second was most of the requests the agent sent.
	defaultHealthInterval = 10 * time.Second
	defaultEventBuffer    = 1024
	// eventQueue is govpp's own buffer between its socket reader and us;
	// govpp drops notifications (with a warning) when it is full.
	eventQueue = 256
	// replyQueue is each request's govpp reply buffer. govpp's socket reader
	// waits only 100 ms for room and then DROPS the reply, so a large dump
	// needs slack for the moments this goroutine is descheduled.
	replyQueue = 2048
)

// Option configures a Client.
type Option func(*Client)

// WithLogger sets where the client logs (default: a new logrus logger on
// stderr).
func WithLogger(l logrus.FieldLogger) Option { return func(c *Client) { c.log = l } }

// WithRequestTimeout bounds every call to VPP: each Interfaces or Version
// call as a whole, the connection handshake and each health ping (default
// 5 s). A context deadline that is sooner wins.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.reqTimeout = d
		}
	}
}

// WithReconnectInterval caps the backoff between connection attempts while
// VPP is absent; the backoff starts at 50 ms and doubles up to this
// (default 1 s, so service resumes within about a second of VPP's return).
func WithReconnectInterval(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.maxBackoff = d
		}
	}
}

// WithEventBuffer sets how many events Events buffers before it coalesces
// into Resync (default 1024).
func WithEventBuffer(n int) Option {
	return func(c *Client) {
		if n > 0 {
			c.eventBuffer = n
		}
	}
}

// Client is a connection to VPP's binary API. Create it with New, start it
// with Run; Interfaces, Version and Events are safe for concurrent use.
type Client struct {
	socketPath     string
	log            logrus.FieldLogger
	reqTimeout     time.Duration
	maxBackoff     time.Duration
	healthInterval time.Duration
	eventBuffer    int
	// dial makes the govpp adapter of one connection attempt; tests replace
	// it with govpp's mock.
	dial func(path string, timeout time.Duration) adapter.VppAPI

	sess     atomic.Pointer[session]
	lastDump atomic.Int64 // interfaces in the last full dump: the next one's size
	conns    uint64       // connections made; Run's goroutine only
	running  atomic.Bool
	in       chan Event // from the sessions to forward
	out      chan Event // Events
	neigh    chan NeighborEvent
}

// New returns a Client for the API socket at socketPath (e.g.
// /run/vpp/api.sock). It does nothing until Run.
func New(socketPath string, opts ...Option) *Client {
	c := &Client{
		neigh:          make(chan NeighborEvent, neighborQueue),
		socketPath:     socketPath,
		reqTimeout:     defaultRequestTimeout,
		maxBackoff:     defaultReconnectInterval,
		healthInterval: defaultHealthInterval,
		eventBuffer:    defaultEventBuffer,
	}
	c.dial = c.dialSocket
	for _, o := range opts {
		o(c)
	}
	if c.log == nil {
		c.log = logrus.New()
	}
	c.log = c.log.WithField("vpp_api", socketPath)
	c.in = make(chan Event)
	c.out = make(chan Event, c.eventBuffer)
	return c
}

// dialSocket is the adapter of one connection attempt: apisocket rather
// than govpp's socketclient, whose reader trusts the frame lengths VPP sends.
func (c *Client) dialSocket(path string, timeout time.Duration) adapter.VppAPI {
	return apisocket.New(path, apisocket.WithClientName("vpp-snmp-agent"),
		apisocket.WithConnectTimeout(timeout), apisocket.WithLogger(c.log))
}

// Events delivers interface events and connection changes. The channel is
// closed when Run returns. A receiver that falls behind gets one Resync in
// place of the events it missed.
func (c *Client) Events() <-chan Event { return c.out }

// session is one live API connection and what the running VPP supports.
type session struct {
	id uint64 // Event.Conn of this connection
	// closed is closed when the adapter's connection ends (VPP closed the
	// socket, or sent a bad frame): the session ends at once rather than
	// at the next failed ping. nil for adapters that cannot say.
	closed  <-chan struct{}
	adapter adapter.VppAPI
	conn    *core.Connection
	ctx     context.Context // cancelled when the session ends
	cancel  context.CancelFunc
	version string
	// Optional features, by the message table of the running VPP.
	bond, lacp, lcp      bool
	addresses, neighbors bool
}

// Run connects to VPP and keeps the connection until ctx is done: it retries
// for ever while VPP is absent and reconnects when the connection is lost
// (found at once when the socket ends, else by a control_ping every 10 s). It returns nil once ctx is done,
// after closing Events; a connection attempt under way is not interrupted,
// so that can take up to the request timeout. Calling it twice is an error.
func (c *Client) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("vppapi: Run called twice")
	}
	fwdDone := make(chan struct{})
	go func() {
		forward(c.in, c.out)
		close(fwdDone)
	}()
	defer func() {
		close(c.in)
		<-fwdDone
	}()

	backoff := firstBackoff
	down := false // an outage is being reported: log it once, not every try
	for ctx.Err() == nil {
		s, w, err := c.connect(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if !down {
				c.log.WithError(err).Warn("VPP API not available; retrying")
				down = true
			} else {
				c.log.WithError(err).Debug("VPP API still not available")
			}
			if !sleep(ctx, backoff) {
				break
			}
			backoff = min(2*backoff, c.maxBackoff)
			continue
		}
		down, backoff = false, firstBackoff
		if err := c.serve(ctx, s, w); err != nil && ctx.Err() == nil {
			c.log.WithError(err).Warn("lost the VPP API connection; reconnecting")
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// connect makes one connection attempt and sets the session up: feature
// check, event subscription, version.
func (c *Client) connect(ctx context.Context) (*session, api.Watcher, error) {
	// core.Connect is one blocking attempt bounded by the adapter's connect
	// timeout; govpp's AsyncConnect would give up after a fixed number of
	// attempts and cannot be cancelled while it waits for the socket.
	vpp := c.dial(c.socketPath, c.reqTimeout)
	conn, err := core.Connect(vpp)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting: %w", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	s := &session{conn: conn, ctx: sctx, cancel: cancel, adapter: vpp}
	if d, ok := vpp.(interface{ Done() <-chan struct{} }); ok {
		s.closed = d.Done()
		// Requests in flight (a ping, a dump) fail at once rather than at
		// their timeout: their replies can no longer come.
		go func() {
			select {
			case <-s.closed:
				cancel()
			case <-sctx.Done():
			}
		}()
	}
	ok := false
	defer func() {
		if !ok {
			cancel()
			conn.Disconnect()
		}
	}()

	if err := c.checkCompatibility(s); err != nil {
		return nil, nil, err
	}
	// Subscribe before enabling, so no event falls in between.
	w, err := conn.WatchEventWithOptions(sctx, &interfaces.SwInterfaceEvent{},
		core.WithEventBufferSize(eventQueue), core.WithNotifBufferSize(eventQueue))
	if err != nil {
		return nil, nil, fmt.Errorf("watching sw_interface_event: %w", err)
	}
	rctx, rcancel := s.requestContext(ctx, c.reqTimeout)
	defer rcancel()
	reply := &interfaces.WantInterfaceEventsReply{}
	err = conn.Invoke(rctx, &interfaces.WantInterfaceEvents{EnableDisable: 1, PID: uint32(os.Getpid())}, reply)
	if err == nil {
		err = api.RetvalToVPPApiError(reply.Retval)
	}
	if err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("enabling interface events: %w", err)
	}
	if s.version, err = showVersion(rctx, conn); err != nil {
		w.Close()
		return nil, nil, err
	}
	if err := c.watchNeighbors(rctx, s); err != nil {
		// the periodic neighbour dump still serves them, later
		c.log.WithError(err).Warn("no neighbour events from VPP; neighbours are seen at the next dump")
	}
	ok = true
	return s, w, nil
}

// required are the messages without which the client cannot work.
var required = []api.Message{
	&interfaces.SwInterfaceDump{}, &interfaces.SwInterfaceDetails{},
	&interfaces.WantInterfaceEvents{}, &interfaces.WantInterfaceEventsReply{},
	&interfaces.SwInterfaceEvent{},
	&memclnt.ControlPing{}, &memclnt.ControlPingReply{},
	&vpe.ShowVersion{}, &vpe.ShowVersionReply{},
}

// feature is an optional part of the data and the messages it needs.
type feature struct {
	msgs    []api.Message
	without string // what is not reported without it
	set     func(*session)
}

var features = []feature{
	{
		msgs: []api.Message{&bond.SwBondInterfaceDump{}, &bond.SwBondInterfaceDetails{},
			&bond.SwMemberInterfaceDump{}, &bond.SwMemberInterfaceDetails{}},
		without: "bond members",
		set:     func(s *session) { s.bond = true },
	},
	{
		msgs:    []api.Message{&lacp.SwInterfaceLacpDump{}, &lacp.SwInterfaceLacpDetails{}},
		without: "LACP member state (members count as active when admin and link up)",
		set:     func(s *session) { s.lacp = true },
	},
	{
		msgs:    []api.Message{&lcp.LcpItfPairGet{}, &lcp.LcpItfPairGetReply{}, &lcp.LcpItfPairDetails{}},
		without: "linux-cp host interfaces",
		set:     func(s *session) { s.lcp = true },
	},
}

// checkCompatibility finds which messages the running VPP has (by name and
// CRC, from its message table), fails when a required one is missing and
// logs one line naming the optional ones it lacks and what is therefore not
// reported.
func (c *Client) checkCompatibility(s *session) error {
	ch, err := s.conn.NewAPIChannel()
	if err != nil {
		return fmt.Errorf("opening an API channel: %w", err)
	}
	defer ch.Close()
	missing := func(msgs []api.Message) ([]string, error) {
		err := ch.CheckCompatiblity(msgs...)
		var ce *api.CompatibilityError
		switch {
		case err == nil:
			return nil, nil
		case errors.As(err, &ce):
			return ce.IncompatibleMessages, nil
		}
		return nil, fmt.Errorf("checking message compatibility: %w", err)
	}
	lack, err := missing(required)
	if err != nil {
		return err
	}
	if len(lack) > 0 {
		return fmt.Errorf("VPP lacks messages this agent needs: %s", strings.Join(lack, ", "))
	}
	var lacking, notReported []string
	for _, f := range features {
		lack, err := missing(f.msgs)
		if err != nil {
			return err
		}
		if len(lack) == 0 {
			f.set(s)
			continue
		}
		lacking = append(lacking, lack...)
		notReported = append(notReported, f.without)
	}
	if len(lacking) > 0 {
		c.log.Warnf("VPP lacks %s; not reporting: %s",
			strings.Join(lacking, ", "), strings.Join(notReported, "; "))
	}
	return nil
}

// serve runs one session: it forwards events, pings VPP and returns when the
// ping fails or ctx is done, after tearing the session down.
func (c *Client) serve(ctx context.Context, s *session, w api.Watcher) error {
	c.conns++
	s.id = c.conns
	c.sess.Store(s)
	// Connected goes before any event of this connection, so the receiver
	// never applies an event to what it learnt from the previous one.
	c.in <- Event{Kind: Connected, Conn: s.id}
	pumpDone := make(chan struct{})
	go func() {
		defer close(pumpDone)
		for m := range w.Events() {
			if e, ok := m.(*interfaces.SwInterfaceEvent); ok {
				c.in <- eventFrom(e, s.id)
			}
		}
	}()
	c.log.WithField("version", s.version).Info("connected to VPP")

	var err error
	t := time.NewTicker(c.healthInterval)
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-t.C:
			if err = c.ping(ctx, s); err != nil {
				break loop
			}
		case <-s.closed:
			err = errors.New("the API connection ended")
			if e, ok := s.adapter.(interface{ Err() error }); ok && e.Err() != nil {
				err = fmt.Errorf("the API connection ended: %w", e.Err())
			}
			break loop
		}
	}
	t.Stop()
	c.sess.CompareAndSwap(s, nil)
	s.cancel() // ends the watcher (so the pump) and in-flight requests
	<-pumpDone
	s.conn.Disconnect()
	if ctx.Err() == nil {
		c.in <- Event{Kind: Disconnected, Conn: s.id}
	}
	return err
}

func (c *Client) ping(ctx context.Context, s *session) error {
	// The ping waits behind whatever VPP is sending us (a full dump of
	// 100,000 interfaces takes seconds on a busy machine), so it gets the
	// whole request timeout; a closed socket is seen at once anyway, from
	// the adapter (session.closed).
	rctx, cancel := s.requestContext(ctx, c.reqTimeout)
	defer cancel()
	if err := s.conn.Invoke(rctx, &memclnt.ControlPing{}, &memclnt.ControlPingReply{}); err != nil {
		return fmt.Errorf("pinging VPP: %w", err)
	}
	return nil
}

// requestContext bounds one call: by the caller's ctx, by timeout and by the
// session's life (a request on a torn-down connection would otherwise wait
// for a reply that can never come).
func (s *session) requestContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	stop := context.AfterFunc(s.ctx, cancel)
	return rctx, func() {
		stop()
		cancel()
	}
}
