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
	"syscall"
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
	// the session waits for the master's Response to its own PDUs, for a
	// connect, and for the rest of a PDU whose first bytes arrived. Default
	// 5 s.
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
	// between connection attempts. Defaults 100 ms and 1 s. For a unix
	// socket the session also watches the socket's path while the master
	// is down and connects as soon as it appears or is replaced (within
	// about 20 ms), so there the backoff is only a fallback.
	BackoffMin, BackoffMax time.Duration
	// Observer, when set, is told of every request answered and every
	// registration, for metrics.
	Observer Observer
	// Logger gets session events (connected, lost, refused); never one line
	// per request. While the master cannot be reached it gets a warning at
	// the first failure and at least once a minute after (as long as
	// BackoffMax is under a minute), debug lines for the attempts in
	// between, and one info line on reconnecting. Default: discard.
	Logger logrus.FieldLogger
}

// Observer watches a session. Answered runs on the request path, after the
// answer is written: it must be cheap (no allocation, no lock held long)
// and must not block.
type Observer interface {
	// Answered: a request of kind ("Get", "GetNext", "GetBulk", "TestSet",
	// ...) was answered took after it was read.
	Answered(kind string, took time.Duration)
	// Registered: a session was opened and its subtrees registered.
	Registered()
}

// Option adjusts a Session beyond its Config.
type Option func(*options)

type options struct {
	big       bool          // our PDUs in network byte order
	netIO     bool          // use net.Conn even for unix sockets
	poll      time.Duration // read poll interval
	watch     time.Duration // how often a unix socket's path is checked while down
	warnEvery time.Duration // the least often an outage is logged as a warning
	onConn    func()        // test hook: a connection registered
	onDial    func()        // test hook: a connection attempt begins
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

	down outage // touched only by Run's goroutine
}

// outage is what Run knows of the time since the last registered session
// ended (or since Run began), for the log.
type outage struct {
	since    time.Time // when it began
	failures int       // failed attempts since
	wasUp    bool      // a session was registered before it
	lastWarn time.Time
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
		cfg.BackoffMax = time.Second
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
		opts: options{big: true, poll: 50 * time.Millisecond,
			watch: 20 * time.Millisecond, warnEvery: time.Minute},
		log:   cfg.Logger.WithField("agentx", network+":"+address),
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
// closes it, Run reconnects and registers everything again: with capped
// exponential backoff, and for a unix socket also as soon as the socket's
// path appears or is replaced (a restarted snmpd makes a new socket).
func (s *Session) Run(ctx context.Context) error {
	backoff := s.cfg.BackoffMin
	s.down = outage{since: time.Now()}
	w := s.newWatch()
	for {
		w.mark()
		if s.opts.onDial != nil {
			s.opts.onDial()
		}
		t, err := s.dial()
		if err == nil {
			var registered bool
			registered, err = s.serve(ctx, t)
			t.close()
			if ctx.Err() != nil {
				return nil
			}
			if registered {
				backoff = s.cfg.BackoffMin
				s.down = outage{since: time.Now(), wasUp: true}
				w.settled()
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		s.failed(err, time.Now())
		if !s.wait(ctx, w, backoff) {
			return nil
		}
		backoff = min(2*backoff, s.cfg.BackoffMax)
	}
}

// failed logs a failed attempt: a warning at the first and then at least
// every warnEvery, so that a master that never comes is never silent; debug
// lines in between.
func (s *Session) failed(err error, now time.Time) {
	d := &s.down
	d.failures++
	var msg string
	var fields map[string]any
	switch {
	case d.failures == 1 && d.wasUp:
		msg = "AgentX session ended; reconnecting"
	case d.failures == 1:
		msg = "AgentX master not reachable; retrying"
	case now.Sub(d.lastWarn) >= s.opts.warnEvery:
		msg = "AgentX master still not reachable; IF-MIB is not served"
		fields = map[string]any{"down_for": now.Sub(d.since).Round(time.Millisecond), "attempts": d.failures}
	default:
		s.log.WithError(err).WithField("attempt", d.failures).Debug("AgentX connection attempt failed")
		return
	}
	d.lastWarn = now
	entry := s.log.WithError(err).WithFields(fields)
	if hint := s.advice(err); hint != "" {
		entry = entry.WithField("check", hint)
	}
	entry.Warn(msg)
}

// advice says what to check after err, or "".
func (s *Session) advice(err error) string {
	addr := s.network + ":" + s.address
	switch {
	case errors.Is(err, syscall.ENOENT):
		return fmt.Sprintf("no socket at %s: is snmpd running, with \"master agentx\" and \"agentXSocket %s\" in its configuration?", s.address, addr)
	case errors.Is(err, syscall.ECONNREFUSED) && s.network == "unix":
		return fmt.Sprintf("nothing listens on %s: snmpd is stopped, or was killed and left its socket behind", s.address)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("nothing listens on %s: is snmpd running, with \"master agentx\" and \"agentXSocket %s\" in its configuration?", s.address, addr)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return "snmpd's agentXPerms must let this user or group write the socket, and every directory above it must be searchable"
	case errors.Is(err, errRegisterRefused):
		return "another subagent holds this subtree at the same priority, or the master refuses the context"
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, errMasterClosed):
		return "snmpd closed the connection: it was stopped or restarted (its log says why)"
	}
	return ""
}

// wait returns true when the next attempt is due: after backoff, or as soon
// as the watched path says so. It returns false when ctx is done.
func (s *Session) wait(ctx context.Context, w *pathWatch, backoff time.Duration) bool {
	timer := time.NewTimer(backoff)
	defer timer.Stop()
	var tick <-chan time.Time
	if w != nil {
		tk := time.NewTicker(s.opts.watch)
		defer tk.Stop()
		tick = tk.C
	}
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		case now := <-tick:
			if w.due(now) {
				return true
			}
		}
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
