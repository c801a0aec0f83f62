package agentx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
)

// withHooks counts connection attempts and registrations.
func withHooks(onDial, onConn func()) Option {
	return func(o *options) { o.onDial, o.onConn = onDial, onConn }
}

func debugLogger() (*logrus.Logger, *test.Hook) {
	l, h := test.NewNullLogger()
	l.SetLevel(logrus.DebugLevel)
	return l, h
}

// waitEntry waits (bounded) for a log entry at level with message msg, and
// returns it.
func waitEntry(t *testing.T, h *test.Hook, level logrus.Level, msg string) *logrus.Entry {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, e := range h.AllEntries() {
			if e.Level == level && e.Message == msg {
				return e
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %v %q in the log: %v", level, msg, messages(h))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func messages(h *test.Hook) []string {
	var ms []string
	for _, e := range h.AllEntries() {
		ms = append(ms, e.Level.String()+": "+e.Message)
	}
	return ms
}

// Ten minutes of failed attempts, one a second, against a missing socket:
// a warning at the first (naming the address, the error and what to
// check) and one every minute after, debug lines in between.
func TestOutageLogCadence(t *testing.T) {
	l, h := debugLogger()
	path := filepath.Join(t.TempDir(), "agentx", "master")
	s, err := New(Config{Addr: "unix:" + path, Logger: l})
	if err != nil {
		t.Fatal(err)
	}
	_, dialErr := s.dial()
	if !errors.Is(dialErr, syscall.ENOENT) {
		t.Fatalf("dialling a missing socket: %v", dialErr)
	}
	t0 := time.Unix(1e9, 0)
	s.down = outage{since: t0}
	for i := range 601 {
		s.failed(dialErr, t0.Add(time.Duration(i)*time.Second))
	}
	es := h.AllEntries()
	if len(es) != 601 {
		t.Fatalf("%d log lines for 601 attempts", len(es))
	}
	first := es[0]
	if first.Level != logrus.WarnLevel || first.Message != "AgentX master not reachable; retrying" ||
		first.Data["agentx"] != "unix:"+path ||
		!strings.Contains(fmt.Sprint(first.Data["error"]), path) || !strings.Contains(fmt.Sprint(first.Data["error"]), "no such file") ||
		!strings.Contains(fmt.Sprint(first.Data["check"]), "agentXSocket unix:"+path) {
		t.Errorf("first line: %v %q %v", first.Level, first.Message, first.Data)
	}
	for i, e := range es[1:] {
		i++
		if i%60 != 0 {
			if e.Level != logrus.DebugLevel {
				t.Fatalf("attempt %d: %v %q", i, e.Level, e.Message)
			}
			continue
		}
		if e.Level != logrus.WarnLevel || e.Message != "AgentX master still not reachable; IF-MIB is not served" ||
			e.Data["down_for"] != time.Duration(i)*time.Second || e.Data["attempts"] != i+1 || e.Data["check"] == nil {
			t.Errorf("attempt %d: %v %q %v", i, e.Level, e.Message, e.Data)
		}
	}
}

// What the log tells to check, by error.
func TestAdvice(t *testing.T) {
	s, err := New(Config{Addr: "unix:/run/x/master"})
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := New(Config{Addr: "tcp:127.0.0.1:705"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		s    *Session
		err  error
		want string
	}{
		{s, fmt.Errorf("connecting: %w", syscall.ENOENT), `"agentXSocket unix:/run/x/master"`},
		{s, fmt.Errorf("connecting: %w", syscall.ECONNREFUSED), "left its socket behind"},
		{tcp, &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, `"agentXSocket tcp:127.0.0.1:705"`},
		{s, fmt.Errorf("connecting: %w", syscall.EACCES), "agentXPerms"},
		{s, fmt.Errorf("%w of 1.3 at priority 100: duplicateRegistration", errRegisterRefused), "same priority"},
		{s, fmt.Errorf("reading: %w", syscall.ECONNRESET), "stopped or restarted"},
		{s, errors.New("something else"), ""},
	} {
		if got := c.s.advice(c.err); (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%v: %q, want it to say %q", c.err, got, c.want)
		}
	}
}

// The watch sees a socket appear, stay, and be replaced; it keeps asking
// for attempts for a while after a change (snmpd binds before it
// listens).
func TestPathWatch(t *testing.T) {
	dir, err := os.MkdirTemp("", "pw")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sub", "m")
	w := &pathWatch{path: path}
	now := time.Unix(1e9, 0)
	w.mark()
	if w.due(now) {
		t.Error("due with no socket")
	}
	if err := os.Mkdir(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	if !w.due(now) {
		t.Error("not due when the socket appeared")
	}
	if !w.due(now.Add(hotFor / 2)) {
		t.Error("not due shortly after the socket appeared")
	}
	if w.due(now.Add(hotFor)) {
		t.Error("due long after the socket appeared, unchanged")
	}
	// A stale socket (a killed master's) is not a reason to try.
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	now = now.Add(time.Minute)
	w.mark()
	if w.due(now) {
		t.Error("due on an unchanged stale socket")
	}
	// A new master replaces it.
	os.Remove(path)
	ln, err = net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if !w.due(now) {
		t.Error("not due when the socket was replaced")
	}
	if (&Session{network: "tcp", address: "127.0.0.1:705"}).newWatch() != nil ||
		(&Session{network: "unix", address: "@abstract"}).newWatch() != nil {
		t.Error("watching a path that is not one")
	}
}

// The master's socket does not exist when the session starts (nor its
// directory); it appears later, goes away and comes back. With a backoff of
// an hour, only the watch of the path can make the session connect; the
// log says so at once, and says how long the master was away.
func TestWatchReconnects(t *testing.T) {
	l, h := debugLogger()
	dir, err := os.MkdirTemp("", "wr")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "agentx", "master")
	var dials atomic.Int64
	s := runSession(t, Config{Addr: "unix:" + path, Subtrees: []OID{ifTableOID}, Logger: l,
		BackoffMin: time.Hour, BackoffMax: time.Hour}, testTree(), withHooks(func() { dials.Add(1) }, nil))
	e := waitEntry(t, h, logrus.WarnLevel, "AgentX master not reachable; retrying")
	if !strings.Contains(fmt.Sprint(e.Data["check"]), "no socket at "+path) {
		t.Errorf("first warning: %v", e.Data)
	}

	if err := os.Mkdir(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	m := newFakeMasterAt(t, path)
	m.accept(1)
	waitConnected(t, s, 5*time.Second)
	e = waitEntry(t, h, logrus.InfoLevel, "AgentX session registered")
	if e.Data["waited"] == nil || e.Data["attempts"] != int(dials.Load()) || dials.Load() < 2 {
		t.Errorf("registered: %v after %d attempts", e.Data, dials.Load())
	}

	// The master goes away with its socket, and a new one comes.
	m.c.Close()
	m.ln.Close()
	waitEntry(t, h, logrus.WarnLevel, "AgentX session ended; reconnecting")
	before := dials.Load()
	m = newFakeMasterAt(t, path)
	m.accept(1)
	waitConnected(t, s, 5*time.Second)
	e = waitEntry(t, h, logrus.InfoLevel, "AgentX session registered again")
	if _, ok := e.Data["down_for"].(time.Duration); !ok || e.Data["attempts"] != int(dials.Load()-before+1) {
		t.Errorf("registered again: %v", e.Data)
	}
	m.write(m.request(pduGet, 6, searchRange{start: oidAppend(ifDescr, 1)}))
	wantVarbinds(t, m.recv().varbinds, Varbind{oidAppend(ifDescr, 1), str("eth0")})
	t.Logf("log: %v", messages(h))
}

// A master that sends part of a PDU and then nothing, or the rest too
// slowly, is left after Timeout with Close(timeouts); the session
// reconnects and serves.
func TestPartialPDUEndsSession(t *testing.T) {
	m := newFakeMaster(t)
	s := runSession(t, Config{Addr: m.addr, Subtrees: []OID{ifTableOID}, Timeout: time.Second,
		PingInterval: -1, BackoffMin: 10 * time.Millisecond}, testTree())
	m.accept(1)
	waitConnected(t, s, 5*time.Second)
	req := m.request(pduGet, 9, searchRange{start: oidAppend(ifDescr, 1)})

	// Quiet after the header and a few bytes.
	m.write(req[:headerLen+4])
	if p := m.recv(); p.typ != pduClose || p.reason != reasonTimeouts {
		t.Fatalf("after half a PDU: %v reason %v", p.typ, p.reason)
	}
	m.accept(1)

	// A trickle: a byte every 10 ms of a PDU that claims 4 KiB.
	hb := m.request(pduGet, 10, searchRange{start: oidAppend(ifDescr, 1)})[:headerLen]
	if m.big {
		binary.BigEndian.PutUint32(hb[16:], 4096)
	} else {
		binary.LittleEndian.PutUint32(hb[16:], 4096)
	}
	m.write(hb)
	stop := make(chan struct{})
	trickled := make(chan int)
	go func() {
		n := 0
		defer func() { trickled <- n }()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := m.c.Write([]byte{0}); err != nil {
					return
				}
				n++
			}
		}
	}()
	p := m.recv()
	close(stop)
	n := <-trickled
	if p.typ != pduClose || p.reason != reasonTimeouts {
		t.Fatalf("during a trickle: %v reason %v", p.typ, p.reason)
	}
	t.Logf("closed after %d trickled bytes", n)
	m.accept(1)
	m.write(m.request(pduGet, 11, searchRange{start: oidAppend(ifDescr, 1)}))
	wantVarbinds(t, m.recv().varbinds, Varbind{oidAppend(ifDescr, 1), str("eth0")})
}

// A GetNext of a megabyte of ranges over a real connection is answered
// tooBig, and the session goes on serving.
func TestHostileGetNextOverConnection(t *testing.T) {
	m := newFakeMaster(t)
	tree := newTableTree(ifXEntryOID, []uint32{1, 6, 10, 15}, 1000, 1)
	s := runSession(t, Config{Addr: m.addr, Subtrees: []OID{ifXTableOID}, PingInterval: -1}, tree)
	m.accept(1)
	waitConnected(t, s, 5*time.Second)
	for _, typ := range []pduType{pduGetNext, pduGetBulk} {
		req := hostileRequest(typ, 0, 65535, oidAppend(ifXEntryOID, 10, 1000))
		putIDs(req, m.sid, 20)
		m.write(req)
		p := m.recv()
		switch {
		case typ == pduGetNext && (p.resError != TooBig || len(p.varbinds) != 0):
			t.Errorf("GetNext: %v, %d varbinds", p.resError, len(p.varbinds))
		case typ == pduGetBulk && (p.resError != NoError || len(p.varbinds) == 0):
			t.Errorf("GetBulk: %v, %d varbinds", p.resError, len(p.varbinds))
		}
		m.write(m.request(pduGet, 21, searchRange{start: oidAppend(ifXEntryOID, 10, 1001)}))
		wantVarbinds(t, m.recv().varbinds, Varbind{oidAppend(ifXEntryOID, 10, 1001), str("if1")})
	}
}
