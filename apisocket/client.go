package apisocket

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
	"go.fd.io/govpp/adapter"
)

// ErrNotConnected is returned (wrapped) by SendMsg without a connection, and
// by Err before Connect and after Disconnect.
var ErrNotConnected = errors.New("not connected to the VPP API socket")

// errDisconnected is why a connection ended when Disconnect ended it.
var errDisconnected = errors.New("disconnected on request")

const (
	// DefaultClientName is the name VPP shows for the registration
	// (`show api clients`).
	DefaultClientName = "vpp-snmp-agent"
	// DefaultConnectTimeout bounds dialling and the sockclnt_create
	// handshake.
	DefaultConnectTimeout = 3 * time.Second
	// DefaultWriteTimeout bounds one message write: a VPP that stops
	// reading must not hold govpp's sender for ever.
	DefaultWriteTimeout = 5 * time.Second

	// disconnectWait is how long Disconnect lets VPP answer sockclnt_delete
	// and close its end, so VPP does not log a write to a closed socket.
	disconnectWait = 100 * time.Millisecond
	// readBuffer batches small frames (a dump's details) into few reads.
	readBuffer = 64 << 10
	// pollReady is how often WaitReady looks for the socket file.
	pollReady = 50 * time.Millisecond
)

// Option configures a Client.
type Option func(*Client)

// WithLogger sets where the client logs (default: a new logrus logger on
// stderr).
func WithLogger(l logrus.FieldLogger) Option { return func(c *Client) { c.log = l } }

// WithClientName sets the name sent in sockclnt_create (default
// DefaultClientName; VPP keeps 63 bytes of it).
func WithClientName(name string) Option { return func(c *Client) { c.name = name } }

// WithConnectTimeout bounds Connect: dialling and the handshake (default
// DefaultConnectTimeout). WaitReady waits as long for the socket file.
func WithConnectTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.connectTimeout = d
		}
	}
}

// WithWriteTimeout bounds each message write (default DefaultWriteTimeout).
// A write that times out ends the connection: part of a frame may be out.
func WithWriteTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.writeTimeout = d
		}
	}
}

// Client is a connection to VPP's binary API socket, as govpp's
// adapter.VppAPI. Connect may follow Disconnect (govpp reconnects with the
// same adapter). Its methods are safe for concurrent use.
type Client struct {
	path           string
	name           string
	log            logrus.FieldLogger
	connectTimeout time.Duration
	writeTimeout   time.Duration

	cb atomic.Pointer[adapter.MsgCallback]

	mu  sync.Mutex
	cur *conn // nil when not connected
}

var _ adapter.VppAPI = (*Client)(nil)

// New returns a Client for the API socket at path (e.g. /run/vpp/api.sock).
// It does nothing until Connect.
func New(path string, opts ...Option) *Client {
	c := &Client{
		path:           path,
		name:           DefaultClientName,
		connectTimeout: DefaultConnectTimeout,
		writeTimeout:   DefaultWriteTimeout,
	}
	for _, o := range opts {
		o(c)
	}
	if c.log == nil {
		c.log = logrus.New()
	}
	c.log = c.log.WithField("component", "apisocket")
	return c
}

// conn is one connection: the socket, what the handshake gave, and how it
// ended.
type conn struct {
	nc     net.Conn
	index  uint32            // client index VPP gave us
	table  map[string]uint16 // name_crc -> message id
	delID  uint16            // sockclnt_delete's id; 0 when VPP lacks it
	log    logrus.FieldLogger
	wmu    sync.Mutex
	whdr   [headerSize]byte // the write header, under wmu
	wto    time.Duration
	ending atomic.Bool // Disconnect under way: deliver nothing more

	endOnce sync.Once
	err     error         // why it ended; set before ended is closed
	ended   chan struct{} // closed when the connection has ended
	reader  chan struct{} // closed when the reader has returned
}

// SetMsgCallback sets the function given every message from VPP, on the
// reader goroutine; data is valid only until it returns.
func (c *Client) SetMsgCallback(cb adapter.MsgCallback) { c.cb.Store(&cb) }

// WaitReady waits, up to the connect timeout, for the socket file to exist.
func (c *Client) WaitReady() error {
	deadline := time.Now().Add(c.connectTimeout)
	for {
		_, err := os.Stat(c.path)
		if err == nil {
			return nil
		}
		if !errors.Is(err, os.ErrNotExist) || time.Now().After(deadline) {
			return fmt.Errorf("waiting for the VPP API socket: %w", err)
		}
		time.Sleep(pollReady)
	}
}

// Connect dials the socket, registers with sockclnt_create and starts the
// reader. It fails if already connected.
func (c *Client) Connect() error {
	c.mu.Lock()
	busy := c.cur != nil
	c.mu.Unlock()
	if busy {
		return fmt.Errorf("connecting to %s: already connected", c.path)
	}
	cn, fr, err := c.dial()
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", c.path, err)
	}
	c.mu.Lock()
	if c.cur != nil {
		c.mu.Unlock()
		_ = cn.nc.Close()
		return fmt.Errorf("connecting to %s: already connected", c.path)
	}
	c.cur = cn
	c.mu.Unlock()
	go c.readLoop(cn, fr)
	return nil
}

// dial connects and makes the handshake, all within the connect timeout.
func (c *Client) dial() (*conn, *frameReader, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.connectTimeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", c.path)
	if err != nil {
		return nil, nil, err
	}
	cn, fr, err := c.handshake(ctx, nc)
	if err != nil {
		_ = nc.Close()
		return nil, nil, err
	}
	return cn, fr, nil
}

// createContext is the context of our sockclnt_create; VPP echoes it.
const createContext = 123

func (c *Client) handshake(ctx context.Context, nc net.Conn) (*conn, *frameReader, error) {
	deadline, _ := ctx.Deadline()
	if err := nc.SetDeadline(deadline); err != nil {
		return nil, nil, fmt.Errorf("setting the handshake deadline: %w", err)
	}
	req := encodeCreate(c.name, createContext)
	var hdr [headerSize]byte
	binary.BigEndian.PutUint32(hdr[8:12], uint32(len(req)))
	if _, err := (&net.Buffers{hdr[:], req}).WriteTo(nc); err != nil {
		return nil, nil, fmt.Errorf("sending sockclnt_create: %w", err)
	}
	fr := &frameReader{r: bufio.NewReaderSize(nc, readBuffer)}
	p, err := fr.next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, nil, fmt.Errorf("reading sockclnt_create_reply: %w", err)
	}
	reply, err := parseCreateReply(p)
	if err != nil {
		return nil, nil, err
	}
	if reply.context != createContext {
		return nil, nil, fmt.Errorf("sockclnt_create_reply: context %d, want %d (not an answer to our sockclnt_create)", reply.context, createContext)
	}
	if reply.response != 0 {
		return nil, nil, fmt.Errorf("sockclnt_create_reply: VPP refused the registration (response %d)", reply.response)
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		return nil, nil, fmt.Errorf("clearing the handshake deadline: %w", err)
	}
	cn := &conn{
		nc:     nc,
		index:  reply.index,
		table:  reply.table,
		delID:  reply.deleteID,
		wto:    c.writeTimeout,
		ended:  make(chan struct{}),
		reader: make(chan struct{}),
	}
	cn.log = c.log.WithField("client_index", fmt.Sprintf("%#x", cn.index))
	cn.log.WithField("messages", len(reply.table)).Debug("registered with VPP")
	return cn, fr, nil
}

// readLoop delivers frames until the connection ends.
func (c *Client) readLoop(cn *conn, fr *frameReader) {
	defer close(cn.reader)
	for {
		p, err := fr.next()
		if err != nil {
			cn.end(fmt.Errorf("reading from VPP: %w", err))
			return
		}
		if cn.ending.Load() {
			continue // the answer to sockclnt_delete is nobody's reply
		}
		if err := c.deliver(p); err != nil {
			cn.end(err)
			return
		}
	}
}

// deliver hands one message to the callback. A panic there comes from
// decoding a message VPP sent (govpp's core reads a request-shaped
// message's context at bytes 6..10 without a length check); it ends this
// connection rather than the process.
func (c *Client) deliver(p []byte) (err error) {
	cb := c.cb.Load()
	if cb == nil {
		return nil
	}
	id := binary.BigEndian.Uint16(p)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handling message id %d (%d bytes) from VPP: panic: %v", id, len(p), r)
			c.log.WithField("stack", string(debug.Stack())).Debug(err)
		}
	}()
	(*cb)(id, p)
	return nil
}

// end ends the connection once: it records and logs why, then closes the
// socket (so the reader returns and VPP sees the client go).
func (cn *conn) end(err error) {
	cn.endOnce.Do(func() {
		cn.err = err
		switch {
		case cn.ending.Load():
			cn.log.WithError(err).Debug("API connection closed")
		case errors.Is(err, io.EOF):
			cn.log.Info("VPP closed the API connection")
		default:
			cn.log.WithError(err).Warn("API connection ended")
		}
		close(cn.ended)
		_ = cn.nc.Close()
	})
}

// write sends one frame under the write deadline. A failed write ends the
// connection: the peer may have part of a frame, so the stream is lost.
func (cn *conn) write(data []byte) error {
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	select {
	case <-cn.ended:
		return fmt.Errorf("connection ended: %w", cn.err)
	default:
	}
	if len(data) > MaxPayload {
		return fmt.Errorf("a %d-byte message is over the %d-byte cap", len(data), MaxPayload)
	}
	binary.BigEndian.PutUint32(cn.whdr[8:12], uint32(len(data)))
	if err := cn.nc.SetWriteDeadline(time.Now().Add(cn.wto)); err != nil {
		err = fmt.Errorf("setting the write deadline: %w", err)
		cn.end(err)
		return err
	}
	if _, err := (&net.Buffers{cn.whdr[:], data}).WriteTo(cn.nc); err != nil {
		err = fmt.Errorf("writing a %d-byte message: %w", len(data), err)
		cn.end(err)
		if cn.err != err {
			// The reader ended it first (and closed the socket under
			// us): its reason is the one worth reporting.
			return fmt.Errorf("connection ended: %w", cn.err)
		}
		return err
	}
	return nil
}

// Disconnect unregisters (sockclnt_delete), closes the socket and waits for
// the reader to return. It is a no-op when not connected.
func (c *Client) Disconnect() error {
	c.mu.Lock()
	cn := c.cur
	c.cur = nil
	c.mu.Unlock()
	if cn == nil {
		return nil
	}
	cn.ending.Store(true)
	// A failed write means the connection has ended: VPP drops the
	// registration of a closed socket by itself.
	if cn.delID != 0 && cn.write(encodeDelete(cn.delID, cn.index)) == nil {
		// VPP answers and closes its end; the reader sees it.
		t := time.NewTimer(disconnectWait)
		select {
		case <-cn.ended:
		case <-t.C:
		}
		t.Stop()
	}
	cn.end(errDisconnected)
	<-cn.reader
	return nil
}

func (c *Client) current() *conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur
}

// GetMsgID returns the id VPP gave the message name_crc at connect.
func (c *Client) GetMsgID(msgName, msgCrc string) (uint16, error) {
	if cn := c.current(); cn != nil {
		if id, ok := cn.table[msgName+"_"+msgCrc]; ok {
			return id, nil
		}
	}
	return 0, &adapter.UnknownMsgError{MsgName: msgName, MsgCrc: msgCrc}
}

// SendMsg sends one encoded request, after writing our client index and
// context into its header (bytes 2..6 and 6..10), as VPP expects.
func (c *Client) SendMsg(context uint32, data []byte) error {
	if len(data) < requestHeaderSize {
		return fmt.Errorf("sending a message: %d bytes is shorter than a request header (%d)", len(data), requestHeaderSize)
	}
	cn := c.current()
	if cn == nil {
		return fmt.Errorf("sending a message: %w", ErrNotConnected)
	}
	binary.BigEndian.PutUint32(data[2:6], cn.index)
	binary.BigEndian.PutUint32(data[6:10], context)
	if err := cn.write(data); err != nil {
		return fmt.Errorf("sending message id %d: %w", binary.BigEndian.Uint16(data), err)
	}
	return nil
}

// Err says why the connection ended: nil while it is up, ErrNotConnected
// when there is none (before Connect, after Disconnect).
func (c *Client) Err() error {
	cn := c.current()
	if cn == nil {
		return ErrNotConnected
	}
	select {
	case <-cn.ended:
		return cn.err
	default:
		return nil
	}
}

// Done is closed when the current connection ends (at once if there is
// none); Err then says why.
func (c *Client) Done() <-chan struct{} {
	if cn := c.current(); cn != nil {
		return cn.ended
	}
	ch := make(chan struct{})
	close(ch)
	return ch
}
