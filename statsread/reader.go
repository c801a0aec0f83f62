package statsread

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/mib"
	"go.fd.io/govpp/adapter"
	"go.fd.io/govpp/adapter/statsclient"
)

const (
	defaultTimeout = time.Second
	// busyRetry is the pause before reading again a segment that VPP was
	// changing (in_progress set, or epoch moved under the read).
	busyRetry = time.Millisecond
)

// Counters is one read of the interface counters.
type Counters struct {
	// BySwIfIndex holds each interface's counters summed over VPP's
	// threads; the index is the sw_if_index. Slots of deleted interfaces
	// stay (VPP keeps them, named "deleted").
	BySwIfIndex []mib.Counters
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

// Reader reads interface counters from the stats segment served at a
// stats socket. Its methods are safe for concurrent use (reads are
// serialized).
type Reader struct {
	socketPath string
	log        logrus.FieldLogger
	timeout    time.Duration

	mu       sync.Mutex
	sc       *statsclient.StatsClient // nil while detached
	id       segmentID                // the segment sc maps
	dir      *adapter.StatDir         // prepared /if/ entries; nil to prepare again
	plan     []step                   // how to fold dir.Entries into Counters
	segments uint64
	names    []string // last names returned
}

// New returns a Reader for the stats socket at socketPath (e.g.
// /run/vpp/stats.sock). It connects on the first Read.
func New(socketPath string, opts ...Option) *Reader {
	r := &Reader{socketPath: socketPath, timeout: defaultTimeout}
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

func (r *Reader) read(ctx context.Context, buf []mib.Counters) (c Counters, err error) {
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
		prepared := r.dir == nil
		uerr := r.update()
		// Whatever update said, it only counts if the segment is still the
		// one VPP serves: after a restart, the values just read may be the
		// old segment's frozen ones, and an old segment that stays busy
		// (abandoned with in_progress set) must be left, not waited on.
		id, err := probe(ctx, r.socketPath)
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
		case errors.Is(uerr, adapter.ErrStatsDataBusy), errors.Is(uerr, adapter.ErrStatsAccessFailed):
			// VPP was changing the directory: read again shortly.
			last = uerr
			pause(ctx, busyRetry)
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

// attach maps the segment VPP serves now through a new govpp client. The
// segment is probed before and after govpp's own connection: if both probes
// see the same memfd, govpp received that memfd too (VPP hands one memfd to
// every client for its whole life, and a later VPP never hands out an
// earlier one).
func (r *Reader) attach(ctx context.Context) error {
	for {
		before, err := probe(ctx, r.socketPath)
		if err != nil {
			return fmt.Errorf("connecting to the stats socket: %w", err)
		}
		sc, err := connectStats(ctx, r.socketPath)
		if err != nil {
			return fmt.Errorf("mapping the stats segment: %w", err)
		}
		after, err := probe(ctx, r.socketPath)
		if err != nil {
			_ = sc.Disconnect()
			return fmt.Errorf("connecting to the stats socket: %w", err)
		}
		if before != after {
			_ = sc.Disconnect()
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("mapping the stats segment: %w", err)
			}
			continue
		}
		r.sc, r.id, r.dir = sc, before, nil
		r.segments++
		r.log.WithField("segment", r.segments).Debug("mapped the stats segment")
		return nil
	}
}

// connectStats runs govpp's Connect, which receives the memfd with a
// blocking recvmsg that has no timeout, under ctx: if VPP accepts and never
// answers, the Read fails at its deadline and the connection is dropped
// whenever it completes.
func connectStats(ctx context.Context, path string) (*statsclient.StatsClient, error) {
	sc := statsclient.NewStatsClient(path,
		// The socket was just seen; do not wait for it.
		statsclient.SetSocketRetryPeriod(time.Millisecond),
		statsclient.SetSocketRetryTimeout(time.Millisecond))
	done := make(chan error, 1)
	go func() { done <- sc.Connect() }()
	select {
	case err := <-done:
		if err != nil {
			return nil, err
		}
		return sc, nil
	case <-ctx.Done():
		go func() {
			if <-done == nil {
				_ = sc.Disconnect()
			}
		}()
		return nil, ctx.Err()
	}
}

func (r *Reader) detach() error {
	if r.sc == nil {
		return nil
	}
	err := r.sc.Disconnect()
	r.sc, r.dir, r.plan = nil, nil, nil
	r.id = segmentID{}
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
