package apisocket

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/core"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim"
)

// hangGuard bounds waits that succeed at once when the code is right; it is
// never what a test measures.
const hangGuard = 10 * time.Second

// logBuffer collects log lines (race-safe).
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// count is how many lines mention substr.
func (b *logBuffer) count(substr string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), substr)
}

func newLogger(w io.Writer) logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(w)
	l.SetLevel(logrus.DebugLevel)
	return l
}

func quiet() logrus.FieldLogger { return newLogger(io.Discard) }

// startSim starts a simulator and returns it and its API socket.
func startSim(t *testing.T) (*vppsim.Sim, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "api.sock")
	s, err := vppsim.New(vppsim.Config{
		APISocket: path,
		Tick:      -1,
		Logger:    quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

// dumpNames lists the interface names through govpp's core, as the agent
// asks for them.
func dumpNames(t *testing.T, conn *core.Connection) []string {
	t.Helper()
	ch, err := conn.NewAPIChannel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	ch.SetReplyTimeout(hangGuard)
	req := ch.SendMultiRequest(&interfaces.SwInterfaceDump{SwIfIndex: interface_types.InterfaceIndex(^uint32(0))})
	var names []string
	for {
		d := &interfaces.SwInterfaceDetails{}
		last, err := req.ReceiveReply(d)
		if err != nil {
			t.Fatalf("sw_interface_dump: %v", err)
		}
		if last {
			return names
		}
		names = append(names, d.InterfaceName)
	}
}

func ping(conn *core.Connection) error {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	return conn.Invoke(ctx, &memclnt.ControlPing{}, &memclnt.ControlPingReply{})
}

func simNames(s *vppsim.Sim) []string {
	var names []string
	for _, x := range s.Interfaces() {
		names = append(names, x.Name)
	}
	return names
}

// TestCoreAgainstVppsim: govpp's core over this adapter against the
// simulator: the dump's names are the simulator's, the message table
// answers GetMsgID, and the same adapter connects again after Disconnect.
func TestCoreAgainstVppsim(t *testing.T) {
	s, path := startSim(t)
	c := New(path, WithLogger(quiet()))
	for round := range 2 {
		conn, err := core.Connect(c)
		if err != nil {
			t.Fatalf("round %d: core.Connect: %v", round, err)
		}
		got, want := dumpNames(t, conn), simNames(s)
		if len(want) < 10 || !slices.Equal(got, want) {
			t.Errorf("round %d: names\n got %q\nwant %q", round, got, want)
		}
		if err := ping(conn); err != nil {
			t.Errorf("round %d: control_ping: %v", round, err)
		}
		id, err := c.GetMsgID("control_ping", "51077d14")
		if wantID, _ := s.MessageTable().ID("control_ping_51077d14"); err != nil || id != wantID {
			t.Errorf("round %d: GetMsgID(control_ping) = %d, %v; want %d", round, id, err, wantID)
		}
		if err := c.Err(); err != nil {
			t.Errorf("round %d: Err while connected: %v", round, err)
		}
		conn.Disconnect()
		if err := c.Err(); !errors.Is(err, ErrNotConnected) {
			t.Errorf("round %d: Err after Disconnect: %v", round, err)
		}
		if _, err := c.GetMsgID("control_ping", "51077d14"); err == nil {
			t.Errorf("round %d: GetMsgID after Disconnect: no error", round)
		}
	}
}

// TestVPPRestartEndsTheConnection: when VPP goes away the adapter ends the
// connection with io.EOF, and govpp's next request fails at once instead
// of waiting for its deadline.
func TestVPPRestartEndsTheConnection(t *testing.T) {
	s, path := startSim(t)
	logs := &logBuffer{}
	c := New(path, WithLogger(newLogger(logs)))
	conn, err := core.Connect(c)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Disconnect()
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	waitDone(t, c)
	if err := c.Err(); !errors.Is(err, io.EOF) {
		t.Errorf("Err = %v, want io.EOF", err)
	}
	err = ping(conn)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("control_ping after the end: %v, want an immediate error", err)
	}
	if n := logs.count("VPP closed the API connection"); n != 1 {
		t.Errorf("logged the end %d times, want once", n)
	}
}

func waitDone(t *testing.T, c *Client) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(hangGuard):
		t.Fatal("the connection did not end")
	}
}

// --- A fake VPP, for what a real one (or vppsim) does not send. ---

// fakeVPP listens on a fresh socket and serves one client with handle,
// after answering sockclnt_create with table. It returns the socket path;
// the server is waited for at the end of the test.
func fakeVPP(t *testing.T, table []vppsim.MsgEntry, handle func(c *net.UnixConn)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "api.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.AcceptUnix()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(hangGuard))
		_, req := serverRead(t, c)
		if req == nil {
			return
		}
		if binary.BigEndian.Uint16(req) != createID || len(req) != 70 {
			t.Errorf("first message: %x, want sockclnt_create", req)
			return
		}
		if name := string(bytes.TrimRight(req[6:], "\x00")); name != DefaultClientName {
			t.Errorf("client name %q", name)
		}
		write(t, c, createReplyFor(binary.BigEndian.Uint32(req[2:6]), 0, fakeIndex, table))
		if handle != nil {
			handle(c)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	return path
}

// fakeIndex is the client index the fake VPP gives.
const fakeIndex = 0x80000001

// defaultTable is the simulator's (VPP 26.06's ids), so govpp's core
// finds every message it needs.
func defaultTable() []vppsim.MsgEntry { return vppsim.DefaultMessageTable().Entries }

func idOf(t *testing.T, nameCRC string) uint16 {
	t.Helper()
	id, ok := vppsim.DefaultMessageTable().ID(nameCRC)
	if !ok {
		t.Fatalf("%s not in the table", nameCRC)
	}
	return id
}

// createReplyFor is sockclnt_create_reply as VPP encodes it.
func createReplyFor(context uint32, response int32, index uint32, table []vppsim.MsgEntry) []byte {
	b := make([]byte, createReplyFixed+len(table)*tableEntrySize)
	binary.BigEndian.PutUint16(b, 16) // sockclnt_create_reply in VPP 26.06
	binary.BigEndian.PutUint32(b[6:10], context)
	binary.BigEndian.PutUint32(b[10:14], uint32(response))
	binary.BigEndian.PutUint32(b[14:18], index)
	binary.BigEndian.PutUint16(b[18:20], uint16(len(table)))
	for i, e := range table {
		p := b[createReplyFixed+i*tableEntrySize:]
		binary.BigEndian.PutUint16(p, e.ID)
		copy(p[2:2+nameSize-1], e.NameCRC)
	}
	return b
}

// serverRead reads one frame from the client; nil at EOF.
func serverRead(t *testing.T, c net.Conn) (hdr, data []byte) {
	t.Helper()
	hdr = make([]byte, headerSize)
	if _, err := io.ReadFull(c, hdr); err != nil {
		if !errors.Is(err, io.EOF) {
			t.Errorf("fake VPP: reading a header: %v", err)
		}
		return nil, nil
	}
	data = make([]byte, binary.BigEndian.Uint32(hdr[8:12]))
	if _, err := io.ReadFull(c, data); err != nil {
		t.Errorf("fake VPP: reading %d bytes: %v", len(data), err)
		return nil, nil
	}
	return hdr, data
}

func write(t *testing.T, c net.Conn, data []byte) {
	t.Helper()
	if _, err := c.Write(frame(data)); err != nil {
		t.Errorf("fake VPP: %v", err)
	}
}

// waitClientGone reads until the client closes its end: the adapter must
// close a connection it ended.
func waitClientGone(t *testing.T, c net.Conn) {
	t.Helper()
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Errorf("fake VPP: waiting for the client to close: %v", err)
	}
}

// recorder is a message callback that keeps copies of what it is given.
type recorder struct {
	mu   sync.Mutex
	msgs [][]byte
}

func (r *recorder) callback(_ uint16, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, append([]byte(nil), data...))
}

func (r *recorder) got() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// controlPingReply is a valid control_ping_reply: id, context, retval,
// client_index, vpe_pid.
func controlPingReply(t *testing.T, context uint32) []byte {
	b := make([]byte, 18)
	binary.BigEndian.PutUint16(b, idOf(t, "control_ping_reply_f6b0b8ca"))
	binary.BigEndian.PutUint32(b[2:6], context)
	binary.BigEndian.PutUint32(b[14:18], 4242)
	return b
}

// badFrameCase runs one fake VPP that sends a valid reply and then what
// bad says, and checks the adapter: the valid reply delivered, nothing
// for the bad frame, the connection ended (and closed) with an error that
// wantErr accepts, logged once, and no more memory allocated than
// maxAlloc.
func badFrameCase(t *testing.T, bad []byte, closeAfter bool, wantErr func(error) bool, maxAlloc uint64) {
	valid := controlPingReply(t, 7)
	path := fakeVPP(t, defaultTable(), func(c *net.UnixConn) {
		write(t, c, valid)
		if _, err := c.Write(bad); err != nil {
			t.Errorf("fake VPP: %v", err)
		}
		if closeAfter {
			_ = c.CloseWrite()
		}
		waitClientGone(t, c)
	})
	logs := &logBuffer{}
	c := New(path, WithLogger(newLogger(logs)))
	rec := &recorder{}
	c.SetMsgCallback(rec.callback)

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := c.Connect(); err != nil {
		t.Fatal(err)
	}
	waitDone(t, c)
	runtime.ReadMemStats(&after)

	if got := rec.got(); len(got) != 1 || !bytes.Equal(got[0], valid) {
		t.Errorf("delivered %x, want only %x", got, valid)
	}
	if err := c.Err(); !wantErr(err) {
		t.Errorf("Err = %v", err)
	}
	if err := c.SendMsg(1, make([]byte, 10)); err == nil {
		t.Error("SendMsg after the end: no error")
	}
	if n := logs.count("API connection ended"); n != 1 {
		t.Errorf("logged the end %d times, want once:\n%s", n, logs.buf.String())
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > maxAlloc {
		t.Errorf("allocated %d bytes, want at most %d", d, maxAlloc)
	}
	if err := c.Disconnect(); err != nil {
		t.Errorf("Disconnect: %v", err)
	}
}

// TestShortFrameAfterAReply: a frame of 2 bytes after a valid reply (which
// govpp's socketclient would complete with the reply's id and context and
// deliver as a second reply) ends the connection, and delivers nothing.
func TestShortFrameAfterAReply(t *testing.T) {
	badFrameCase(t, frame([]byte{0x00, 0x18}), false,
		func(err error) bool { return errors.Is(err, ErrBadFrame) && strings.Contains(err.Error(), "length 2") },
		4<<20)
}

// TestHugeFrame: a header claiming 0xFFFFFFF0 bytes is refused before
// anything is allocated for it.
func TestHugeFrame(t *testing.T) {
	badFrameCase(t, frameClaiming(0xFFFFFFF0, make([]byte, 64)), false,
		func(err error) bool {
			return errors.Is(err, ErrBadFrame) && strings.Contains(err.Error(), "4294967280")
		},
		4<<20)
}

// TestEOFMidFrame: a frame claiming the whole cap (16 MiB) whose sender
// stops after 1 KiB costs about 1 KiB, ends the connection with an
// unexpected EOF and delivers nothing.
func TestEOFMidFrame(t *testing.T) {
	badFrameCase(t, frameClaiming(MaxPayload, make([]byte, 1024)), true,
		func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) },
		4<<20)
}

// TestRequestShapedRunt: an 8-byte frame carrying a request's id
// (control_ping) makes govpp's core read the context at bytes 6..10 and
// panic; the panic is on the adapter's reader, which ends the connection
// instead of the process, and the next request fails at once.
func TestRequestShapedRunt(t *testing.T) {
	sent := make(chan struct{})
	path := fakeVPP(t, defaultTable(), func(c *net.UnixConn) {
		<-sent
		runt := make([]byte, 8)
		binary.BigEndian.PutUint16(runt, idOf(t, "control_ping_51077d14"))
		write(t, c, runt)
		waitClientGone(t, c)
	})
	c := New(path, WithLogger(quiet()))
	conn, err := core.Connect(c)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Disconnect()
	close(sent)
	waitDone(t, c)
	if err := c.Err(); err == nil || !strings.Contains(err.Error(), "panic") {
		t.Errorf("Err = %v, want the recovered panic", err)
	}
	if err := ping(conn); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("control_ping after the end: %v, want an immediate error", err)
	}
}

// TestRequestHeaderAndDisconnect: SendMsg writes our client index and the
// context into the request header; Disconnect sends sockclnt_delete for our
// index, and the answer to it is not delivered.
func TestRequestHeaderAndDisconnect(t *testing.T) {
	pingID, delID := idOf(t, "control_ping_51077d14"), idOf(t, "sockclnt_delete_8ac76db6")
	got := make(chan []byte, 2)
	path := fakeVPP(t, defaultTable(), func(c *net.UnixConn) {
		for {
			_, m := serverRead(t, c)
			if m == nil {
				return
			}
			got <- m
			if binary.BigEndian.Uint16(m) == delID {
				reply := make([]byte, 10)
				binary.BigEndian.PutUint16(reply, idOf(t, "sockclnt_delete_reply_8f38b1ee"))
				binary.BigEndian.PutUint32(reply[2:6], binary.BigEndian.Uint32(m[6:10]))
				binary.BigEndian.PutUint32(reply[6:10], 1)
				write(t, c, reply)
				return
			}
		}
	})
	c := New(path, WithLogger(quiet()))
	rec := &recorder{}
	c.SetMsgCallback(rec.callback)
	if err := c.Connect(); err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(); err == nil {
		t.Error("a second Connect: no error")
	}
	req := make([]byte, 10)
	binary.BigEndian.PutUint16(req, pingID)
	if err := c.SendMsg(0x10007, req); err != nil {
		t.Fatal(err)
	}
	want := []byte{byte(pingID >> 8), byte(pingID), 0x80, 0, 0, 1, 0, 1, 0, 7}
	if m := <-got; !bytes.Equal(m, want) {
		t.Errorf("control_ping on the wire: %x, want %x", m, want)
	}
	if err := c.Disconnect(); err != nil {
		t.Fatal(err)
	}
	var del []byte
	select {
	case del = <-got:
	case <-time.After(hangGuard):
		t.Fatal("no sockclnt_delete")
	}
	if binary.BigEndian.Uint16(del) != delID || len(del) != 14 ||
		binary.BigEndian.Uint32(del[2:6]) != fakeIndex || binary.BigEndian.Uint32(del[10:14]) != fakeIndex {
		t.Errorf("sockclnt_delete: %x", del)
	}
	if m := rec.got(); len(m) != 0 {
		t.Errorf("delivered %x; the answer to sockclnt_delete is nobody's", m)
	}
	if err := c.SendMsg(1, make([]byte, 10)); !errors.Is(err, ErrNotConnected) {
		t.Errorf("SendMsg after Disconnect: %v", err)
	}
	if err := c.Disconnect(); err != nil {
		t.Errorf("a second Disconnect: %v", err)
	}
}

// TestHandshakeFailures: every way sockclnt_create can fail ends Connect
// with an error and leaves the adapter unconnected.
func TestHandshakeFailures(t *testing.T) {
	table := defaultTable()
	raw := func(reply []byte) func(*net.UnixConn) {
		return func(c *net.UnixConn) {
			_, _ = c.Write(reply)
			waitClientGone(t, c)
		}
	}
	for _, tc := range []struct {
		name    string
		handle  func(*net.UnixConn)
		wantErr string
	}{
		{"refused", raw(frame(createReplyFor(createContext, 1, 0, table))), "registration (response 1)"},
		{"wrong context", raw(frame(createReplyFor(99, 0, fakeIndex, table))), "context 99"},
		{"table cut short", raw(frame(createReplyFor(createContext, 0, fakeIndex, table)[:500])), "announces"},
		{"fixed part cut", raw(frame(createReplyFor(createContext, 0, fakeIndex, table)[:12])), "fixed part"},
		{"runt", raw(frame([]byte{0, 16})), "shorter than a reply header"},
		{"closed", func(c *net.UnixConn) {}, "unexpected EOF"},
		{"silent", func(c *net.UnixConn) { waitClientGone(t, c) }, "i/o timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(fakeVPPRaw(t, tc.handle), WithLogger(quiet()), WithConnectTimeout(300*time.Millisecond))
			err := c.Connect()
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Connect: %v, want an error about %q", err, tc.wantErr)
			}
			if err := c.Err(); !errors.Is(err, ErrNotConnected) {
				t.Errorf("Err after a failed Connect: %v", err)
			}
		})
	}
	c := New(filepath.Join(t.TempDir(), "absent.sock"), WithConnectTimeout(100*time.Millisecond))
	if err := c.Connect(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Connect to an absent socket: %v", err)
	}
	if err := c.WaitReady(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("WaitReady on an absent socket: %v", err)
	}
}

// fakeVPPRaw accepts one client, reads its sockclnt_create and hands the
// connection to handle, which answers as it likes.
func fakeVPPRaw(t *testing.T, handle func(*net.UnixConn)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "api.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.AcceptUnix()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(hangGuard))
		if _, req := serverRead(t, c); req != nil {
			handle(c)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	return path
}

// TestWriteTimeout: a VPP that stops reading makes a write time out, which
// ends the connection (part of a frame may be out).
func TestWriteTimeout(t *testing.T) {
	release := make(chan struct{})
	path := fakeVPP(t, defaultTable(), func(c *net.UnixConn) {
		<-release
		waitClientGone(t, c)
	})
	defer close(release)
	c := New(path, WithLogger(quiet()), WithWriteTimeout(50*time.Millisecond))
	if err := c.Connect(); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 8<<20) // more than the socket buffers hold
	err := c.SendMsg(1, big)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("SendMsg to a VPP that does not read: %v", err)
	}
	waitDone(t, c)
	if err := c.SendMsg(1, make([]byte, 10)); err == nil {
		t.Error("SendMsg after a failed write: no error")
	}
	if err := c.Disconnect(); err != nil {
		t.Errorf("Disconnect: %v", err)
	}
}

func TestSendMsgChecks(t *testing.T) {
	c := New("/nonexistent", WithLogger(quiet()))
	if err := c.SendMsg(1, make([]byte, 9)); err == nil || !strings.Contains(err.Error(), "shorter than a request header") {
		t.Errorf("9-byte message: %v", err)
	}
	if err := c.SendMsg(1, make([]byte, 10)); !errors.Is(err, ErrNotConnected) {
		t.Errorf("before Connect: %v", err)
	}
	if err := c.Disconnect(); err != nil {
		t.Errorf("Disconnect before Connect: %v", err)
	}
	select {
	case <-c.Done():
	default:
		t.Error("Done before Connect is not closed")
	}
}

// TestAsyncConnectReconnects: govpp's own reconnection (AsyncConnect, which
// reuses the adapter) sees a VPP restart as a lost connection through its
// health ping, and connects again.
func TestAsyncConnectReconnects(t *testing.T) {
	s, path := startSim(t)
	c := New(path, WithLogger(quiet()))
	conn, events, err := core.AsyncConnect(c, 20, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Disconnect()
	waitEvent := func(want core.ConnectionState) {
		t.Helper()
		for {
			select {
			case ev := <-events:
				if ev.State == want {
					return
				}
			case <-time.After(hangGuard):
				t.Fatalf("no %v event", want)
			}
		}
	}
	waitEvent(core.Connected)
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	waitEvent(core.Disconnected)
	waitEvent(core.Connected)
	if got, want := dumpNames(t, conn), simNames(s); !slices.Equal(got, want) {
		t.Errorf("after reconnecting: names\n got %q\nwant %q", got, want)
	}
}
