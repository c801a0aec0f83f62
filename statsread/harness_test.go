package statsread

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/sirupsen/logrus"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim/statseg"
)

func quietLogger() logrus.FieldLogger {
	l := logrus.New()
	l.Out = io.Discard
	return l
}

// vpp is a stats segment served on a socket: the stats half of a VPP.
type vpp struct {
	seg    *statseg.Segment
	path   string
	cancel context.CancelFunc
	done   chan error
}

// serveSeg serves seg at path (a new socket in t.TempDir when empty) and
// waits until it accepts. stop (also run at cleanup) stops serving,
// removing the socket as VPP does at exit.
func serveSeg(t testing.TB, seg *statseg.Segment, path string) *vpp {
	t.Helper()
	if path == "" {
		dir := filepath.Join(t.TempDir(), "run")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path = filepath.Join(dir, "stats.sock")
	}
	ctx, cancel := context.WithCancel(context.Background())
	v := &vpp{seg: seg, path: path, cancel: cancel, done: make(chan error, 1)}
	go func() { v.done <- seg.Serve(ctx, path) }()
	t.Cleanup(func() { v.stop(t) })
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("unixpacket", path)
		if err == nil {
			_ = c.Close()
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats socket %s never accepted: %v", path, err)
		}
		time.Sleep(time.Millisecond)
	}
}

func (v *vpp) stop(t testing.TB) {
	if v.cancel == nil {
		return
	}
	v.cancel()
	v.cancel = nil
	if err := <-v.done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	_ = v.seg.Close()
}

// newSim builds a segment with the given interface names and threads.
func newSim(t testing.TB, names []string, opts ...statseg.Option) *statseg.Segment {
	t.Helper()
	seg, err := statseg.New(append([]statseg.Option{statseg.WithCapacity(max(len(names), 1))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := seg.SetInterfaces(names); err != nil {
		t.Fatal(err)
	}
	return seg
}

func ifNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = "TenGigabitEthernet" + itoa(i/4) + "/0/" + itoa(i%4)
	}
	return names
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	p := len(b)
	for ; i > 0; i /= 10 {
		p--
		b[p] = byte('0' + i%10)
	}
	return string(b[p:])
}

func fixtureImage(t testing.TB) []byte {
	t.Helper()
	f, err := os.Open("testdata/stats_segment.bin.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 32<<20 {
		t.Fatalf("fixture segment is %d bytes, want 32 MiB", len(b))
	}
	return b
}

// mapServed receives the segment from the socket, as any stats client
// does, and maps it writable: a test can then change the header under the
// reader the way VPP does.
func mapServed(t testing.TB, path string) []byte {
	t.Helper()
	c, err := net.Dial("unixpacket", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	oob := make([]byte, syscall.CmsgSpace(4))
	_, oobn, _, _, err := c.(*net.UnixConn).ReadMsgUnix(make([]byte, 1), oob)
	if err != nil && oobn == 0 { // no payload byte: io.EOF with the rights
		t.Fatal(err)
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("control messages %v: %v", msgs, err)
	}
	fds, err := syscall.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		t.Fatalf("rights %v: %v", fds, err)
	}
	defer syscall.Close(fds[0])
	var st syscall.Stat_t
	if err := syscall.Fstat(fds[0], &st); err != nil {
		t.Fatal(err)
	}
	m, err := syscall.Mmap(fds[0], 0, int(st.Size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Munmap(m) })
	return m
}

// hdrDirectory is the header word of a version 2 segment that points at
// the directory.
const hdrDirectory = hdrDirVector

// word points at a header word of a mapping, for atomic access.
func word(m []byte, off int) *atomic.Uint64 { return (*atomic.Uint64)(unsafe.Pointer(&m[off])) }

// lingeringSocket leaves a socket file nobody listens on at path, as a VPP
// killed with SIGKILL does.
func lingeringSocket(t testing.TB, path string) {
	t.Helper()
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	_ = ln.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

func isNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }
