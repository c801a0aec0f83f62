package statsread

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"unsafe"
)

// This file is a test stand-in for VPP's stats side: a builder of version 2
// stats segments (the layout of DESIGN.md section 2 and the fixture README)
// and a server that hands a segment's descriptor out over a SEQPACKET
// socket with SCM_RIGHTS, as VPP's stats.sock does.

const (
	segBase     = 0x7f3a00000000 // VPP's address of the segment; pointers are base-relative
	dirEntrySz  = 144
	headerWords = 6
)

type dirEntry struct {
	typ   uint32
	union uint64
	name  string
}

// segment builds a stats segment image.
type segment struct {
	buf     []byte
	off     int
	entries []dirEntry
	// offsets of the counter vectors, to change values in place:
	// counters[name][thread] is the data offset of that thread's vector.
	counters map[string][]int
	dirVec   int
}

func newSegment(size int) *segment {
	return &segment{buf: make([]byte, size), off: 64, counters: map[string][]int{}}
}

func (s *segment) ptr(off int) uint64 { return segBase + uint64(off) }

// vec allocates a VPP vector of n elements of elem bytes and returns the
// offset of its data; the length is the u32 8 bytes before the data.
func (s *segment) vec(n, elem int) int {
	h := (s.off + 7) &^ 7
	data := h + 16
	s.off = data + n*elem
	if s.off > len(s.buf) {
		panic("segment too small")
	}
	binary.LittleEndian.PutUint32(s.buf[data-8:], uint32(n))
	return data
}

func (s *segment) put64(off int, v uint64) { binary.LittleEndian.PutUint64(s.buf[off:], v) }

// simple adds a simple counter vector: val(thread, index).
func (s *segment) simple(name string, threads, n int, val func(t, i int) uint64) {
	outer := s.vec(threads, 8)
	for t := range threads {
		inner := s.vec(n, 8)
		for i := range n {
			s.put64(inner+8*i, val(t, i))
		}
		s.put64(outer+8*t, s.ptr(inner))
		s.counters[name] = append(s.counters[name], inner)
	}
	s.entries = append(s.entries, dirEntry{typ: 2, union: s.ptr(outer), name: name})
}

// combined adds a combined counter vector: val(thread, index) = packets, bytes.
func (s *segment) combined(name string, threads, n int, val func(t, i int) (uint64, uint64)) {
	outer := s.vec(threads, 8)
	for t := range threads {
		inner := s.vec(n, 16)
		for i := range n {
			p, b := val(t, i)
			s.put64(inner+16*i, p)
			s.put64(inner+16*i+8, b)
		}
		s.put64(outer+8*t, s.ptr(inner))
		s.counters[name] = append(s.counters[name], inner)
	}
	s.entries = append(s.entries, dirEntry{typ: 3, union: s.ptr(outer), name: name})
}

func (s *segment) names(name string, names []string) {
	outer := s.vec(len(names), 8)
	for i, n := range names {
		v := s.vec(len(n)+1, 1) // NUL-terminated, as VPP formats them
		copy(s.buf[v:], n)
		s.put64(outer+8*i, s.ptr(v))
	}
	s.entries = append(s.entries, dirEntry{typ: 4, union: s.ptr(outer), name: name})
}

func (s *segment) scalar(name string, v uint64) {
	s.entries = append(s.entries, dirEntry{typ: 1, union: v, name: name})
}

// gauge adds a type-9 entry, which govpp v0.13.0 does not know.
func (s *segment) gauge(name string, v uint64) {
	s.entries = append(s.entries, dirEntry{typ: 9, union: v, name: name})
}

// finish writes the directory and the header and returns the image.
func (s *segment) finish(epoch uint64) []byte {
	s.dirVec = s.vec(len(s.entries), dirEntrySz)
	for i, e := range s.entries {
		o := s.dirVec + i*dirEntrySz
		binary.LittleEndian.PutUint32(s.buf[o:], e.typ)
		s.put64(o+8, e.union)
		copy(s.buf[o+16:o+16+127], e.name)
	}
	s.put64(0, 2) // version
	s.put64(8, segBase)
	s.put64(16, epoch)
	s.put64(24, 0) // in_progress
	s.put64(32, s.ptr(s.dirVec))
	s.put64(40, 0) // error vector (absent in 26.06)
	return s.buf
}

// testCounters describes a synthetic interface table.
type testCounters struct {
	n, threads int
	seed       uint64 // makes two segments' values differ
}

// interfaceSegment builds a segment shaped like VPP's: /sys/boottime, a
// type-9 gauge, /if/names and every /if/ counter (including ones the reader
// does not select). Values: a distinct number per counter, thread and index.
func interfaceSegment(tc testCounters, names []string) *segment {
	n := tc.n
	size := 1<<20 + n*tc.threads*(14*8+8*16) + n*64 + 64*dirEntrySz
	s := newSegment(size)
	s.scalar("/sys/boottime", 1795304893+tc.seed)
	s.gauge("/sys/vector_rate", 1)
	if names == nil {
		names = make([]string, n)
		for i := range names {
			names[i] = "TenGigabitEthernet" + itoa(i)
		}
	}
	s.names("/if/names", names)
	for k, name := range []string{"/if/drops", "/if/punt", "/if/ip4", "/if/ip6", "/if/rx-no-buf", "/if/rx-miss", "/if/rx-error", "/if/tx-error", "/if/mpls"} {
		s.simple(name, tc.threads, n, func(t, i int) uint64 { return simpleVal(tc.seed, k, t, i) })
	}
	for k, name := range []string{"/if/rx", "/if/rx-unicast", "/if/rx-multicast", "/if/rx-broadcast", "/if/tx", "/if/tx-unicast", "/if/tx-multicast", "/if/tx-broadcast"} {
		s.combined(name, tc.threads, n, func(t, i int) (uint64, uint64) {
			p := simpleVal(tc.seed, 100+k, t, i)
			return p, p * 64
		})
	}
	return s
}

func simpleVal(seed uint64, k, t, i int) uint64 {
	return seed*1_000_000_007 + uint64(k)*1_000_003 + uint64(t)*10_007 + uint64(i)
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

// statsServer serves a segment image on a stats socket.
type statsServer struct {
	t    *testing.T
	dir  string
	path string

	mu   sync.Mutex
	ln   *net.UnixListener
	file *os.File // the segment being served
	done chan struct{}
	quit bool // refuse: accept and close without a descriptor
}

// serveSegment writes image to a file (standing in for VPP's memfd: it is
// mapped the same way and has a device and inode) and serves it.
func serveSegment(t *testing.T, image []byte) *statsServer {
	t.Helper()
	dir := t.TempDir()
	s := &statsServer{t: t, dir: dir, path: filepath.Join(dir, "run", "stats.sock")}
	if err := os.Mkdir(filepath.Dir(s.path), 0o755); err != nil {
		t.Fatal(err)
	}
	s.start(image)
	t.Cleanup(s.stop)
	return s
}

func (s *statsServer) start(image []byte) {
	s.t.Helper()
	f, err := os.CreateTemp(s.dir, "segment-*")
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := f.Write(image); err != nil {
		s.t.Fatal(err)
	}
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: s.path, Net: "unixpacket"})
	if err != nil {
		s.t.Fatal(err)
	}
	s.mu.Lock()
	s.ln, s.file, s.done = ln, f, make(chan struct{})
	s.mu.Unlock()
	go s.accept(ln, f, s.done)
}

func (s *statsServer) accept(ln *net.UnixListener, f *os.File, done chan struct{}) {
	defer close(done)
	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			return
		}
		s.mu.Lock()
		refuse := s.quit
		s.mu.Unlock()
		if !refuse {
			_, _, _ = c.WriteMsgUnix(nil, syscall.UnixRights(int(f.Fd())), nil)
		}
		_ = c.Close()
	}
}

// stop stops serving, like a VPP exit: the socket file stays behind.
func (s *statsServer) stop() {
	s.mu.Lock()
	ln, f, done := s.ln, s.file, s.done
	s.ln = nil
	s.mu.Unlock()
	if ln == nil {
		return
	}
	ln.SetUnlinkOnClose(false)
	_ = ln.Close()
	<-done
	_ = f.Close()
}

// restart is a VPP restart: stop, remove the socket (as VPP does before it
// binds), serve a new segment. removeDir also removes the socket's
// directory, as systemd does with RuntimeDirectory= on stop.
func (s *statsServer) restart(image []byte, removeDir bool) {
	s.t.Helper()
	s.stop()
	if removeDir {
		if err := os.RemoveAll(filepath.Dir(s.path)); err != nil {
			s.t.Fatal(err)
		}
		if err := os.Mkdir(filepath.Dir(s.path), 0o755); err != nil {
			s.t.Fatal(err)
		}
	} else if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.t.Fatal(err)
	}
	s.start(image)
}

// mapRW maps the served segment writable, to change it under the reader
// the way VPP does.
func (s *statsServer) mapRW() []byte {
	s.t.Helper()
	s.mu.Lock()
	f := s.file
	s.mu.Unlock()
	st, err := f.Stat()
	if err != nil {
		s.t.Fatal(err)
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { _ = syscall.Munmap(m) })
	return m
}

// unsafePointer points into a mapping, for atomic access to header words.
func unsafePointer(b []byte, off int) unsafe.Pointer { return unsafe.Pointer(&b[off]) }
