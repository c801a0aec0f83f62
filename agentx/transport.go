package agentx

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// errTimeout is what a transport's read returns when nothing arrived within
// its poll interval; the session then does its periodic work.
var errTimeout = errors.New("read poll interval elapsed")

// transport is one stream connection to the master. Only the connection's
// own goroutine calls read, write and close; wake may be called from any
// goroutine.
type transport interface {
	// read reads what is available into p (at least one byte), or returns
	// errTimeout after the poll interval.
	read(p []byte) (int, error)
	// write writes all of p.
	write(p []byte) error
	// wake makes a blocked read return errTimeout early, where the
	// transport can (best effort).
	wake()
	close() error
}

// ParseAddr parses a master agent address as net-snmp writes it:
// "unix:/path", "tcp:host:port", a bare "/path" (unix) or a bare "host:port"
// (tcp). The empty string is net-snmp's default, unix:/var/agentx/master.
func ParseAddr(s string) (network, address string, err error) {
	switch {
	case s == "":
		return "unix", "/var/agentx/master", nil
	case strings.HasPrefix(s, "unix:"):
		p := strings.TrimPrefix(s, "unix:")
		if p == "" {
			return "", "", fmt.Errorf("AgentX address %q: empty socket path", s)
		}
		return "unix", p, nil
	case strings.HasPrefix(s, "/"):
		return "unix", s, nil
	case strings.HasPrefix(s, "tcp:"):
		s = strings.TrimPrefix(s, "tcp:")
	case strings.HasPrefix(s, "udp:"):
		return "", "", fmt.Errorf("AgentX address %q: AgentX runs over stream transports only (unix or tcp)", s)
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", "", fmt.Errorf("AgentX address %q: want unix:/path, /path, tcp:host:port or host:port: %w", s, err)
	}
	if p, err := net.LookupPort("tcp", port); err != nil || p == 0 {
		return "", "", fmt.Errorf("AgentX address %q: bad port %q", s, port)
	}
	return "tcp", net.JoinHostPort(host, port), nil
}

// netTransport is a transport over a net.Conn: TCP, or unix where the raw
// path is not available.
type netTransport struct {
	c       net.Conn
	poll    time.Duration
	timeout time.Duration // bounds each write: a master that stops reading ends the session
	armed   bool
}

func (t *netTransport) read(p []byte) (int, error) {
	if !t.armed {
		// The deadline is re-armed only after it fired, not per read:
		// under load it costs nothing per PDU.
		t.c.SetReadDeadline(time.Now().Add(t.poll))
		t.armed = true
	}
	n, err := t.c.Read(p)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		t.armed = false
		if n > 0 {
			return n, nil
		}
		return 0, errTimeout
	}
	return n, err
}

func (t *netTransport) write(p []byte) error {
	t.c.SetWriteDeadline(time.Now().Add(t.timeout))
	_, err := t.c.Write(p)
	return err
}

func (t *netTransport) wake() { t.c.SetReadDeadline(time.Unix(1, 0)) }

func (t *netTransport) close() error { return t.c.Close() }
