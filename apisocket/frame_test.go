package apisocket

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/iotest"
)

// frame builds one socket frame: a 16-byte header whose first 8 bytes are
// VPP's pointer (receivers ignore them), the length, then data.
func frame(data []byte) []byte {
	return frameClaiming(uint32(len(data)), data)
}

// frameClaiming builds a header announcing n bytes, followed by data
// (which may be shorter or longer than n).
func frameClaiming(n uint32, data []byte) []byte {
	f := make([]byte, headerSize, headerSize+len(data))
	copy(f, []byte{0x80, 0xc2, 0x06, 0x30, 0x01, 0x00, 0x00, 0x00})
	binary.BigEndian.PutUint32(f[8:12], n)
	return append(f, data...)
}

func TestFrameReader(t *testing.T) {
	a := []byte{0, 24, 0, 0, 0, 7, 0xaa, 0xbb, 0xcc, 0xdd}
	b := []byte{0, 25, 0, 0, 0, 8}
	big := bytes.Repeat([]byte{0x5a}, 300<<10+17)
	in := append(append(append(frame(a), frame(b)...), frame(big)...), frame(a)...)
	for name, r := range map[string]io.Reader{
		"whole":    bytes.NewReader(in),
		"one byte": iotest.OneByteReader(bytes.NewReader(in)),
		"data+err": iotest.DataErrReader(bytes.NewReader(in)),
	} {
		fr := &frameReader{r: r}
		for i, want := range [][]byte{a, b, big, a} {
			got, err := fr.next()
			if err != nil {
				t.Fatalf("%s: frame %d: %v", name, i, err)
			}
			if !bytes.Equal(got, want) || cap(got) != len(got) {
				t.Fatalf("%s: frame %d: got %d bytes (cap %d), want %d", name, i, len(got), cap(got), len(want))
			}
		}
		if _, err := fr.next(); err != io.EOF {
			t.Errorf("%s: at the end: %v, want io.EOF", name, err)
		}
	}
}

// TestFrameReaderRejects: lengths no VPP message can have, and a stream
// that stops mid-frame.
func TestFrameReaderRejects(t *testing.T) {
	valid := frame([]byte{0, 24, 0, 0, 0, 7, 1, 2, 3, 4})
	for _, tc := range []struct {
		name string
		in   []byte
		bad  bool // ErrBadFrame rather than an unexpected EOF
	}{
		{"empty payload", frame(nil), true},
		{"length 2", frame([]byte{0, 24}), true},
		{"length 5", frame([]byte{0, 24, 0, 0, 0}), true},
		{"over the cap", frameClaiming(MaxPayload+1, nil), true},
		{"4 GiB", frameClaiming(0xFFFFFFF0, nil), true},
		{"half a header", valid[:8], false},
		{"payload cut", valid[:len(valid)-1], false},
		{"claims the cap, carries 100", frameClaiming(MaxPayload, make([]byte, 100)), false},
	} {
		fr := &frameReader{r: bytes.NewReader(append(append([]byte(nil), valid...), tc.in...))}
		if _, err := fr.next(); err != nil {
			t.Fatalf("%s: the valid frame: %v", tc.name, err)
		}
		p, err := fr.next()
		if p != nil || err == nil {
			t.Errorf("%s: got %x, %v; want an error", tc.name, p, err)
			continue
		}
		if got := errors.Is(err, ErrBadFrame); got != tc.bad {
			t.Errorf("%s: %v: ErrBadFrame %v, want %v", tc.name, err, got, tc.bad)
		}
		if !tc.bad && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: %v, want io.ErrUnexpectedEOF", tc.name, err)
		}
	}
}

// TestFrameReaderAllocatesWhatArrives: a frame claiming the cap but
// carrying 100 KiB costs about 100 KiB, not 16 MiB.
func TestFrameReaderAllocatesWhatArrives(t *testing.T) {
	in := frameClaiming(MaxPayload, make([]byte, 100<<10))
	const runs = 5
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		fr := &frameReader{r: bytes.NewReader(in)}
		if _, err := fr.next(); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("got %v, want an unexpected EOF", err)
		}
	}
	runtime.ReadMemStats(&after)
	if perRun := (after.TotalAlloc - before.TotalAlloc) / runs; perRun > 512<<10 {
		t.Errorf("%d bytes allocated for 100 KiB received", perRun)
	}
}

// FuzzReadFrame checks the frame reader against a plain reading of the
// input: it returns exactly the payloads the input holds, in order, each
// within the length bounds, with capacity equal to length (no stale bytes
// reachable); it ends with io.EOF exactly at a frame boundary, with
// ErrBadFrame at a bad length, and with an unexpected EOF mid-frame; and
// it does the same when the input arrives in reads of at most split+1
// bytes. The seeds in testdata/fuzz/FuzzReadFrame are frames a real VPP
// 26.06 sent (its pointer in header bytes 0..8) and the bad frames the
// client tests send.
func FuzzReadFrame(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte, split uint8) {
		for _, r := range []io.Reader{
			bytes.NewReader(in),
			&chunkReader{b: in, n: int(split) + 1},
			iotest.DataErrReader(&chunkReader{b: in, n: int(split) + 1}),
		} {
			checkFrames(t, in, &frameReader{r: r})
		}
	})
}

// chunkReader reads b in pieces of at most n bytes, as a socket may.
type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[k:]
	return k, nil
}

func checkFrames(t *testing.T, in []byte, fr *frameReader) {
	t.Helper()
	rest := in
	for {
		p, err := fr.next()
		if len(rest) == 0 {
			if err != io.EOF || p != nil {
				t.Fatalf("at a frame boundary at the end: %x, %v; want io.EOF", p, err)
			}
			return
		}
		if len(rest) < headerSize {
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("%d header bytes left: %v, want an unexpected EOF", len(rest), err)
			}
			return
		}
		n := binary.BigEndian.Uint32(rest[8:12])
		if n < replyHeaderSize || n > MaxPayload {
			if !errors.Is(err, ErrBadFrame) || p != nil {
				t.Fatalf("length %d: %x, %v; want ErrBadFrame", n, p, err)
			}
			return
		}
		body := rest[headerSize:]
		if uint64(len(body)) < uint64(n) {
			if !errors.Is(err, io.ErrUnexpectedEOF) || p != nil {
				t.Fatalf("length %d with %d bytes left: %x, %v; want an unexpected EOF", n, len(body), p, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("length %d: %v", n, err)
		}
		if !bytes.Equal(p, body[:n]) || cap(p) != len(p) {
			t.Fatalf("length %d: got %x (cap %d), want %x", n, p, cap(p), body[:n])
		}
		rest = body[n:]
	}
}
