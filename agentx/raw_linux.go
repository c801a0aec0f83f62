package agentx

import (
	"fmt"
	"io"
	"syscall"
	"time"
)

// rawAvailable says whether unix sockets use the raw blocking path.
const rawAvailable = true

// rawTransport talks to a unix socket with blocking read(2) and write(2) on
// the file descriptor, bypassing the netpoller: measured in walks through
// snmpd, the netpoller's park and unpark per PDU was the largest cost left
// (a net.Conn loop used about 12 µs of CPU per PDU and walked at 3.6× the
// time per varbind of snmpd's native IF-MIB; blocking reads on the fd,
// 3.2–3.4×). syscall.Read enters the runtime's syscall state, so a blocked
// read never holds up the garbage collector; SO_RCVTIMEO still bounds it so
// that the session can ping, send queued Notifies and notice shutdown.
type rawTransport struct {
	fd int
}

func dialRaw(path string, timeout, poll time.Duration) (transport, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("creating unix socket: %w", err)
	}
	// SO_SNDTIMEO bounds connect(2) and every write(2): a master that stops
	// reading ends the session instead of hanging it.
	snd := syscall.NsecToTimeval(timeout.Nanoseconds())
	rcv := syscall.NsecToTimeval(poll.Nanoseconds())
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &snd); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("setting SO_SNDTIMEO: %w", err)
	}
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &rcv); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("setting SO_RCVTIMEO: %w", err)
	}
	for {
		err = syscall.Connect(fd, &syscall.SockaddrUnix{Name: path})
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("connecting to unix:%s: %w", path, err)
	}
	return &rawTransport{fd: fd}, nil
}

func (t *rawTransport) read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(t.fd, p)
		switch {
		case err == nil && n > 0:
			return n, nil
		case err == nil:
			return 0, io.EOF
		case err == syscall.EINTR:
			// With SO_RCVTIMEO set, signals interrupt instead of
			// restarting (signal(7)).
			continue
		case err == syscall.EAGAIN:
			return 0, errTimeout
		default:
			return 0, fmt.Errorf("reading from master: %w", err)
		}
	}
}

func (t *rawTransport) write(p []byte) error {
	for len(p) > 0 {
		n, err := syscall.Write(t.fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return fmt.Errorf("writing to master: timed out (SO_SNDTIMEO)")
		case err != nil:
			return fmt.Errorf("writing to master: %w", err)
		}
		p = p[n:]
	}
	return nil
}

// wake does nothing: the read returns within the poll interval anyway.
func (t *rawTransport) wake() {}

func (t *rawTransport) close() error { return syscall.Close(t.fd) }
