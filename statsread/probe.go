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
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unixpacket", path)
	if err != nil {
		return segmentID{}, err
	}
	defer conn.Close()
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return segmentID{}, fmt.Errorf("%s: not a unix socket", path)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(probeTimeout)
	}
	if err := uc.SetReadDeadline(deadline); err != nil {
		return segmentID{}, err
	}
	var buf [16]byte
	// Room for a few descriptors, so that a sender passing more than one
	// cannot leave some unclosed in this process (MSG_CTRUNC).
	oob := make([]byte, syscall.CmsgSpace(4*4))
	_, oobn, _, _, err := uc.ReadMsgUnix(buf[:], oob)
	// VPP sends the descriptor with no payload byte, which Go reports as
	// io.EOF on a SEQPACKET socket: what counts is the ancillary data.
	if err != nil && (!errors.Is(err, io.EOF) || oobn == 0) {
		return segmentID{}, fmt.Errorf("receiving the stats segment: %w", err)
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return segmentID{}, fmt.Errorf("parsing the stats socket's message: %w", err)
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
		return segmentID{}, errors.New("the stats socket sent no segment descriptor")
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fds[0], &st); err != nil {
		return segmentID{}, fmt.Errorf("examining the stats segment: %w", err)
	}
	return segmentID{dev: uint64(st.Dev), ino: st.Ino}, nil
}
