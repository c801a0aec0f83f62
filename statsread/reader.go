package statsread

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
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

	mu       sync.Mutex
	seg      segment   // our read-only mapping of the whole segment; nil b while detached
	id       segmentID // the segment seg maps
	sock     sockID    // the stats socket file when seg was mapped
	plan     []step    // the entries a read folds; nil to find them again
	epoch    uint64    // the epoch plan was found at
	segments uint64
	names    []string // last names returned
	// Reused between reads: the per-thread views of the counter vectors.
	simpleBuf   [][]uint64
	combinedBuf [][][2]uint64
	simpleSrc   []simpleSrc
	combinedSrc []combinedSrc
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
	r.detach()
	return nil
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
	err = r.acquire(ctx, func(epoch uint64) error {
		return r.readOnce(epoch, func() error {
			var ferr error
			c, ferr = r.fold(r.seg, buf)
			return ferr
		})
	})
	if err != nil {
		return Counters{}, err
	}
	return c, nil
}

// acquire runs try on the segment VPP serves until it succeeds: try gets
// the epoch the segment is at (not busy) and must fail with
// errSegmentChanged if it has moved by the end. It waits while VPP holds
// the segment, re-attaches to a new one, and fails when VPP is gone or ctx
// (bounded by the reader's timeout) ends. r.mu is held.
func (r *Reader) acquire(ctx context.Context, try func(epoch uint64) error) (err error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()

	// Every pointer is checked against the mapping, but VPP may shrink
	// what it maps to us no more than we can; a fault is an error, not a
	// crash, and drops that mapping.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			r.detach()
			err = fmt.Errorf("reading the stats segment: %v", p)
		}
	}()

	var last error // why the previous try did not succeed
	wait := firstBusyPause
	probed := time.Now() // attach probes; a read starts from its mapping
	for {
		if err := ctx.Err(); err != nil {
			if last != nil {
				return fmt.Errorf("reading the stats segment: %w (last: %w)", err, last)
			}
			return fmt.Errorf("reading the stats segment: %w", err)
		}
		if r.seg.b == nil {
			if err := r.attach(ctx); err != nil {
				return err
			}
			probed = time.Now()
		}
		// While VPP holds in_progress, wait. The segment is still checked
		// now and then (a new VPP binds a new socket file at once; a moved
		// segment is only seen by a probe), so an abandoned busy segment is
		// left.
		fresh := time.Since(probed) < probeEvery && r.sock == statSocket(r.socketPath)
		epoch, busy := r.seg.state()
		var uerr error
		if busy {
			uerr = errSegmentBusy
		} else {
			uerr = try(epoch)
		}
		if uerr != nil && fresh {
			last = uerr
			pause(ctx, wait)
			wait = min(2*wait, r.maxBackoff)
			continue
		}
		// Whatever the read said, it only counts if the segment is still
		// the one VPP serves: after a restart, the values just read may be
		// the old segment's frozen ones.
		id, err := probe(ctx, r.socketPath)
		probed = time.Now()
		if err != nil {
			if ctx.Err() == nil {
				// VPP is gone: drop the mapping of its dead segment.
				r.detach()
			}
			if uerr != nil {
				return fmt.Errorf("checking the stats segment: %w (after: %w)", err, uerr)
			}
			return fmt.Errorf("checking the stats segment: %w", err)
		}
		if id != r.id {
			r.log.Info("VPP serves a new stats segment (restart); re-attaching")
			r.detach()
			last = errors.New("the stats segment changed during the read")
			continue
		}
		if uerr == nil {
			return nil
		}
		// Still the segment VPP serves, and busy (or changing under the
		// read): read again.
		last = uerr
		r.sock = statSocket(r.socketPath)
		pause(ctx, wait)
		wait = min(2*wait, r.maxBackoff)
	}
}

// errSegmentChanged is a read that saw the epoch move or in_progress set
// by its end: VPP changed the directory meanwhile.
var errSegmentChanged = errors.New("VPP changed the stats segment during the read")

// readOnce runs read on the segment at epoch, finding the entries again if
// the directory changed since they were found. What read read is only good
// if the epoch is the same, and VPP not busy, after it.
func (r *Reader) readOnce(epoch uint64, read func() error) error {
	if r.plan == nil || r.epoch != epoch {
		plan, err := planFor(r.seg)
		if e, busy := r.seg.state(); busy || e != epoch {
			return errSegmentChanged
		}
		if err != nil {
			return err
		}
		r.plan, r.epoch = plan, epoch
	}
	err := read()
	if e, busy := r.seg.state(); busy || e != epoch {
		return errSegmentChanged
	}
	return err
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

// attach maps the segment VPP serves now, from the memfd its stats socket
// hands out.
func (r *Reader) attach(ctx context.Context) error {
	sock := statSocket(r.socketPath)
	id, b, err := probeSegment(ctx, r.socketPath, true)
	if err != nil {
		return fmt.Errorf("connecting to the stats socket: %w", err)
	}
	r.seg, r.id, r.sock, r.plan = segment{b: b}, id, sock, nil
	r.segments++
	r.log.WithField("segment", r.segments).Debug("mapped the stats segment")
	return nil
}

func (r *Reader) detach() {
	if r.seg.b != nil {
		_ = syscall.Munmap(r.seg.b)
	}
	r.seg, r.plan = segment{}, nil
	r.id, r.sock = segmentID{}, sockID{}
	r.simpleBuf, r.combinedBuf = nil, nil
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
