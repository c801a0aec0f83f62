package vppsim

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.fd.io/govpp/adapter/socketclient"
	"go.fd.io/govpp/api"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/binapi/vpe"
	"go.fd.io/govpp/codec"
)

// rawClient is govpp's socketclient adapter used directly, so that a test
// sees the exact bytes of each message the simulator sends.
type rawClient struct {
	t      *testing.T
	c      *socketclient.Client
	frames chan []byte
}

func dialRaw(t *testing.T, s *Sim) *rawClient {
	t.Helper()
	r := &rawClient{t: t, c: socketclient.NewVppClient(s.cfg.APISocket), frames: make(chan []byte, 1024)}
	r.c.SetMsgCallback(func(_ uint16, data []byte) {
		// The adapter reuses its read buffer.
		r.frames <- append([]byte(nil), data...)
	})
	if err := r.c.Connect(); err != nil {
		t.Fatalf("socketclient.Connect: %v", err)
	}
	t.Cleanup(func() { _ = r.c.Disconnect() })
	return r
}

func (r *rawClient) send(m api.Message, context uint32) {
	r.t.Helper()
	id, err := r.c.GetMsgID(m.GetMessageName(), m.GetCrcString())
	if err != nil {
		r.t.Fatalf("message id of %s: %v", m.GetMessageName(), err)
	}
	data, err := codec.EncodeMsg(m, id)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.c.SendMsg(context, data); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawClient) next() []byte {
	r.t.Helper()
	select {
	case f := <-r.frames:
		return f
	case <-time.After(5 * time.Second):
		r.t.Fatal("no message from the simulator")
		return nil
	}
}

func (r *rawClient) id(m api.Message) uint16 {
	id, err := r.c.GetMsgID(m.GetMessageName(), m.GetCrcString())
	if err != nil {
		r.t.Fatal(err)
	}
	return id
}

func hexLines(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, l := range strings.Fields(string(b)) {
		d, err := hex.DecodeString(l)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// withoutContext blanks a reply's context (bytes 2..6), which the client
// chooses.
func withoutContext(b []byte) []byte {
	c := append([]byte(nil), b...)
	if len(c) >= 6 {
		copy(c[2:6], []byte{0, 0, 0, 0})
	}
	return c
}

var (
	replayOnce sync.Once
	replay     *Replay
	replayErr  error
)

// startReplay serves the fixture (loaded once: unzipping 32 MiB is slow
// under -race).
func startReplay(t *testing.T) *Sim {
	t.Helper()
	replayOnce.Do(func() { replay, replayErr = LoadReplay(fixtureDir) })
	if replayErr != nil {
		t.Fatal(replayErr)
	}
	return startSim(t, Config{Replay: replay})
}

// TestReplayDetailsByteExact: the sw_interface_details frames of the replay
// equal, byte for byte apart from the context, what VPP 26.06 sent.
func TestReplayDetailsByteExact(t *testing.T) {
	s := startReplay(t)
	want := hexLines(t, filepath.Join(fixtureDir, "sw_interface_details.raw.hex"))
	r := dialRaw(t, s)
	r.send(&interfaces.SwInterfaceDump{SwIfIndex: ^interface_types.InterfaceIndex(0)}, 7)
	r.send(&memclnt.ControlPing{}, 8)
	pingReply := r.id(&memclnt.ControlPingReply{})
	var got [][]byte
	for {
		f := r.next()
		if binary.BigEndian.Uint16(f) == pingReply {
			break
		}
		got = append(got, f)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d details, want %d", len(got), len(want))
	}
	for i := range want {
		if binary.BigEndian.Uint32(got[i][2:6]) != 7 {
			t.Errorf("details %d: context %d, want 7", i, binary.BigEndian.Uint32(got[i][2:6]))
		}
		if g, w := withoutContext(got[i]), withoutContext(want[i]); !bytes.Equal(g, w) {
			t.Errorf("details %d differ:\n got %x\nwant %x", i, g, w)
		}
	}
}

// TestReplayRepliesByteExact compares show_version, ip_address_details,
// control_ping_reply and sw_interface_event with the captured bytes.
func TestReplayRepliesByteExact(t *testing.T) {
	s := startReplay(t)
	r := dialRaw(t, s)

	var sv struct {
		RawHex string `json:"raw_hex"`
	}
	readJSON(t, "show_version.json", &sv)
	r.send(&vpe.ShowVersion{}, 1)
	if got, want := withoutContext(r.next()), withoutContext(mustHex(t, sv.RawHex)); !bytes.Equal(got, want) {
		t.Errorf("show_version_reply:\n got %x\nwant %x", got, want)
	}

	var dumps []struct {
		SwIfIndex uint32
		IsIPv6    bool
		RawHex    []string `json:"raw_hex"`
	}
	readJSON(t, "ip_address_dump.json", &dumps)
	pingReply := r.id(&memclnt.ControlPingReply{})
	for _, d := range dumps {
		r.send(&ip.IPAddressDump{SwIfIndex: interface_types.InterfaceIndex(d.SwIfIndex), IsIPv6: d.IsIPv6}, 2)
		r.send(&memclnt.ControlPing{}, 3)
		var got []string
		for {
			f := r.next()
			if binary.BigEndian.Uint16(f) == pingReply {
				// VPP's: context, retval 0, client_index 0, then its pid.
				if len(f) != 18 || !bytes.Equal(f[6:14], make([]byte, 8)) ||
					binary.BigEndian.Uint32(f[14:18]) != uint32(os.Getpid()) {
					t.Errorf("control_ping_reply %x", f)
				}
				break
			}
			got = append(got, hex.EncodeToString(withoutContext(f)))
		}
		var want []string
		for _, h := range d.RawHex {
			want = append(want, hex.EncodeToString(withoutContext(mustHex(t, h))))
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("ip_address_dump(%d, v6=%v):\n got %v\nwant %v", d.SwIfIndex, d.IsIPv6, got, want)
		}
	}

	// Events: the captured loop0-down event, with the captured pid.
	r.send(&interfaces.WantInterfaceEvents{EnableDisable: 1, PID: 28314}, 4)
	if f := r.next(); binary.BigEndian.Uint16(f) != r.id(&interfaces.WantInterfaceEventsReply{}) {
		t.Fatalf("want_interface_events: got %x", f)
	}
	if err := s.SetAdmin("loop0", false); err != nil {
		t.Fatal(err)
	}
	if got, want := r.next(), mustHex(t, "00988000000100006e9a000000030000000000"); !bytes.Equal(got, want) {
		t.Errorf("sw_interface_event:\n got %x\nwant %x", got, want)
	}
}

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// capturedFrame returns frame seq of api_session_frames.txt: header and
// data.
func capturedFrame(t *testing.T, seq string) (hdr, data []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, "api_session_frames.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 8 && f[0] == seq {
			return mustHex(t, f[6]), mustHex(t, f[7])
		}
	}
	t.Fatalf("frame %s not in the capture", seq)
	return nil, nil
}

// sendCapturedCreate dials s's API socket, as a client, and sends the
// captured sockclnt_create (frame 0); the connection is closed at the end of
// the test.
func sendCapturedCreate(t *testing.T, s *Sim) net.Conn {
	t.Helper()
	c, err := net.Dial("unix", s.cfg.APISocket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	hdr, data := capturedFrame(t, "0")
	if _, err := c.Write(append(hdr, data...)); err != nil {
		t.Fatal(err)
	}
	return c
}

func readFrame(t *testing.T, c net.Conn) (hdr, data []byte) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	hdr = make([]byte, 16)
	if _, err := io.ReadFull(c, hdr); err != nil {
		t.Fatalf("reading a header: %v", err)
	}
	data = make([]byte, binary.BigEndian.Uint32(hdr[8:12]))
	if _, err := io.ReadFull(c, data); err != nil {
		t.Fatalf("reading %d bytes: %v", len(data), err)
	}
	return hdr, data
}

// TestReplaySockclntCreateReplyExact sends govpp's captured sockclnt_create
// frame and gets back the captured reply, byte for byte (header, client
// index, the 882 entries in VPP's order).
func TestReplaySockclntCreateReplyExact(t *testing.T) {
	s := startReplay(t)
	wantHdr, want := capturedFrame(t, "1")
	c := sendCapturedCreate(t, s)
	hdr, data := readFrame(t, c)
	if !bytes.Equal(hdr, wantHdr) {
		t.Errorf("header: got %x, want %x", hdr, wantHdr)
	}
	if !bytes.Equal(data, want) {
		n := 0
		for n < len(data) && n < len(want) && data[n] == want[n] {
			n++
		}
		t.Errorf("sockclnt_create_reply differs at byte %d (got %d bytes, want %d)", n, len(data), len(want))
	}
}

// TestSockclntCreateReplyLayout checks the default table's reply has the
// captured layout: zero pointer bytes, id 16, client_index 0, the context,
// response 0, index 0x80000001, count, then count × {u16 id, name[64]}.
func TestSockclntCreateReplyLayout(t *testing.T) {
	s := startSim(t, Config{})
	c := sendCapturedCreate(t, s)
	hdr, data := readFrame(t, c)
	n := len(s.MessageTable().Entries)
	if !bytes.Equal(hdr[:8], make([]byte, 8)) || !bytes.Equal(hdr[12:], make([]byte, 4)) {
		t.Errorf("header %x: want zeros around the length", hdr)
	}
	fixed := mustHex(t, "0010"+"00000000"+"0000007b"+"00000000"+"80000001")
	if !bytes.Equal(data[:18], fixed) || int(binary.BigEndian.Uint16(data[18:20])) != n {
		t.Errorf("fixed part %x, want %x and count %d", data[:20], fixed, n)
	}
	if len(data) != 20+66*n {
		t.Fatalf("length %d, want %d", len(data), 20+66*n)
	}
	seen := map[string]uint16{}
	for i := 0; i < n; i++ {
		e := data[20+66*i : 20+66*(i+1)]
		name := string(bytes.TrimRight(e[2:], "\x00"))
		if bytes.IndexByte(e[2:], 0) != len(name) {
			t.Errorf("entry %d: name not NUL-padded: %q", i, e[2:])
		}
		seen[name] = binary.BigEndian.Uint16(e)
	}
	for name, id := range map[string]uint16{
		"sockclnt_create_455fb9c4": 15, "sockclnt_create_reply_35166268": 16, "control_ping_51077d14": 23,
		"control_ping_reply_f6b0b8ca": 24, "sw_interface_details_6c221fc7": 155, "sw_interface_dump_aa610c27": 156,
		"show_version_51077d14": 838, "sw_bond_interface_dump_f9e6675e": 310,
	} {
		if seen[name] != id {
			t.Errorf("%s: id %d, want 26.06's %d", name, seen[name], id)
		}
	}
	if id := seen["lcp_itf_pair_get_f75ba505"]; id <= 882 {
		t.Errorf("lcp_itf_pair_get: id %d, want one after 26.06's 882", id)
	}
}
