package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"unsafe"
)

// conn is a blocking unix stream socket used through raw read/write(2).
type conn struct {
	fd int
	// raw uses RawSyscall, which does not tell the Go scheduler that the
	// thread blocks: the cheapest path, acceptable because the floor runs one
	// goroutine and, allocating nothing once serving, never needs a GC (a
	// stop-the-world would wait for the next PDU).
	raw bool
	buf [2 * maxPDU]byte
	r   int // start of unread bytes in buf
	w   int // end of unread bytes in buf
}

func dial(path string, raw bool) (*conn, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("creating unix socket: %w", err)
	}
	if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("connecting to %s: %w", path, err)
	}
	return &conn{fd: fd, raw: raw}, nil
}

func (c *conn) sys(trap uintptr, p []byte) (int, error) {
	for {
		var n uintptr
		var e syscall.Errno
		if c.raw {
			n, _, e = syscall.RawSyscall(trap, uintptr(c.fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		} else {
			n, _, e = syscall.Syscall(trap, uintptr(c.fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		}
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return int(n), nil
	}
}

// readPDU returns the next whole PDU (header and payload); it aliases c.buf
// and is valid until the next call.
func (c *conn) readPDU() ([]byte, error) {
	need := headerLen
	for {
		if avail := c.w - c.r; avail >= headerLen {
			plen := int(be.Uint32(c.buf[c.r+16:]))
			if c.buf[c.r+2]&flagNetworkByteOrder == 0 {
				plen = int(uint32(c.buf[c.r+16]) | uint32(c.buf[c.r+17])<<8 | uint32(c.buf[c.r+18])<<16 | uint32(c.buf[c.r+19])<<24)
			}
			if plen > maxPDU-headerLen || plen%4 != 0 {
				return nil, fmt.Errorf("payload length %d: %w", plen, errFraming)
			}
			need = headerLen + plen
			if avail >= need {
				p := c.buf[c.r : c.r+need]
				c.r += need
				return p, nil
			}
		}
		if c.r == c.w {
			c.r, c.w = 0, 0
		} else if len(c.buf)-c.r < need {
			c.w = copy(c.buf[:], c.buf[c.r:c.w])
			c.r = 0
		}
		n, err := c.sys(syscall.SYS_READ, c.buf[c.w:])
		if err != nil {
			return nil, fmt.Errorf("reading from snmpd: %w", err)
		}
		if n == 0 {
			return nil, errors.New("snmpd closed the connection")
		}
		c.w += n
	}
}

func (c *conn) writeAll(p []byte) error {
	for len(p) > 0 {
		n, err := c.sys(syscall.SYS_WRITE, p)
		if err != nil {
			return fmt.Errorf("writing to snmpd: %w", err)
		}
		p = p[n:]
	}
	return nil
}

// request sends a PDU of ours and waits for snmpd's Response to it; it
// returns the Response's session id.
func (c *conn) request(typ byte, session, packet uint32, payload []byte) (uint32, error) {
	pdu := []byte{1, typ, flagNetworkByteOrder, 0}
	pdu = be.AppendUint32(pdu, session)
	pdu = be.AppendUint32(pdu, 0)
	pdu = be.AppendUint32(pdu, packet)
	pdu = be.AppendUint32(pdu, uint32(len(payload)))
	if err := c.writeAll(append(pdu, payload...)); err != nil {
		return 0, err
	}
	resp, err := c.readPDU()
	if err != nil {
		return 0, err
	}
	if resp[1] != pduResponse || len(resp) < headerLen+8 || resp[2]&flagNetworkByteOrder == 0 {
		return 0, fmt.Errorf("unexpected PDU type %d flags %#x instead of a Response: %w", resp[1], resp[2], errFraming)
	}
	if e := be.Uint16(resp[headerLen+4:]); e != 0 {
		return 0, fmt.Errorf("snmpd answered PDU type %d with error %d", typ, e)
	}
	return be.Uint32(resp[4:]), nil
}

// open starts a session and registers ifTable and ifXTable at priority.
func (c *conn) open(priority byte) (uint32, error) {
	open := []byte{0, 0, 0, 0} // timeout: snmpd's default
	open = appendOID(open, []uint32{1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 2}, false)
	open = appendOctets(open, []byte("vpp-snmp-agent bench floor"))
	session, err := c.request(pduOpen, 0, 1, open)
	if err != nil {
		return 0, fmt.Errorf("opening the session: %w", err)
	}
	for i, subtree := range [][]uint32{ifEntry[:len(ifEntry)-1], ifXEntry[:len(ifXEntry)-1]} {
		reg := appendOID([]byte{0, priority, 0, 0}, subtree, false)
		if _, err := c.request(pduRegister, session, uint32(2+i), reg); err != nil {
			return 0, fmt.Errorf("registering %v: %w", subtree, err)
		}
	}
	return session, nil
}

// serve answers snmpd until it closes the session or the connection.
//
// gosched > 0 yields every gosched PDUs. A goroutine that blocks in
// syscall.Syscall read(2) without ever being rescheduled keeps its
// scheduler tick still, so the runtime's sysmon takes it for a long-running
// goroutine: every 10 ms it takes its P away (the read then returns to a
// futex hand-off) and sysmon polls again every 20 µs for a while, each poll
// a nanosleep context switch. A yield now and then moves the tick.
func (c *conn) serve(h *handler, gosched int) error {
	n := 0
	for {
		if n++; gosched > 0 && n >= gosched {
			n = 0
			runtime.Gosched()
		}
		req, err := c.readPDU()
		if err != nil {
			return err
		}
		resp, closed, err := h.handle(req)
		if err != nil {
			return fmt.Errorf("answering PDU type %d: %w", req[1], err)
		}
		if closed {
			return nil
		}
		if resp != nil {
			if err := c.writeAll(resp); err != nil {
				return err
			}
		}
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	addr := fs.String("agentx-addr", "unix:/var/agentx/master", "snmpd's AgentX socket, unix:PATH")
	rows := fs.Int("rows", 1000, "number of table rows (interfaces)")
	first := fs.Uint("first-index", 1001, "ifIndex of the first row")
	mode := fs.String("mode", "raw", "raw: RawSyscall read/write; syscall: syscall.Syscall (tells the scheduler)")
	priority := fs.Uint("priority", 100, "registration priority (lower wins; snmpd's own IF-MIB is 127)")
	gosched := fs.Int("gosched", 0, "yield (runtime.Gosched) every this many PDUs; 0: never (see serve)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rows < 0 || *rows > 1_000_000 || *priority > 255 || *first == 0 || *first > 1<<31 {
		return errors.New("rows must be 0..1000000, priority 0..255, first-index 1..2^31")
	}
	if *mode != "raw" && *mode != "syscall" {
		return fmt.Errorf("unknown mode %q", *mode)
	}
	path, ok := strings.CutPrefix(*addr, "unix:")
	if !ok && !strings.HasPrefix(*addr, "/") {
		return fmt.Errorf("agentx-addr %q: only unix sockets are supported", *addr)
	}
	h := &handler{mib: newFloorMIB(*rows, uint32(*first))}

	// One goroutine on one thread does everything; with nothing allocated
	// from here on, turning the GC off removes the only reason to stop it.
	runtime.LockOSThread()
	c, err := dial(path, *mode == "raw")
	if err != nil {
		return err
	}
	defer syscall.Close(c.fd)
	if _, err := c.open(byte(*priority)); err != nil {
		return err
	}
	debug.FreeOSMemory() // a GC that also returns the build garbage to the OS
	debug.SetGCPercent(-1)
	fmt.Fprintf(os.Stderr, "floor: serving %d rows (ifIndex %d..) on %s, mode %s\n", *rows, *first, path, *mode)
	return c.serve(h, *gosched)
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}
