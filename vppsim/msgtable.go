package vppsim

import (
	"bufio"
	_ "embed" // the VPP 26.06 message table that gives the default table its ids
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/af_packet"
	"go.fd.io/govpp/binapi/bond"
	"go.fd.io/govpp/binapi/gre"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/ip_neighbor"
	"go.fd.io/govpp/binapi/lcp"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/binapi/memif"
	"go.fd.io/govpp/binapi/tapv2"
	"go.fd.io/govpp/binapi/virtio"
	"go.fd.io/govpp/binapi/vlib"
	"go.fd.io/govpp/binapi/vpe"
	"go.fd.io/govpp/binapi/vxlan"
)

// vpp2606Table is the message table a real VPP v26.06 announced (copied from
// the shared fixtures): the default table takes its ids from it so that the
// simulator's ids look like a real VPP's.
//
//go:embed msgtable-vpp-26.06.txt
var vpp2606Table string

// MsgEntry is one entry of the message table announced in sockclnt_create_reply.
type MsgEntry struct {
	ID      uint16
	NameCRC string // e.g. "sw_interface_dump_aa610c27"
}

// MsgTable maps message names with CRCs to message ids, as VPP announces them.
// The order of Entries is the order of the announcement.
type MsgTable struct {
	Entries []MsgEntry
	byName  map[string]uint16
}

// newMsgTable indexes entries; duplicate names or ids are an error, as a
// client could not make sense of them.
func newMsgTable(entries []MsgEntry) (*MsgTable, error) {
	if len(entries) > 0xffff {
		return nil, fmt.Errorf("%d messages: sockclnt_create_reply counts them in a u16", len(entries))
	}
	t := &MsgTable{Entries: entries, byName: make(map[string]uint16, len(entries))}
	ids := make(map[uint16]bool, len(entries))
	for _, e := range entries {
		if _, dup := t.byName[e.NameCRC]; dup {
			return nil, fmt.Errorf("message %s listed twice", e.NameCRC)
		}
		if ids[e.ID] {
			return nil, fmt.Errorf("message id %d listed twice", e.ID)
		}
		if e.ID == 0 {
			return nil, fmt.Errorf("message %s has id 0, which VPP never uses", e.NameCRC)
		}
		if len(e.NameCRC) >= 64 {
			return nil, fmt.Errorf("message name %s does not fit the 64-byte table entry", e.NameCRC)
		}
		t.byName[e.NameCRC] = e.ID
		ids[e.ID] = true
	}
	return t, nil
}

// ID returns the id of a message given as name_crc.
func (t *MsgTable) ID(nameCRC string) (uint16, bool) {
	id, ok := t.byName[nameCRC]
	return id, ok
}

// MsgID returns the id of a govpp message type.
func (t *MsgTable) MsgID(m api.Message) (uint16, bool) {
	return t.ID(m.GetMessageName() + "_" + m.GetCrcString())
}

// ParseMessageTable reads a table in the fixtures' message_table.txt format:
// one "index name_crc" per line; blank lines and lines starting with # are
// skipped.
func ParseMessageTable(r io.Reader) (*MsgTable, error) {
	var entries []MsgEntry
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		f := strings.Fields(s)
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: want \"index name_crc\", got %q", line, s)
		}
		id, err := strconv.ParseUint(f[0], 10, 16)
		if err != nil {
			return nil, fmt.Errorf("line %d: bad index %q: %w", line, f[0], err)
		}
		entries = append(entries, MsgEntry{ID: uint16(id), NameCRC: f[1]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading message table: %w", err)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("message table is empty")
	}
	return newMsgTable(entries)
}

// LoadMessageTable reads a message table file (see ParseMessageTable).
func LoadMessageTable(path string) (*MsgTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening message table: %w", err)
	}
	defer f.Close()
	t, err := ParseMessageTable(f)
	if err != nil {
		return nil, fmt.Errorf("parsing message table %s: %w", path, err)
	}
	return t, nil
}

// linkedAPIs are the govpp v0.13.0 binapi packages whose messages the default
// table announces, in the order VPP would register them (core first, then
// plugins). The list is explicit so that the table does not depend on what
// else the binary links.
var linkedAPIs = []struct {
	name string
	msgs func() []api.Message
}{
	{"memclnt", memclnt.AllMessages},
	{"vlib", vlib.AllMessages},
	{"interface", interfaces.AllMessages},
	{"ip", ip.AllMessages},
	{"ip_neighbor", ip_neighbor.AllMessages},
	{"bond", bond.AllMessages},
	{"gre", gre.AllMessages},
	{"vxlan", vxlan.AllMessages},
	{"tapv2", tapv2.AllMessages},
	{"virtio", virtio.AllMessages},
	{"vpe", vpe.AllMessages},
	{"af_packet", af_packet.AllMessages},
	{"memif", memif.AllMessages},
	{"lcp", lcp.AllMessages},
}

// DefaultMessageTable is govpp v0.13.0's messages for the binapi packages the
// simulator links (memclnt, vlib, interface, ip, ip_neighbor, bond, gre, vxlan, tapv2,
// virtio, vpe, af_packet, memif, lcp). A message VPP 26.06 also has keeps
// 26.06's id; the others (linux-cp, which 26.06 was built without, and a few
// more) get ids after 26.06's last one, a block per package as VPP gives each
// plugin a block. The result is the same on every call.
func DefaultMessageTable() *MsgTable {
	base, err := ParseMessageTable(strings.NewReader(vpp2606Table))
	if err != nil {
		// The embedded table is checked by the tests; this cannot happen.
		panic(fmt.Sprintf("vppsim: embedded message table: %v", err))
	}
	next := uint16(0)
	for _, e := range base.Entries {
		if e.ID > next {
			next = e.ID
		}
	}
	next++
	var entries []MsgEntry
	for _, p := range linkedAPIs {
		var names []string
		for _, m := range p.msgs() {
			names = append(names, m.GetMessageName()+"_"+m.GetCrcString())
		}
		sort.Strings(names)
		for _, n := range names {
			if id, ok := base.ID(n); ok {
				entries = append(entries, MsgEntry{ID: id, NameCRC: n})
				continue
			}
			entries = append(entries, MsgEntry{ID: next, NameCRC: n})
			next++
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].ID < entries[j].ID })
	t, err := newMsgTable(entries)
	if err != nil {
		panic(fmt.Sprintf("vppsim: default message table: %v", err))
	}
	return t
}
