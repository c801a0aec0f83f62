package agentx

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fakeMaster is a scripted AgentX master on a unix socket, for what the real
// snmpd cannot be made to do (send garbage, stop answering) and for the
// loopback benchmark.
type fakeMaster struct {
	t    testing.TB
	ln   net.Listener
	addr string
	c    net.Conn
	big  bool
	sid  uint32
}

func newFakeMaster(t testing.TB) *fakeMaster {
	dir, err := os.MkdirTemp("", "fm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return newFakeMasterAt(t, filepath.Join(dir, "m"))
}

// newFakeMasterAt listens at path (whose directory must exist).
func newFakeMasterAt(t testing.TB, path string) *fakeMaster {
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &fakeMaster{t: t, ln: ln, addr: "unix:" + path}
}

// accept takes the next connection and answers its Open and Registers.
func (m *fakeMaster) accept(nregs int) {
	m.t.Helper()
	// The previous connection stays open: the subagent must leave it
	// by itself.
	c, err := m.ln.Accept()
	if err != nil {
		m.t.Fatal(err)
	}
	m.t.Cleanup(func() { c.Close() })
	m.c = c
	m.sid++
	open := m.recv()
	if open.typ != pduOpen {
		m.t.Fatalf("first PDU %v", open.typ)
	}
	m.big = open.bigEndian()
	m.reply(open, nil)
	for range nregs {
		if r := m.recv(); r.typ != pduRegister {
			m.t.Fatalf("want Register, got %v", r.typ)
		} else {
			m.reply(r, nil)
		}
	}
}

func (m *fakeMaster) recv() *pdu {
	m.t.Helper()
	m.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	h := make([]byte, headerLen)
	if _, err := io.ReadFull(m.c, h); err != nil {
		m.t.Fatalf("master reading: %v", err)
	}
	hd := parseHeader(h)
	b := make([]byte, headerLen+int(hd.payloadLen))
	copy(b, h)
	if _, err := io.ReadFull(m.c, b[headerLen:]); err != nil {
		m.t.Fatalf("master reading: %v", err)
	}
	p, err := decodePDU(b)
	if err != nil {
		m.t.Fatalf("master decoding %x: %v", b, err)
	}
	return p
}

func (m *fakeMaster) reply(req *pdu, vbs []Varbind) {
	m.t.Helper()
	r := &pdu{header: header{version: 1, typ: pduResponse, flags: req.flags & flagNetworkByteOrder,
		sessionID: m.sid, transactionID: req.transactionID, packetID: req.packetID}, sysUpTime: 4200, varbinds: vbs}
	m.write(r.appendTo(nil))
}

func (m *fakeMaster) write(b []byte) {
	m.t.Helper()
	if _, err := m.c.Write(b); err != nil {
		m.t.Fatalf("master writing: %v", err)
	}
}

func (m *fakeMaster) request(typ pduType, packetID uint32, ranges ...searchRange) []byte {
	p := &pdu{header: header{version: 1, typ: typ, sessionID: m.sid, transactionID: packetID, packetID: packetID}, ranges: ranges}
	if m.big {
		p.flags = flagNetworkByteOrder
	}
	return p.appendTo(nil)
}

func runSession(t testing.TB, cfg Config, tree Tree, opts ...Option) *Session {
	s, err := New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	s.SetTree(tree)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

// A header that cannot be framed makes the subagent say Close(parseError)
// and reconnect; a request after that is answered on the new connection.
func TestBadFramingReconnects(t *testing.T) {
	m := newFakeMaster(t)
	s := runSession(t, Config{Addr: m.addr, Subtrees: []OID{ifTableOID}, BackoffMin: 10 * time.Millisecond}, testTree())
	m.accept(1)
	waitConnected(t, s, 5*time.Second)
	bad := m.request(pduGet, 5, searchRange{start: oidAppend(ifDescr, 1)})
	bad[0] = 2 // version 2
	m.write(bad)
	if p := m.recv(); p.typ != pduClose || p.reason != reasonParseError {
		t.Fatalf("after a bad header: %v reason %v", p.typ, p.reason)
	}
	m.accept(1)
	m.write(m.request(pduGet, 6, searchRange{start: oidAppend(ifDescr, 1)}))
	p := m.recv()
	wantVarbinds(t, p.varbinds, Varbind{oidAppend(ifDescr, 1), str("eth0")})
}

// The master's Close, or its going away, makes the subagent reconnect.
func TestMasterCloseReconnects(t *testing.T) {
	m := newFakeMaster(t)
	s := runSession(t, Config{Addr: m.addr, Subtrees: []OID{ifTableOID}, BackoffMin: 10 * time.Millisecond}, testTree())
	m.accept(1)
	waitConnected(t, s, 5*time.Second)
	cl := &pdu{header: header{version: 1, typ: pduClose, flags: flagNetworkByteOrder, sessionID: m.sid}, reason: reasonShutdown}
	m.write(cl.appendTo(nil))
	m.accept(1) // re-opened and re-registered
	m.c.Close() // EOF
	m.accept(1)
	waitConnected(t, s, 5*time.Second)
}

// Pings go out at the interval; a master that stops answering them is
// left and reconnected to.
func TestPingTimeoutReconnects(t *testing.T) {
	m := newFakeMaster(t)
	s := runSession(t, Config{Addr: m.addr, Subtrees: []OID{ifTableOID}, PingInterval: 100 * time.Millisecond,
		Timeout: time.Second, BackoffMin: 10 * time.Millisecond}, testTree())
	m.accept(1)
	waitConnected(t, s, 5*time.Second)
	p := m.recv()
	if p.typ != pduPing {
		t.Fatalf("want Ping, got %v", p.typ)
	}
	m.reply(p, nil)
	if s.Clock().Ticks(time.Now()) < 4200 {
		t.Errorf("Clock %d, below the master's 4200", s.Clock().Ticks(time.Now()))
	}
	if p = m.recv(); p.typ != pduPing {
		t.Fatalf("want Ping, got %v", p.typ)
	}
	start := time.Now()
	m.accept(1) // no answer: after Timeout the subagent reconnects
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("reconnected %v after an unanswered Ping, before the 1 s timeout", d)
	}
}

// A Notify on an idle session leaves at once (or within the poll
// interval) and returns the master's answer.
func TestNotifyOnIdleSession(t *testing.T) {
	for _, opts := range [][]Option{nil, {withNetConn()}} {
		m := newFakeMaster(t)
		s := runSession(t, Config{Addr: m.addr, Subtrees: []OID{ifTableOID}}, testTree(), opts...)
		m.accept(1)
		waitConnected(t, s, 5*time.Second)
		vbs := []Varbind{{snmpTrapOID0, Value{Type: TypeObjectIdentifier, OID: OID{1, 3, 6, 1, 6, 3, 1, 1, 5, 4}}}}
		errc := make(chan error, 1)
		go func() { errc <- s.Notify(context.Background(), vbs) }()
		p := m.recv()
		if p.typ != pduNotify || len(p.varbinds) != 1 || p.sessionID != m.sid {
			t.Fatalf("got %+v", p)
		}
		m.reply(p, p.varbinds)
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		// A refused Notify is an error.
		go func() { errc <- s.Notify(context.Background(), vbs) }()
		p = m.recv()
		r := &pdu{header: header{version: 1, typ: pduResponse, flags: p.flags & flagNetworkByteOrder, sessionID: m.sid, packetID: p.packetID}, resError: ProcessingError}
		m.write(r.appendTo(nil))
		if err := <-errc; err == nil {
			t.Error("refused Notify returned nil")
		}
	}
}

// A request split across writes, and two requests in one write, are framed
// exactly.
func TestFramingAcrossReads(t *testing.T) {
	m := newFakeMaster(t)
	s := runSession(t, Config{Addr: m.addr, Subtrees: []OID{ifTableOID}}, testTree())
	m.accept(1)
	waitConnected(t, s, 5*time.Second)
	a := m.request(pduGet, 7, searchRange{start: oidAppend(ifDescr, 1)})
	b := m.request(pduGetNext, 8, searchRange{start: oidAppend(ifDescr, 1)})
	all := append(bytes.Clone(a), b...)
	for _, cut := range []int{3, headerLen, len(a) - 1} {
		m.write(all[:cut])
		time.Sleep(60 * time.Millisecond) // past the poll interval
		m.write(all[cut:])
		p1, p2 := m.recv(), m.recv()
		if p1.packetID != 7 || p2.packetID != 8 {
			t.Fatalf("cut %d: answers %d, %d", cut, p1.packetID, p2.packetID)
		}
		wantVarbinds(t, p1.varbinds, Varbind{oidAppend(ifDescr, 1), str("eth0")})
		wantVarbinds(t, p2.varbinds, Varbind{oidAppend(ifDescr, 2), str("eth1")})
	}
}
