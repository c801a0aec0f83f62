package agentx

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
)

// ErrNotConnected is returned by Notify while no session is registered with
// the master.
var ErrNotConnected = errors.New("no AgentX session registered with the master")

// Config configures a Session. The zero value of every field but Subtrees
// has a sane default.
type Config struct {
	// Addr is the master's AgentX address: "unix:/path", "/path",
	// "tcp:host:port" or "host:port" (see ParseAddr). Default
	// unix:/var/agentx/master.
	Addr string
	// ID and Description identify the subagent in its Open (o.id, o.descr).
	ID          OID
	Description string
	// Timeout is the Open's o.timeout (whole seconds, 1..255) and how long
	// the session waits for the master's Response to its own PDUs and for a
	// connect. Default 5 s.
	Timeout time.Duration
	// Priority of every registration, lower wins; default 100, below
	// snmpd's own 127 so that identical subtrees are ours. 0 means the
	// default.
	Priority uint8
	// Subtrees are registered exactly, each with its own Register PDU. With
	// snmpd, register each object as specifically as snmpd's own modules
	// do: the most specific registration wins before priority.
	Subtrees []OID
	// Context is the non-default SNMP context to register in; empty for
	// the default context.
	Context string
	// PingInterval is how often an idle session pings the master (a dead
	// master is noticed, and the Clock refreshed). Default 15 s; negative
	// disables.
	PingInterval time.Duration
	// BackoffMin and BackoffMax bound the capped exponential backoff
	// between connection attempts. Defaults 100 ms and 2 s, so that a
	// restarted master is served again within 3 s.
	BackoffMin, BackoffMax time.Duration
	// BeforeRequest, when set, runs once before each Get, GetNext or
	// GetBulk is answered, before the tree is loaded: a tree whose data
	// ages (counters) refreshes it here. It runs on the request path, so it
	// must be cheap when there is nothing to do.
	BeforeRequest func()
	// Logger gets session events (connected, lost, refused); never one line
	// per request. Default: discard.
	Logger logrus.FieldLogger
}

// Option adjusts a Session beyond its Config.
type Option func(*options)

type options struct {
	big    bool          // our PDUs in network byte order
	netIO  bool          // use net.Conn even for unix sockets
	poll   time.Duration // read poll interval
	onConn func()        // test hook: a connection registered
}

// WithByteOrder sets the byte order of the session's PDUs (the master then
// sends its requests in that order too). Default binary.BigEndian, the
// network byte order.
func WithByteOrder(o binary.ByteOrder) Option {
	return func(op *options) { op.big = o == binary.ByteOrder(binary.BigEndian) }
}

// withNetConn makes unix sockets use the net.Conn path (for comparison in
// benchmarks).
func withNetConn() Option { return func(op *options) { op.netIO = true } }

// Session is one AgentX subagent session with its reconnect loop. It serves
// the Tree given to SetTree. Its methods are safe for concurrent use.
type Session struct {
	cfg     Config
	network string
	address string
	opts    options
	log     logrus.FieldLogger

	tree  atomic.Pointer[treeRef]
	clock *masterClock
	cur   atomic.Pointer[conn] // the registered connection, nil when none
}

// New validates cfg and returns a Session ready to Run.
func New(cfg Config, opts ...Option) (*Session, error) {
	network, address, err := ParseAddr(cfg.Addr)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Timeout < time.Second || cfg.Timeout > 255*time.Second {
		return nil, fmt.Errorf("AgentX timeout %v: must be between 1s and 255s", cfg.Timeout)
	}
	if cfg.Priority == 0 {
		cfg.Priority = 100
	}
	if cfg.PingInterval == 0 {
		cfg.PingInterval = 15 * time.Second
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = 100 * time.Millisecond
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 2 * time.Second
	}
	if cfg.BackoffMax < cfg.BackoffMin {
		return nil, fmt.Errorf("AgentX backoff: max %v below min %v", cfg.BackoffMax, cfg.BackoffMin)
	}
	if !encodable(cfg.ID) {
		return nil, fmt.Errorf("AgentX ID %v: too long", cfg.ID)
	}
	for _, st := range cfg.Subtrees {
		if len(st) == 0 || !encodable(st) {
			return nil, fmt.Errorf("AgentX subtree %v: empty or too long", st)
		}
	}
	if cfg.Logger == nil {
		l := logrus.New()
		l.Out = io.Discard
		cfg.Logger = l
	}
	s := &Session{
		cfg: cfg, network: network, address: address,
		opts:  options{big: true, poll: 50 * time.Millisecond},
		log:   cfg.Logger.WithField("agentx", cfg.Addr),
		clock: newMasterClock(),
	}
	for _, o := range opts {
		o(&s.opts)
	}
	return s, nil
}

// encodable says whether an OID fits an AgentX OID field.
func encodable(o OID) bool {
	if len(o) >= 5 && o[0] == 1 && o[1] == 3 && o[2] == 6 && o[3] == 1 && o[4] > 0 && o[4] < 256 {
		return len(o)-5 <= maxSubIDs
	}
	return len(o) <= maxSubIDs
}

// SetTree makes t the tree that answers from the next request on. Each
// request is answered entirely from the tree current when it arrived.
func (s *Session) SetTree(t Tree) { s.tree.Store(&treeRef{t: t}) }

// Clock is the master's sysUpTime, learned from its Responses.
func (s *Session) Clock() Clock { return s.clock }

// Connected reports whether a session is open and all its subtrees are
// registered.
func (s *Session) Connected() bool { return s.cur.Load() != nil }

// Run connects, opens the session, registers every subtree and serves the
// master's requests until ctx is done; then it closes the session (reason
// shutdown) and returns nil. Whenever the connection fails or the master
// closes it, Run reconnects with capped exponential backoff and registers
// everything again.
func (s *Session) Run(ctx context.Context) error {
	backoff := s.cfg.BackoffMin
	failures := 0
	wasUp := false // the last session registered: its end is news
	for {
		t, err := s.dial()
		if err == nil {
			var registered bool
			registered, err = s.serve(ctx, t)
			t.close()
			if ctx.Err() != nil {
				return nil
			}
			if registered {
				backoff, failures, wasUp = s.cfg.BackoffMin, 0, true
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		failures++
		entry := s.log.WithError(err).WithField("retry_in", backoff)
		switch {
		case failures == 1 && wasUp:
			entry.Warn("AgentX session ended; reconnecting")
		case failures == 1:
			entry.Warn("AgentX master not reachable; retrying")
		default:
			entry.Debug("AgentX connection attempt failed")
		}
		wasUp = false
		timer := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
		backoff = min(2*backoff, s.cfg.BackoffMax)
	}
}

func (s *Session) dial() (transport, error) {
	if s.network == "unix" && rawAvailable && !s.opts.netIO {
		return dialRaw(s.address, s.cfg.Timeout, s.opts.poll)
	}
	c, err := net.DialTimeout(s.network, s.address, s.cfg.Timeout)
	if err != nil {
		return nil, fmt.Errorf("connecting to master: %w", err)
	}
	return &netTransport{c: c, poll: s.opts.poll, timeout: s.cfg.Timeout}, nil
}

// serve runs one connection until it fails or ctx is done. registered says
// whether the session got as far as registering everything.
func (s *Session) serve(ctx context.Context, t transport) (registered bool, err error) {
	// One goroutine per connection reads, answers and writes: locked to its
	// thread, it does the blocking I/O of the whole session without any
	// handoff.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c := newConn(s, t)
	defer c.shut()
	err = c.loop(ctx)
	return c.registered, err
}
