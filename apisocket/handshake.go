package apisocket

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// The registration messages, encoded and decoded here rather than with
// govpp's codec: they are all this package must understand of VPP's
// messages, and the reply comes from the wire, so every length is checked
// before it is used.
const (
	// createID is sockclnt_create's id, fixed because it is sent before
	// there is a message table.
	createID = 15
	// nameSize is a message-table entry's and sockclnt_create's name field
	// (string[64], NUL-terminated).
	nameSize = 64
	// createReplyFixed is sockclnt_create_reply up to its table: id,
	// client_index, context, response, index, count.
	createReplyFixed = 2 + 4 + 4 + 4 + 4 + 2
	// tableEntrySize is one message_table_entry: u16 index, name.
	tableEntrySize = 2 + nameSize
	// deleteContext is the context of our sockclnt_delete.
	deleteContext = 124
)

// encodeCreate is sockclnt_create: u16 id, u32 context, name[64]. VPP's
// definition has no client_index (there is none yet).
func encodeCreate(name string, context uint32) []byte {
	b := make([]byte, 2+4+nameSize)
	binary.BigEndian.PutUint16(b, createID)
	binary.BigEndian.PutUint32(b[2:6], context)
	copy(b[6:6+nameSize-1], name) // the last byte stays NUL
	return b
}

// encodeDelete is sockclnt_delete: u16 id, u32 client_index, u32 context,
// u32 index (the registration to delete: ours).
func encodeDelete(id uint16, index uint32) []byte {
	b := make([]byte, 2+4+4+4)
	binary.BigEndian.PutUint16(b, id)
	binary.BigEndian.PutUint32(b[2:6], index)
	binary.BigEndian.PutUint32(b[6:10], deleteContext)
	binary.BigEndian.PutUint32(b[10:14], index)
	return b
}

// createReply is what the handshake needs of sockclnt_create_reply.
type createReply struct {
	context  uint32
	response int32
	index    uint32            // our client index
	table    map[string]uint16 // name_crc -> id
	deleteID uint16            // sockclnt_delete's id, 0 if absent
}

// parseCreateReply decodes sockclnt_create_reply. It is a request-shaped
// message (client_index before context); the id it arrives with must be the
// one its own table gives sockclnt_create_reply, which tells it from any
// other message.
func parseCreateReply(p []byte) (*createReply, error) {
	if len(p) < createReplyFixed {
		return nil, fmt.Errorf("sockclnt_create_reply: %d bytes, shorter than its fixed part (%d)", len(p), createReplyFixed)
	}
	r := &createReply{
		context:  binary.BigEndian.Uint32(p[6:10]),
		response: int32(binary.BigEndian.Uint32(p[10:14])),
		index:    binary.BigEndian.Uint32(p[14:18]),
	}
	count := int(binary.BigEndian.Uint16(p[18:20]))
	if want := createReplyFixed + count*tableEntrySize; len(p) < want {
		return nil, fmt.Errorf("sockclnt_create_reply: announces %d messages (%d bytes) in %d bytes", count, want, len(p))
	}
	r.table = make(map[string]uint16, count)
	replyID, hasReplyID := uint16(0), false
	for i := range count {
		e := p[createReplyFixed+i*tableEntrySize:][:tableEntrySize]
		id := binary.BigEndian.Uint16(e)
		name := e[2:]
		if nul := bytes.IndexByte(name, 0); nul >= 0 {
			name = name[:nul]
		}
		s := string(name)
		r.table[s] = id
		switch {
		case strings.HasPrefix(s, "sockclnt_delete_") && !strings.HasPrefix(s, "sockclnt_delete_reply_"):
			r.deleteID = id
		case strings.HasPrefix(s, "sockclnt_create_reply_"):
			replyID, hasReplyID = id, true
		}
	}
	if got := binary.BigEndian.Uint16(p); hasReplyID && got != replyID {
		return nil, fmt.Errorf("sockclnt_create_reply: arrived as message id %d, its table says %d", got, replyID)
	}
	return r, nil
}
