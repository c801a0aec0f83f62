package apisocket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

const (
	// headerSize is VPP's socket transport header (msgbuf_t).
	headerSize = 16
	// replyHeaderSize is the least a message from VPP can be: the u16
	// message id and the u32 context that govpp reads from every reply.
	replyHeaderSize = 6
	// requestHeaderSize is a request's u16 id, u32 client index and u32
	// context, which SendMsg fills in.
	requestHeaderSize = 10

	// MaxPayload caps the payload length a frame may announce. The largest
	// message VPP sends a client is sockclnt_create_reply: 20 bytes and 66
	// per message-table entry, counted in a u16, so at most 4.3 MB (VPP
	// 26.06's 882 entries make 58 KB). A larger length is a broken or
	// hostile peer, not a message.
	MaxPayload = 16 << 20

	// firstChunk is the most a payload may grow the read buffer by before
	// any of its bytes arrived; after that it grows by at most what arrived,
	// so a frame that claims more than it carries costs what it carried.
	firstChunk = 4 << 10
	// keepBuffer is the largest read buffer kept between frames; a larger
	// one (a rare big message) is left to the garbage collector.
	keepBuffer = 256 << 10
)

// ErrBadFrame is the error (wrapped) when a frame announces a payload length
// no VPP message can have.
var ErrBadFrame = errors.New("bad frame")

// frameReader reads frames from r: exactly the announced payload, after
// checking its length.
type frameReader struct {
	r   io.Reader
	hdr [headerSize]byte
	buf []byte // reused between frames, grown as payload bytes arrive
}

// next returns the next payload. It is valid until the following call; its
// capacity is its length, so reading past its end panics rather than
// showing bytes of an earlier frame. At a clean end of the stream (no byte
// of a new frame) the error is io.EOF; mid-frame it wraps
// io.ErrUnexpectedEOF.
func (fr *frameReader) next() ([]byte, error) {
	if n, err := io.ReadFull(fr.r, fr.hdr[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("reading a frame header (%d of %d bytes): %w", n, headerSize, err)
	}
	n := binary.BigEndian.Uint32(fr.hdr[8:12])
	if n < replyHeaderSize {
		return nil, fmt.Errorf("%w: payload length %d is shorter than a reply header (%d)", ErrBadFrame, n, replyHeaderSize)
	}
	if n > MaxPayload {
		return nil, fmt.Errorf("%w: payload length %d is over the %d-byte cap", ErrBadFrame, n, MaxPayload)
	}
	if cap(fr.buf) > keepBuffer {
		fr.buf = nil
	}
	size := int(n)
	buf := fr.buf[:0]
	for len(buf) < size {
		want := size - len(buf)
		if free := cap(buf) - len(buf); free < want {
			want = min(want, max(len(buf), firstChunk))
			if free < want {
				buf = slices.Grow(buf, want)
			}
		}
		got, err := io.ReadFull(fr.r, buf[len(buf):len(buf)+want])
		buf = buf[:len(buf)+got]
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			fr.buf = buf
			return nil, fmt.Errorf("reading a %d-byte payload (%d bytes read): %w", size, len(buf), err)
		}
	}
	fr.buf = buf
	return buf[:size:size], nil
}
