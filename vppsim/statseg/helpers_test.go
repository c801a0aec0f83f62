package statseg

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.fd.io/govpp/adapter/statsclient"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/core"
	"golang.org/x/sys/unix"
)

// serve starts s.Serve on a socket in t.TempDir and waits until it accepts.
func serve(t testing.TB, s *Segment) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stats.sock")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, path) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("socket %s left behind after Serve returned (stat: %v)", path, err)
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("unixpacket", path)
		if err == nil {
			_ = c.Close()
			return path
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats socket %s never accepted: %v", path, err)
		}
		time.Sleep(time.Millisecond)
	}
}

// connect opens a govpp stats connection as the agent does, closed at the
// end of the test.
func connect(t testing.TB, path string) *core.StatsConnection {
	t.Helper()
	conn, err := dial(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Disconnect)
	return conn
}

// dial opens a govpp stats connection; the caller disconnects it, once
// (govpp's Disconnect panics the second time).
func dial(path string) (*core.StatsConnection, error) {
	conn, err := core.ConnectStats(statsclient.NewStatsClient(path))
	if err != nil {
		return nil, fmt.Errorf("govpp ConnectStats(%s): %w", path, err)
	}
	return conn, nil
}

func ifaceStats(t testing.TB, conn *core.StatsConnection) []api.InterfaceCounters {
	t.Helper()
	var st api.InterfaceStats
	if err := conn.GetInterfaceStats(&st); err != nil {
		t.Fatalf("govpp GetInterfaceStats: %v", err)
	}
	return st.Interfaces
}

// fetch gets the memfd from the socket as a client does, independently of
// govpp, checks that the message has no payload byte (as VPP sends it), and
// returns a private copy of the segment.
func fetch(t testing.TB, path string) []byte {
	t.Helper()
	return mapped(t, path, bytes.Clone)
}

// fetchHeader is fetch of the shared header's six words only (a copy of a
// large segment is slow under -race).
func fetchHeader(t testing.TB, path string) []byte {
	t.Helper()
	return mapped(t, path, func(m []byte) []byte { return bytes.Clone(m[:48]) })
}

// mapped receives the memfd as fetch does and returns what cp makes of
// its mapping.
func mapped(t testing.TB, path string, cp func([]byte) []byte) []byte {
	t.Helper()
	sock, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(sock)
	if err := unix.Connect(sock, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatalf("connecting to %s: %v", path, err)
	}
	buf := make([]byte, 16)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(sock, buf, oob, 0)
	if err != nil {
		t.Fatalf("recvmsg: %v", err)
	}
	if n != 0 {
		t.Errorf("stats socket sent %d payload bytes, VPP sends 0", n)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("control messages: %v %d", err, len(msgs))
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		t.Fatalf("unix rights: %v %v", err, fds)
	}
	defer unix.Close(fds[0])
	var st unix.Stat_t
	if err := unix.Fstat(fds[0], &st); err != nil {
		t.Fatal(err)
	}
	m, err := unix.Mmap(fds[0], 0, int(st.Size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	return cp(m)
}

func fixtureImage(t testing.TB) []byte {
	t.Helper()
	f, err := os.Open("testdata/stats_segment.bin.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A small stats segment parser, independent of the package's writer and of
// govpp, used to check layouts against the real capture.

type pEntry struct {
	index uint32
	typ   uint32
	union uint64
	name  string
}

type parsed struct {
	b       []byte
	version uint64
	base    uint64
	epoch   uint64
	inProg  uint64
	word6   uint64
	entries []pEntry
}

func le64(b []byte, off uint64) uint64 { return binary.LittleEndian.Uint64(b[off:]) }

func parse(t testing.TB, b []byte) *parsed {
	t.Helper()
	p := &parsed{b: b, version: le64(b, 0), base: le64(b, 8), epoch: le64(b, 16), inProg: le64(b, 24), word6: le64(b, 40)}
	dir := p.off(t, le64(b, 32))
	n := p.vlen(t, dir)
	for i := uint32(0); i < n; i++ {
		e := dir + uint64(i)*144
		name := b[e+16 : e+144]
		if j := bytes.IndexByte(name, 0); j >= 0 {
			name = name[:j]
		} else {
			t.Fatalf("entry %d: name without NUL", i)
		}
		p.entries = append(p.entries, pEntry{i, binary.LittleEndian.Uint32(b[e:]), le64(b, e+8), string(name)})
	}
	return p
}

// off translates a VPP pointer to an offset in the image.
func (p *parsed) off(t testing.TB, ptr uint64) uint64 {
	t.Helper()
	if ptr < p.base+8 || ptr-p.base >= uint64(len(p.b)) {
		t.Fatalf("pointer %#x outside the segment (base %#x, %d bytes)", ptr, p.base, len(p.b))
	}
	return ptr - p.base
}

func (p *parsed) vlen(t testing.TB, off uint64) uint32 {
	t.Helper()
	return binary.LittleEndian.Uint32(p.b[off-8:])
}

// vhdr is the vector header word's bytes 4..5 (hdr_size, log2_align).
func (p *parsed) vhdr(off uint64) [2]byte { return [2]byte{p.b[off-4], p.b[off-3]} }

func (p *parsed) byName(name string) (pEntry, bool) {
	for _, e := range p.entries {
		if e.name == name {
			return e, true
		}
	}
	return pEntry{}, false
}

// counterVec returns a simple (elem 8) or combined (elem 16) counter's
// values as [thread][index][]uint64.
func (p *parsed) counterVec(t testing.TB, e pEntry) [][][]uint64 {
	t.Helper()
	outer := p.off(t, e.union)
	elem := uint64(1)
	if e.typ == typeCombined {
		elem = 2
	}
	var out [][][]uint64
	for th := uint64(0); th < uint64(p.vlen(t, outer)); th++ {
		inner := p.off(t, le64(p.b, outer+8*th))
		var vals [][]uint64
		for i := uint64(0); i < uint64(p.vlen(t, inner)); i++ {
			var v []uint64
			for k := uint64(0); k < elem; k++ {
				v = append(v, le64(p.b, inner+8*(i*elem+k)))
			}
			vals = append(vals, v)
		}
		out = append(out, vals)
	}
	return out
}

// names returns a name vector's strings, checking each string vector's
// length is strlen+1 as VPP writes it.
func (p *parsed) names(t testing.TB, e pEntry) []string {
	t.Helper()
	v := p.off(t, e.union)
	var out []string
	for i := uint64(0); i < uint64(p.vlen(t, v)); i++ {
		sp := le64(p.b, v+8*i)
		if sp == 0 {
			out = append(out, "")
			continue
		}
		so := p.off(t, sp)
		n := uint64(p.vlen(t, so))
		s := p.b[so : so+n]
		if n == 0 || s[n-1] != 0 || bytes.IndexByte(s, 0) != int(n-1) {
			t.Errorf("%s[%d]: string vector %q is not strlen+1 with one NUL", e.name, i, s)
		}
		out = append(out, string(bytes.TrimRight(s, "\x00")))
	}
	return out
}

// numbered is n interface names, format (one %d) filled with 0..n-1.
func numbered(format string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i)
	}
	return out
}
