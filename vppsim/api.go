package vppsim

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/codec"
)

const (
	// headerLen is VPP's socket transport header (msgbuf_t): 8 bytes VPP
	// fills with a pointer, the big-endian data length, 4 bytes of 0.
	headerLen = 16
	// maxFrame bounds what one frame may announce; a larger length means a
	// broken or hostile peer and ends the connection (VPP would try to
	// buffer it).
	maxFrame = 16 << 20
	// writeTimeout bounds a write to a client that stopped reading.
	writeTimeout = 30 * time.Second
	// clientIndexBit marks socket clients' indexes, as VPP's socket
	// registrations have it (the first client is 0x80000001).
	clientIndexBit = 0x80000000
)

// vppPointer is what the simulator puts in header bytes 0..8: VPP puts an
// internal pointer there and receivers must ignore it, so the simulator
// sends one too (sockclnt_create_reply is the exception: zeros, as seen).
var vppPointer = [8]byte{0x80, 0xc2, 0x06, 0x30, 0x01, 0x00, 0x00, 0x00}

// handler answers one message kind.
type handler struct {
	name string // name_crc
	new  func() api.Message
	fn   func(c *apiConn, context uint32, m api.Message)
}

// apiServer is the binary API socket of one VPP "run": closed and made anew
// by Restart.
type apiServer struct {
	sim  *Sim
	log  logrus.FieldLogger
	ln   *net.UnixListener
	path string

	mu      sync.Mutex
	conns   map[uint32]*apiConn // by client index
	closed  bool
	done    chan struct{}     // closed by close: ends the waits of a stall
	eventTo map[uint32]uint32 // want_interface_events: client index -> pid as sent (raw)

	wg sync.WaitGroup
}

// apiConn is one connected client.
type apiConn struct {
	srv   *apiServer
	nc    *net.UnixConn
	index uint32

	wmu sync.Mutex
	w   *bufio.Writer
	err error // sticky write error
}

func listenUnix(path string) (*net.UnixListener, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("removing stale socket %s: %w", path, err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	return ln, nil
}

func newAPIServer(s *Sim, path string) (*apiServer, error) {
	ln, err := listenUnix(path)
	if err != nil {
		return nil, err
	}
	srv := &apiServer{
		sim:     s,
		log:     s.log.WithField("socket", "api"),
		ln:      ln,
		path:    path,
		conns:   make(map[uint32]*apiConn),
		eventTo: make(map[uint32]uint32),
		done:    make(chan struct{}),
	}
	srv.wg.Add(1)
	go srv.acceptLoop()
	return srv, nil
}

func (srv *apiServer) acceptLoop() {
	defer srv.wg.Done()
	for {
		nc, err := srv.ln.AcceptUnix()
		if err != nil {
			srv.mu.Lock()
			closed := srv.closed
			srv.mu.Unlock()
			if !closed {
				srv.log.WithError(err).Warn("accept failed; API socket closed")
			}
			return
		}
		c := &apiConn{srv: srv, nc: nc, w: bufio.NewWriterSize(nc, 64<<10)}
		srv.mu.Lock()
		if srv.closed {
			srv.mu.Unlock()
			_ = nc.Close()
			return
		}
		// Like a vppinfra pool: the lowest free registration index.
		for i := uint32(1); ; i++ {
			if _, used := srv.conns[clientIndexBit|i]; !used {
				c.index = clientIndexBit | i
				break
			}
		}
		srv.conns[c.index] = c
		srv.mu.Unlock()
		srv.wg.Add(1)
		go srv.serve(c)
	}
}

// close ends the socket like a VPP exit: listener and every client closed,
// the socket file removed unless killed (a killed VPP leaves it behind).
func (srv *apiServer) close(killed bool) {
	srv.mu.Lock()
	if !srv.closed {
		close(srv.done)
	}
	srv.closed = true
	conns := make([]*apiConn, 0, len(srv.conns))
	for _, c := range srv.conns {
		conns = append(conns, c)
	}
	srv.mu.Unlock()
	srv.ln.SetUnlinkOnClose(false)
	_ = srv.ln.Close()
	for _, c := range conns {
		_ = c.nc.Close()
	}
	srv.wg.Wait()
	if !killed {
		_ = os.Remove(srv.path)
	}
}

// serve reads frames: the 16-byte header, then exactly the announced
// length. Anything the header says beyond the length is ignored, as VPP
// does.
func (srv *apiServer) serve(c *apiConn) {
	defer srv.wg.Done()
	defer func() {
		srv.mu.Lock()
		delete(srv.conns, c.index)
		delete(srv.eventTo, c.index)
		srv.sim.dropNeighborClient(c)
		srv.mu.Unlock()
		_ = c.nc.Close()
	}()
	r := bufio.NewReaderSize(c.nc, 64<<10)
	var hdr [headerLen]byte
	buf := make([]byte, 4096)
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				srv.log.WithError(err).Debug("client read failed")
			}
			return
		}
		n := binary.BigEndian.Uint32(hdr[8:12])
		if n > maxFrame {
			srv.log.Warnf("client %#x announced a %d-byte message; closing it", c.index, n)
			return
		}
		if int(n) > cap(buf) {
			buf = make([]byte, n)
		}
		frame := buf[:n]
		if _, err := io.ReadFull(r, frame); err != nil {
			srv.log.WithError(err).Debug("client read failed mid-message")
			return
		}
		if len(frame) >= 2 {
			srv.sim.apiN.count(binary.BigEndian.Uint16(frame), len(frame))
		}
		// A stalled VPP main thread answers nothing; what it answered
		// before goes out first, what it reads waits, in order.
		if end := srv.sim.faults.stallGate(); end != nil {
			if err := c.flush(); err != nil {
				srv.log.WithError(err).Debug("client write failed")
				return
			}
			select {
			case <-end:
			case <-srv.done:
				return
			}
		}
		srv.dispatch(c, frame)
		if r.Buffered() == 0 {
			if err := c.flush(); err != nil {
				srv.log.WithError(err).Debug("client write failed")
				return
			}
		}
		if c.closing() {
			return
		}
	}
}

// dispatch hands one message to its handler. Unknown ids and messages
// shorter than their type are logged and dropped, as VPP's
// msg_handler_internal does: no reply, and the stream stays in step.
func (srv *apiServer) dispatch(c *apiConn, frame []byte) {
	if len(frame) < 2 {
		srv.log.Warnf("runt message (%d bytes) from client %#x dropped", len(frame), c.index)
		return
	}
	id := binary.BigEndian.Uint16(frame)
	h := srv.sim.handlers[id]
	if h == nil {
		srv.log.Warnf("no handler for msg id %d", id)
		return
	}
	m := h.new()
	if err := codec.DecodeMsg(frame, m); err != nil {
		srv.log.Warnf("Truncated message '%s' (id %d) received, %d bytes, message dropped: %v", h.name, id, len(frame), err)
		return
	}
	var context uint32
	switch m.GetMessageType() {
	case api.RequestMessage:
		if len(frame) >= 10 {
			context = binary.BigEndian.Uint32(frame[6:10])
		}
	case api.ReplyMessage, api.EventMessage:
		if len(frame) >= 6 {
			context = binary.BigEndian.Uint32(frame[2:6])
		}
	}
	// VPP answers a socket client on its own socket whatever client_index
	// the message carries, so the simulator does not check it either.
	h.fn(c, context, m)
}

// send encodes a message with govpp's codec and queues it on the
// connection. For replies the context goes where the message type puts it.
func (c *apiConn) send(context uint32, m api.Message) {
	id, ok := c.srv.sim.table.MsgID(m)
	if !ok {
		c.srv.log.Warnf("cannot send %s_%s: not in the message table", m.GetMessageName(), m.GetCrcString())
		return
	}
	data, err := codec.EncodeMsg(m, id)
	if err != nil {
		c.srv.log.WithError(err).Errorf("encoding %s", m.GetMessageName())
		return
	}
	switch m.GetMessageType() {
	case api.RequestMessage:
		binary.BigEndian.PutUint32(data[6:10], context)
	case api.ReplyMessage:
		binary.BigEndian.PutUint32(data[2:6], context)
	}
	c.write(data, vppPointer, true)
}

// write queues one frame (header + data) and counts its message. A reply
// (anything but an event) takes the armed frame fault, if any: a short
// frame claims and carries 2 bytes, a huge one claims 0xffffffff and
// carries 6.
func (c *apiConn) write(data []byte, ptr [8]byte, reply bool) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.err != nil {
		return
	}
	claim := uint32(len(data))
	if reply {
		f := &c.srv.sim.faults
		switch {
		case f.take(FaultShortFrame):
			data = data[:min(len(data), shortFrameLen)]
			claim = uint32(len(data))
			c.srv.log.Infof("fault short-frame: a %d-byte frame to client %#x", claim, c.index)
		case f.take(FaultHugeFrame):
			claim, data = hugeFrameLen, data[:min(len(data), hugeFrameData)]
			c.srv.log.Infof("fault huge-frame: a frame claiming %d bytes to client %#x", claim, c.index)
		}
	}
	var hdr [headerLen]byte
	copy(hdr[:8], ptr[:])
	binary.BigEndian.PutUint32(hdr[8:12], claim)
	_ = c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := c.w.Write(hdr[:]); err != nil {
		c.err = err
		return
	}
	if _, err := c.w.Write(data); err != nil {
		c.err = err
		return
	}
	if len(data) >= 2 {
		c.srv.sim.apiN.count(binary.BigEndian.Uint16(data), len(data))
	}
}

func (c *apiConn) flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.err != nil {
		return c.err
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	if err := c.w.Flush(); err != nil {
		c.err = err
	}
	return c.err
}

// errClosing marks a connection that asked to go (sockclnt_delete);
// errAborted one that the api-close fault ends.
var (
	errClosing = errors.New("client deleted its registration")
	errAborted = errors.New("connection closed by the api-close fault")
)

func (c *apiConn) closing() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return errors.Is(c.err, errClosing) || errors.Is(c.err, errAborted)
}

// abort flushes what is queued and ends the connection there: nothing
// more is read or sent on it.
func (c *apiConn) abort() {
	_ = c.flush()
	c.wmu.Lock()
	c.err = errAborted
	c.wmu.Unlock()
}

// markClosing flushes what is queued and ends the connection after it.
func (c *apiConn) markClosing() {
	if err := c.flush(); err != nil {
		return
	}
	c.wmu.Lock()
	c.err = errClosing
	c.wmu.Unlock()
}

// eventTargets returns the registered clients in pool order.
func (srv *apiServer) eventTargets() []eventTarget {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	out := make([]eventTarget, 0, len(srv.eventTo))
	for idx, pid := range srv.eventTo {
		if c := srv.conns[idx]; c != nil {
			out = append(out, eventTarget{c: c, pid: pid})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].c.index < out[j].c.index })
	return out
}

type eventTarget struct {
	c   *apiConn
	pid uint32
}
