package statseg

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// server is one Serve call: a SOCK_SEQPACKET listener on a path.
type server struct {
	path    string
	mu      sync.Mutex
	ln      *net.UnixListener
	stopped bool
}

// Serve listens on a SOCK_SEQPACKET unix socket at socketPath, as VPP's
// stats.sock, and hands every client that connects the segment's memfd:
// one sendmsg with SCM_RIGHTS and no payload byte, then the connection is
// closed (stats_socket_accept_ready). A stale socket file at the path is
// replaced. It returns nil when ctx is done or the segment is closed
// (ErrClosed if it was closed already), after removing the socket file, as
// VPP unlinks it at exit.
func (s *Segment) Serve(ctx context.Context, socketPath string) error {
	ln, err := listen(socketPath)
	if err != nil {
		return err
	}
	srv := &server{path: socketPath, ln: ln}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		srv.stop()
		return ErrClosed
	}
	s.servers[srv] = struct{}{}
	s.mu.Unlock()
	stopWatch := context.AfterFunc(ctx, srv.stop)
	defer func() {
		stopWatch()
		s.mu.Lock()
		delete(s.servers, srv)
		s.mu.Unlock()
		srv.stop()
	}()

	for {
		l := srv.listener()
		if l == nil {
			return nil
		}
		conn, err := l.AcceptUnix()
		if err != nil {
			switch {
			case srv.listener() == nil:
				return nil
			case errors.Is(err, unix.EMFILE), errors.Is(err, unix.ENFILE), errors.Is(err, unix.ECONNABORTED):
				if !sleepCtx(ctx, 10*time.Millisecond) {
					return nil
				}
				continue
			}
			return fmt.Errorf("accepting stats clients on %s: %w", socketPath, err)
		}
		// A client that is gone or slow is its own problem, as with VPP:
		// the error is not the server's.
		_ = s.sendFD(conn)
		_ = conn.Close()
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// listen binds a SOCK_SEQPACKET listener at path, replacing a stale socket
// file (never another kind of file).
func listen(path string) (*net.UnixListener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("listening on %s: the path exists and is not a socket", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("removing stale socket %s: %w", path, err)
		}
	}
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	// The file is removed by us, at the right moment (rebind, stop).
	ln.SetUnlinkOnClose(false)
	return ln, nil
}

func (srv *server) listener() *net.UnixListener {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.stopped {
		return nil
	}
	return srv.ln
}

// stop closes the listener and removes the socket file.
func (srv *server) stop() {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.stopped {
		return
	}
	srv.stopped = true
	_ = srv.ln.Close()
	_ = os.Remove(srv.path)
}

// sendFD sends the current memfd to a client.
func (s *Segment) sendFD(conn *net.UnixConn) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	fd := s.image
	if s.st != nil {
		fd = s.st.a
	}
	rights := unix.UnixRights(fd.fd)
	if err := conn.SetWriteDeadline(time.Now().Add(time.Second)); err != nil {
		return fmt.Errorf("sending stats memfd: %w", err)
	}
	rc, err := conn.SyscallConn()
	if err != nil {
		return fmt.Errorf("sending stats memfd: %w", err)
	}
	var serr error
	if err := rc.Write(func(sock uintptr) bool {
		serr = sendRights(int(sock), rights)
		return !errors.Is(serr, unix.EAGAIN)
	}); err != nil {
		return fmt.Errorf("sending stats memfd: %w", err)
	}
	if serr != nil {
		return fmt.Errorf("sending stats memfd: %w", serr)
	}
	return nil
}

// sendRights is sendmsg with ancillary data and no payload. Go's
// syscall.Sendmsg and unix.Sendmsg add a dummy byte on a non-datagram
// socket; VPP sends none.
func sendRights(sock int, oob []byte) error {
	var msg unix.Msghdr
	msg.Control = &oob[0]
	msg.SetControllen(len(oob))
	_, _, errno := unix.Syscall(unix.SYS_SENDMSG, uintptr(sock), uintptr(unsafe.Pointer(&msg)), unix.MSG_NOSIGNAL)
	if errno != 0 {
		return errno
	}
	return nil
}
