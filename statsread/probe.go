package statsread

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"
)

// ErrNoSegment is wrapped by the errors of a Read that found no stats
// segment to read: the stats socket is missing or nobody answers on it (VPP
// is not running), as opposed to a segment that is busy or slow.
var ErrNoSegment = errors.New("no stats segment")

// probeTimeout bounds a probe when the context has no deadline.
const probeTimeout = time.Second

// segmentID identifies a stats segment: the device and inode of the memfd
// VPP hands out. They cannot be reused while the memfd exists, and it exists
// as long as VPP, or this process's mapping, holds it.
type segmentID struct {
	dev, ino uint64
}

// probe asks stats.sock for the segment, as every stats client does (VPP
// accepts, sends the memfd with SCM_RIGHTS, closes), and returns its
// identity without mapping it.
func probe(ctx context.Context, path string) (segmentID, error) {
	id, _, err := probeSegment(ctx, path, false)
	return id, err
}

// probeSegment is probe that, with mapAll, also maps the whole segment
// read-only: the reader reads it in place.
func probeSegment(ctx context.Context, path string, mapAll bool) (id segmentID, m []byte, err error) {
	defer func() {
		if err != nil && ctx.Err() == nil {
			err = fmt.Errorf("%w: %w", ErrNoSegment, err)
		}
	}()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unixpacket", path)
	if err != nil {
		return segmentID{}, nil, err
	}
	defer conn.Close()
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return segmentID{}, nil, fmt.Errorf("%s: not a unix socket", path)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(probeTimeout)
	}
	if err := uc.SetReadDeadline(deadline); err != nil {
		return segmentID{}, nil, err
	}
	var buf [16]byte
	// Room for a few descriptors, so that a sender passing more than one
	// cannot leave some unclosed in this process (MSG_CTRUNC).
	oob := make([]byte, syscall.CmsgSpace(4*4))
	_, oobn, _, _, err := uc.ReadMsgUnix(buf[:], oob)
	// VPP sends the descriptor with no payload byte, which Go reports as
	// io.EOF on a SEQPACKET socket: what counts is the ancillary data.
	if err != nil && (!errors.Is(err, io.EOF) || oobn == 0) {
		return segmentID{}, nil, fmt.Errorf("receiving the stats segment: %w", err)
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return segmentID{}, nil, fmt.Errorf("parsing the stats socket's message: %w", err)
	}
	var fds []int
	for i := range msgs {
		f, err := syscall.ParseUnixRights(&msgs[i])
		if err == nil {
			fds = append(fds, f...)
		}
	}
	defer func() {
		for _, fd := range fds {
			_ = syscall.Close(fd)
		}
	}()
	if len(fds) == 0 {
		return segmentID{}, nil, errors.New("the stats socket sent no segment descriptor")
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fds[0], &st); err != nil {
		return segmentID{}, nil, fmt.Errorf("examining the stats segment: %w", err)
	}
	id = segmentID{dev: uint64(st.Dev), ino: st.Ino}
	if mapAll {
		if st.Size < hdrErrorVector+8 || st.Size > maxSegment {
			return segmentID{}, nil, fmt.Errorf("the stats segment is %d bytes", st.Size)
		}
		if m, err = syscall.Mmap(fds[0], 0, int(st.Size), syscall.PROT_READ, syscall.MAP_SHARED); err != nil {
			return segmentID{}, nil, fmt.Errorf("mapping the stats segment: %w", err)
		}
	}
	return id, m, nil
}

// maxSegment bounds the size mapped (address space, not memory: pages are
// only touched as read).
const maxSegment = 64 << 30
