package vppsim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.fd.io/govpp/api"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/lcp"
	"go.fd.io/govpp/binapi/memclnt"
)

// TestMessageTable2606 announces VPP 26.06's table: govpp then finds
// linux-cp incompatible and refuses to send it, exactly as against the
// captured VPP (govpp_compat.txt), while the agent's other messages are
// compatible.
func TestMessageTable2606(t *testing.T) {
	table, err := LoadMessageTable(filepath.Join(fixtureDir, "message_table.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(table.Entries) != 882 {
		t.Fatalf("26.06 table: %d entries, want 882", len(table.Entries))
	}
	s := startSim(t, Config{MessageTable: table})
	_, ch := connect(t, s)
	err = ch.CheckCompatiblity(&lcp.LcpItfPairGet{}, &lcp.LcpItfPairGetReply{}, &lcp.LcpItfPairDetails{})
	var ce *api.CompatibilityError
	if !errors.As(err, &ce) || len(ce.IncompatibleMessages) != 3 {
		t.Fatalf("CheckCompatiblity(lcp): got %v, want the 3 lcp messages incompatible", err)
	}
	for _, m := range ce.IncompatibleMessages {
		if !strings.HasPrefix(m, "lcp_itf_pair_") {
			t.Errorf("incompatible message %q", m)
		}
	}
	err = ch.SendRequest(&lcp.LcpItfPairGet{Cursor: NoIndex}).ReceiveReply(&lcp.LcpItfPairGetReply{})
	if err == nil || !strings.Contains(err.Error(), "unknown message: lcp_itf_pair_get_f75ba505") {
		t.Errorf("lcp_itf_pair_get against 26.06: got %v, want govpp's unknown message error", err)
	}
	if err := ch.CheckCompatiblity(&interfaces.SwInterfaceDump{}, &interfaces.SwInterfaceDetails{},
		&interfaces.WantInterfaceEvents{}, &interfaces.SwInterfaceEvent{},
		&interfaces.CollectDetailedInterfaceStats{}, &memclnt.ControlPing{}); err != nil {
		t.Errorf("CheckCompatiblity(interface messages): %v", err)
	}

	// The default table has linux-cp.
	s2 := startSim(t, Config{})
	_, ch2 := connect(t, s2)
	if err := ch2.CheckCompatiblity(&lcp.LcpItfPairGet{}, &lcp.LcpItfPairGetReply{}, &lcp.LcpItfPairDetails{}); err != nil {
		t.Errorf("default table: lcp: %v", err)
	}
}

func TestDefaultMessageTable(t *testing.T) {
	a, b := DefaultMessageTable(), DefaultMessageTable()
	if len(a.Entries) != len(b.Entries) {
		t.Fatal("the default table changes from call to call")
	}
	for i := range a.Entries {
		if a.Entries[i] != b.Entries[i] {
			t.Fatalf("entry %d: %v then %v", i, a.Entries[i], b.Entries[i])
		}
	}
	base, err := LoadMessageTable(filepath.Join(fixtureDir, "message_table.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var kept, added int
	for _, e := range a.Entries {
		if id, ok := base.ID(e.NameCRC); ok {
			if id != e.ID {
				t.Errorf("%s: id %d, 26.06 has %d", e.NameCRC, e.ID, id)
			}
			kept++
		} else {
			if e.ID <= 882 {
				t.Errorf("%s: id %d collides with 26.06's range", e.NameCRC, e.ID)
			}
			added++
		}
	}
	if kept < 300 || added < 20 {
		t.Errorf("%d entries with 26.06 ids and %d new: want most from 26.06 and linux-cp added", kept, added)
	}
}

func TestParseMessageTableErrors(t *testing.T) {
	for _, in := range []string{"", "1", "x foo_1", "1 a_1\n1 b_2", "1 a_1\n2 a_1", "0 a_1", "70000 a_1"} {
		if _, err := ParseMessageTable(strings.NewReader(in)); err == nil {
			t.Errorf("ParseMessageTable(%q): no error", in)
		}
	}
}

// frame builds a socket frame: the 16-byte header and data.
func frame(data []byte) []byte {
	f := make([]byte, 16+len(data))
	binary.BigEndian.PutUint32(f[8:12], uint32(len(data)))
	copy(f[16:], data)
	return f
}

// TestBadMessagesKeepTheStream: an unknown message id, a message shorter
// than its type and a runt are dropped without reply, as VPP does, and the
// next request is answered in step; a frame announcing an absurd length
// ends that connection only.
func TestBadMessagesKeepTheStream(t *testing.T) {
	s := startSim(t, Config{})
	c := sendCapturedCreate(t, s)
	readFrame(t, c) // sockclnt_create_reply
	ping := func(context uint32) []byte {
		d := make([]byte, 10)
		binary.BigEndian.PutUint16(d, 23) // control_ping
		binary.BigEndian.PutUint32(d[2:6], 0x80000001)
		binary.BigEndian.PutUint32(d[6:10], context)
		return frame(d)
	}
	var junk []byte
	junk = append(junk, frame([]byte{0xea, 0x60, 1, 2, 3, 4, 5, 6, 7, 8})...) // unknown id 60000
	junk = append(junk, frame([]byte{0x00, 0x9c, 0x80, 0, 0})...)             // sw_interface_dump, 5 bytes
	junk = append(junk, frame([]byte{0x00})...)                               // runt
	junk = append(junk, frame(nil)...)                                        // empty
	// sw_interface_dump whose name filter claims 1 MiB it does not carry.
	dumpReq := make([]byte, 19)
	binary.BigEndian.PutUint16(dumpReq, 156)
	binary.BigEndian.PutUint32(dumpReq[10:14], NoIndex)
	dumpReq[14] = 1
	junk = append(junk, frame(append(dumpReq[:15], 0, 0x10, 0, 0))...)
	junk = append(junk, ping(99)...)
	if _, err := c.Write(junk); err != nil {
		t.Fatal(err)
	}
	_, data := readFrame(t, c)
	if binary.BigEndian.Uint16(data) != 24 || binary.BigEndian.Uint32(data[2:6]) != 99 {
		t.Fatalf("after bad messages: got %x, want control_ping_reply with context 99", data)
	}

	// An absurd length: the connection ends.
	huge := make([]byte, 16)
	binary.BigEndian.PutUint32(huge[8:12], 1<<30)
	if _, err := c.Write(huge); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("after a 1 GiB length: read %d, %v; want EOF", n, err)
	}
	// The simulator still serves others.
	_, ch := connect(t, s)
	if err := ch.SendRequest(&memclnt.ControlPing{}).ReceiveReply(&memclnt.ControlPingReply{}); err != nil {
		t.Errorf("control_ping on a new connection: %v", err)
	}
}

// TestSockclntDelete: VPP answers response 1 and closes the socket.
func TestSockclntDelete(t *testing.T) {
	s := startSim(t, Config{})
	c := sendCapturedCreate(t, s)
	readFrame(t, c)
	delHdr, del := capturedFrame(t, "99")
	wantHdr, want := capturedFrame(t, "100")
	if _, err := c.Write(append(delHdr, del...)); err != nil {
		t.Fatal(err)
	}
	hdr, data := readFrame(t, c)
	if !bytes.Equal(data, want) || !bytes.Equal(hdr[8:], wantHdr[8:]) {
		t.Errorf("sockclnt_delete_reply: got %x %x, want %x %x", hdr, data, wantHdr, want)
	}
	if n, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("after sockclnt_delete: read %d, %v; want EOF", n, err)
	}
}
