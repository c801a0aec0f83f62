package statsread

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
	"go.fd.io/govpp/adapter"
	"go.fd.io/govpp/adapter/statsclient"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

const (
	defaultTimeout = time.Second
	// firstBusyPause is the first pause before reading again a segment that
	// VPP was changing (in_progress set, or epoch moved under the read); it
	// doubles on each busy try, up to the reader's maximum backoff.
	firstBusyPause    = time.Millisecond
	defaultMaxBackoff = 250 * time.Millisecond
)

// Counters is one read of the interface counters.
type Counters struct {
	// BySwIfIndex holds each interface's counters summed over VPP's
	// threads; the index is the sw_if_index. Slots of deleted interfaces
	// stay (VPP keeps them, named "deleted").
	BySwIfIndex []model.Counters
	// Names is /if/names, the same length as BySwIfIndex. It is shared
	// between reads while the names do not change: do not modify it.
	Names []string
	// BootTime is VPP's /sys/boottime (unix seconds), 0 when absent.
	BootTime uint64
	// Segment numbers the stats segments this Reader has read, from 1: it
	// changes when VPP restarts (or the Reader had to re-attach), which is
	// a counter discontinuity.
	Segment uint64
}

// Option configures a Reader.
type Option func(*Reader)

// WithLogger sets where the reader logs (default: a new logrus logger).
func WithLogger(l logrus.FieldLogger) Option { return func(r *Reader) { r.log = l } }

// WithTimeout bounds each Read (default 1 s); a sooner context deadline
// wins.
func WithTimeout(d time.Duration) Option {
	return func(r *Reader) {
		if d > 0 {
			r.timeout = d
		}
	}
}

// WithMaxBackoff caps the pause between tries of a segment VPP holds busy
// (default 250 ms); the agent sets its poll interval, so counters are fresh
// again within one interval of VPP finishing.
func WithMaxBackoff(d time.Duration) Option {
	return func(r *Reader) {
		if d > 0 {
			r.maxBackoff = d
		}
	}
}

// Reader reads interface counters from the stats segment served at a
// stats socket. Its methods are safe for concurrent use (reads are
// serialized).
type Reader struct {
	socketPath string
	log        logrus.FieldLogger
	timeout    time.Duration
	maxBackoff time.Duration

	mu     sync.Mutex
	sc     *statsclient.StatsClient // nil while detached
	id     segmentID                // the segment sc maps
	header []byte                   // our own read-only mapping of its header
	sock   sockID                   // the stats socket file when sc was made
	// connecting is set while a govpp Connect abandoned at its deadline is
	// still blocked (it has no timeout of its own): no second one is started
	// meanwhile, so a VPP that accepts and never answers costs one
	// goroutine and one descriptor, not one per Read.
	connecting atomic.Bool
	dir        *adapter.StatDir // prepared /if/ entries; nil to prepare again
	plan       []step           // how to fold dir.Entries into Counters
	segments   uint64
	names      []string // last names returned
}

// New returns a Reader for the stats socket at socketPath (e.g.
// /run/vpp/stats.sock). It connects on the first Read.
func New(socketPath string, opts ...Option) *Reader {
	r := &Reader{socketPath: socketPath, timeout: defaultTimeout, maxBackoff: defaultMaxBackoff}
	for _, o := range opts {
		o(r)
	}
	if r.log == nil {
		r.log = logrus.New()
	}
	r.log = r.log.WithField("vpp_stats", socketPath)
	return r
}

// Close unmaps the segment. A later Read maps it again.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.detach()
}

// Read returns the current interface counters. It fails when VPP (its stats
// socket) is absent, or when the segment stays busy until the deadline; it
// never returns data of a segment VPP no longer serves.
func (r *Reader) Read(ctx context.Context) (Counters, error) {
	var c Counters
	err := r.ReadInto(ctx, &c)
	return c, err
}

// ReadInto is Read into dst, reusing the storage of dst.BySwIfIndex (its
// contents are overwritten): a caller that does not keep the previous
// counters saves an allocation of 176 bytes per interface per read. On
// error dst is left as it was.
func (r *Reader) ReadInto(ctx context.Context, dst *Counters) (err error) {
	c, err := r.read(ctx, dst.BySwIfIndex)
	if err == nil {
		*dst = c
	}
	return err
}

func (r *Reader) read(ctx context.Context, buf []model.Counters) (c Counters, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()

	// govpp follows VPP's pointers in the mapping; make a bad pointer an
	// error instead of a crash, and drop that mapping.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			_ = r.detach()
			c, err = Counters{}, fmt.Errorf("reading the stats segment: %v", p)
		}
	}()

	var last error // why the previous try did not succeed
	wait := firstBusyPause
	probed := time.Now() // attach probes; a read starts from its mapping
	for {
		if err := ctx.Err(); err != nil {
			if last != nil {
				return Counters{}, fmt.Errorf("reading the stats segment: %w (last: %w)", err, last)
			}
			return Counters{}, fmt.Errorf("reading the stats segment: %w", err)
		}
		if r.sc == nil {
			if err := r.attach(ctx); err != nil {
				return Counters{}, err
			}
		}
		// While VPP holds in_progress, wait on our own mapping of the header:
		// govpp would spin on it, and a probe would dial stats.sock each try.
		// The segment is still checked now and then (a new VPP binds a new
		// socket file at once; a moved segment is only seen by a probe), so
		// an abandoned busy segment is left.
		fresh := time.Since(probed) < probeEvery && r.sock == statSocket(r.socketPath)
		if fresh && busy(r.header) {
			last = errSegmentBusy
			pause(ctx, wait)
			wait = min(2*wait, r.maxBackoff)
			continue
		}
		prepared := r.dir == nil
		uerr := r.update()
		busyErr := errors.Is(uerr, adapter.ErrStatsDataBusy) || errors.Is(uerr, adapter.ErrStatsAccessFailed)
		if busyErr && fresh {
			// VPP was changing the directory: read again shortly, from the
			// same mapping.
			last = uerr
			pause(ctx, wait)
			wait = min(2*wait, r.maxBackoff)
			continue
		}
		// Whatever update said, it only counts if the segment is still the
		// one VPP serves: after a restart, the values just read may be the
		// old segment's frozen ones.
		id, err := probe(ctx, r.socketPath)
		probed = time.Now()
		if err != nil {
			if ctx.Err() == nil {
				// VPP is gone: drop the mapping of its dead segment.
				_ = r.detach()
			}
			if uerr != nil {
				return Counters{}, fmt.Errorf("checking the stats segment: %w (after: %w)", err, uerr)
			}
			return Counters{}, fmt.Errorf("checking the stats segment: %w", err)
		}
		if id != r.id {
			r.log.Info("VPP serves a new stats segment (restart); re-attaching")
			_ = r.detach()
			last = errors.New("the stats segment changed during the read")
			continue
		}
		switch {
		case uerr == nil:
			return r.fold(buf), nil
		case busyErr:
			// Still the segment VPP serves, still busy: read again.
			last = uerr
			r.sock = statSocket(r.socketPath)
			pause(ctx, wait)
			wait = min(2*wait, r.maxBackoff)
		case errors.Is(uerr, adapter.ErrStatsDisconnected):
			// govpp's own socket watcher saw the socket go and failed to
			// map a new segment: start over with a new client.
			last = uerr
			_ = r.detach()
		case !prepared:
			// The directory changed (ErrStatsDirStale) or a vector changed
			// shape (govpp wraps ErrStatDataLenIncorrect with %v, so it
			// cannot be matched): prepare again.
			last = uerr
			r.dir = nil
		default:
			_ = r.detach()
			return Counters{}, fmt.Errorf("reading the stats segment: %w", uerr)
		}
	}
}

// probeEvery is how often a Read that VPP keeps busy checks, by dialing
// stats.sock, that the busy segment is still the one VPP serves.
const probeEvery = 200 * time.Millisecond

// errSegmentBusy is the last error of a Read that timed out while VPP held
// the segment's in_progress.
var errSegmentBusy = errors.New("VPP holds the stats segment busy (in_progress)")

// sockID identifies the stats socket file: VPP binds a new one when it
// starts, so a changed identity means another VPP (or none).
type sockID struct {
	dev, ino uint64
	ctime    int64
}

// statSocket returns the identity of the socket file at path; the zero
// sockID when there is none.
func statSocket(path string) sockID {
	var st syscall.Stat_t
	if syscall.Stat(path, &st) != nil {
		return sockID{}
	}
	return sockID{dev: uint64(st.Dev), ino: st.Ino, ctime: st.Ctim.Nano()}
}

// attach maps the segment VPP serves now through a new govpp client. The
// segment is probed before and after govpp's own connection: if both probes
// see the same memfd, govpp received that memfd too (VPP hands one memfd to
// every client for its whole life, and a later VPP never hands out an
// earlier one).
func (r *Reader) attach(ctx context.Context) error {
	for {
		sock := statSocket(r.socketPath)
		before, header, err := probeHeader(ctx, r.socketPath)
		if err != nil {
			return fmt.Errorf("connecting to the stats socket: %w", err)
		}
		sc, err := r.connectStats(ctx)
		if err != nil {
			_ = syscall.Munmap(header)
			return fmt.Errorf("mapping the stats segment: %w", err)
		}
		after, err := probe(ctx, r.socketPath)
		if err != nil {
			_ = sc.Disconnect()
			_ = syscall.Munmap(header)
			return fmt.Errorf("connecting to the stats socket: %w", err)
		}
		if before != after {
			_ = sc.Disconnect()
			_ = syscall.Munmap(header)
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("mapping the stats segment: %w", err)
			}
			continue
		}
		r.sc, r.id, r.dir, r.header, r.sock = sc, before, nil, header, sock
		r.segments++
		r.log.WithField("segment", r.segments).Debug("mapped the stats segment")
		return nil
	}
}

// connectStats runs govpp's Connect, which receives the memfd with a
// blocking recvmsg that has no timeout, under ctx: if VPP accepts and never
// answers, the Read fails at its deadline and the connection is dropped
// whenever it completes.
func (r *Reader) connectStats(ctx context.Context) (*statsclient.StatsClient, error) {
	if !r.connecting.CompareAndSwap(false, true) {
		return nil, errors.New("an earlier connection to the stats socket is still unanswered")
	}
	sc := statsclient.NewStatsClient(r.socketPath,
		// The socket was just seen; do not wait for it.
		statsclient.SetSocketRetryPeriod(time.Millisecond),
		statsclient.SetSocketRetryTimeout(time.Millisecond))
	done := make(chan error, 1)
	go func() { done <- sc.Connect() }()
	select {
	case err := <-done:
		r.connecting.Store(false)
		if err != nil {
			return nil, err
		}
		return sc, nil
	case <-ctx.Done():
		go func() {
			if <-done == nil {
				_ = sc.Disconnect()
			}
			r.connecting.Store(false)
		}()
		return nil, ctx.Err()
	}
}

func (r *Reader) detach() error {
	if r.sc == nil {
		return nil
	}
	err := r.sc.Disconnect()
	if r.header != nil {
		_ = syscall.Munmap(r.header)
	}
	r.sc, r.dir, r.plan, r.header = nil, nil, nil, nil
	r.id, r.sock = segmentID{}, sockID{}
	if err != nil {
		return fmt.Errorf("unmapping the stats segment: %w", err)
	}
	return nil
}

// update refreshes the prepared directory, preparing it first if needed.
// UpdateDir re-reads only the values (no names, no regexp over the
// directory); it fails with ErrStatsDirStale when VPP changed the directory.
func (r *Reader) update() error {
	if r.dir == nil {
		dir, err := r.sc.PrepareDir(entryPattern)
		if err != nil {
			return err
		}
		// govpp's entry names are slices of its mapping, which its socket
		// watcher may unmap and replace at any time (when stats.sock is
		// removed); UpdateDir compares them. Keep them on the heap.
		for i := range dir.Entries {
			dir.Entries[i].Name = bytes.Clone(dir.Entries[i].Name)
		}
		plan, err := planFor(dir)
		if err != nil {
			return err
		}
		r.dir, r.plan = dir, plan
		return nil
	}
	return r.sc.UpdateDir(r.dir)
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
