package vppsim

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/codec"
)

// Replay is a captured VPP, served as captured: its interfaces, addresses,
// message table, version and stats segment image.
type Replay struct {
	Interfaces []Interface
	Addresses  map[uint32][]netip.Prefix
	Table      *MsgTable
	Version    *Version
	StatsImage []byte // the segment's memfd, byte for byte; nil if absent
	// counters are the captured govpp reading of the image
	// (interface_counters.json), so that Counters and show interface
	// report what the image holds.
	counters map[uint32]counterSet
}

// maxImage bounds a decompressed stats segment image (a real one is 32 MiB
// by default; 512 MiB serves about 10,000 interfaces).
const maxImage = 1 << 30

// LoadReplay reads a capture directory in the layout of the shared
// fixtures (vpp-26.06/): sw_interface_details.raw.hex and
// message_table.txt are required; api_session_frames.txt (the table in the
// order VPP sent it), ip_address_dump.json, show_version.json and
// stats_segment.bin.gz are used when present.
func LoadReplay(dir string) (*Replay, error) {
	r := &Replay{Addresses: map[uint32][]netip.Prefix{}}
	var err error
	if r.Interfaces, err = loadDetails(filepath.Join(dir, "sw_interface_details.raw.hex")); err != nil {
		return nil, err
	}
	if r.Table, err = LoadMessageTable(filepath.Join(dir, "message_table.txt")); err != nil {
		return nil, err
	}
	if t, err := loadWireTable(filepath.Join(dir, "api_session_frames.txt")); err != nil {
		return nil, err
	} else if t != nil {
		if len(t.Entries) != len(r.Table.Entries) {
			return nil, fmt.Errorf("replay %s: the captured sockclnt_create_reply has %d entries, message_table.txt %d", dir, len(t.Entries), len(r.Table.Entries))
		}
		r.Table = t
	}
	if err := loadAddresses(filepath.Join(dir, "ip_address_dump.json"), r.Addresses); err != nil {
		return nil, err
	}
	if r.Version, err = loadVersion(filepath.Join(dir, "show_version.json")); err != nil {
		return nil, err
	}
	if r.StatsImage, err = loadImage(filepath.Join(dir, "stats_segment.bin.gz")); err != nil {
		return nil, err
	}
	if r.counters, err = loadCounters(filepath.Join(dir, "interface_counters.json")); err != nil {
		return nil, err
	}
	return r, nil
}

// loadCounters reads govpp's GetInterfaceStats of the captured segment.
func loadCounters(path string) (map[uint32]counterSet, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	type pb struct{ Packets, Bytes uint64 }
	var doc struct {
		InterfaceStats struct {
			Interfaces []struct {
				InterfaceIndex                                      uint32
				Rx, Tx, RxUnicast, RxMulticast, RxBroadcast         pb
				TxUnicast, TxMulticast, TxBroadcast                 pb
				RxErrors, TxErrors, Drops, Punts, IP4, IP6, RxNoBuf uint64
				RxMiss, Mpls                                        uint64
			}
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("replay %s: %w", path, err)
	}
	out := make(map[uint32]counterSet)
	for _, i := range doc.InterfaceStats.Interfaces {
		var c counterSet
		for k, v := range map[int]pb{cRx: i.Rx, cRxUnicast: i.RxUnicast, cRxMulticast: i.RxMulticast,
			cRxBroadcast: i.RxBroadcast, cTx: i.Tx, cTxUnicast: i.TxUnicast, cTxMulticast: i.TxMulticast,
			cTxBroadcast: i.TxBroadcast} {
			c.comb[k] = [2]uint64{v.Packets, v.Bytes}
		}
		c.simp = [nSimple]uint64{sDrops: i.Drops, sPunt: i.Punts, sIP4: i.IP4, sIP6: i.IP6, sRxNoBuf: i.RxNoBuf,
			sRxMiss: i.RxMiss, sRxError: i.RxErrors, sTxError: i.TxErrors, sMPLS: i.Mpls}
		out[i.InterfaceIndex] = c
	}
	return out, nil
}

// loadDetails decodes captured sw_interface_details messages (one hex line
// each, from the message id on) with govpp's codec.
func loadDetails(path string) ([]Interface, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	var out []Interface
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("replay %s line %d: %w", path, line, err)
		}
		d := new(interfaces.SwInterfaceDetails)
		if err := codec.DecodeMsg(b, d); err != nil {
			return nil, fmt.Errorf("replay %s line %d: decoding sw_interface_details: %w", path, line, err)
		}
		out = append(out, fromDetails(d))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("replay: reading %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("replay: %s has no interface", path)
	}
	return out, nil
}

func fromDetails(d *interfaces.SwInterfaceDetails) Interface {
	sub := d.Type == interface_types.IF_API_TYPE_SUB
	x := Interface{
		SwIfIndex:    uint32(d.SwIfIndex),
		SupSwIfIndex: d.SupSwIfIndex,
		Name:         d.InterfaceName,
		Kind:         kindOfDevType(d.InterfaceDevType, sub),
		DevType:      d.InterfaceDevType,
		MAC:          d.L2Address,
		AdminUp:      d.Flags&interface_types.IF_STATUS_API_FLAG_ADMIN_UP != 0,
		LinkUp:       d.Flags&interface_types.IF_STATUS_API_FLAG_LINK_UP != 0,
		LinkSpeed:    d.LinkSpeed,
		LinkDuplex:   uint32(d.LinkDuplex),
		LinkMTU:      d.LinkMtu,
		SubID:        d.SubID,
		SubTags:      d.SubNumberOfTags,
		OuterVlan:    d.SubOuterVlanID,
		InnerVlan:    d.SubInnerVlanID,
		SubIfFlags:   uint32(d.SubIfFlags),
		Tag:          d.Tag,
	}
	x.Carrier = x.LinkUp
	copy(x.MTU[:], d.Mtu)
	return x
}

// loadWireTable reads the message table from the captured
// sockclnt_create_reply frame, keeping VPP's order; nil when the file is
// absent or has no such frame.
func loadWireTable(path string) (*MsgTable, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 || f[2] != "s2c" || !strings.HasPrefix(f[4], "sockclnt_create_reply_") {
			continue
		}
		data, err := hex.DecodeString(f[7])
		if err != nil {
			return nil, fmt.Errorf("replay %s: sockclnt_create_reply: %w", path, err)
		}
		reply := new(memclnt.SockclntCreateReply)
		if err := codec.DecodeMsg(data, reply); err != nil {
			return nil, fmt.Errorf("replay %s: decoding sockclnt_create_reply: %w", path, err)
		}
		entries := make([]MsgEntry, len(reply.MessageTable))
		for i, e := range reply.MessageTable {
			entries[i] = MsgEntry{ID: e.Index, NameCRC: strings.TrimRight(e.Name, "\x00")}
		}
		t, err := newMsgTable(entries)
		if err != nil {
			return nil, fmt.Errorf("replay %s: %w", path, err)
		}
		return t, nil
	}
	return nil, nil
}

func loadAddresses(path string, into map[uint32][]netip.Prefix) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	var dumps []struct {
		SwIfIndex        uint32
		IPAddressDetails []struct{ Prefix string }
	}
	if err := json.Unmarshal(b, &dumps); err != nil {
		return fmt.Errorf("replay %s: %w", path, err)
	}
	for _, d := range dumps {
		for _, a := range d.IPAddressDetails {
			p, err := netip.ParsePrefix(a.Prefix)
			if err != nil {
				return fmt.Errorf("replay %s: %w", path, err)
			}
			into[d.SwIfIndex] = append(into[d.SwIfIndex], p)
		}
	}
	return nil
}

func loadVersion(path string) (*Version, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	var v struct {
		ShowVersionReply *Version
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("replay %s: %w", path, err)
	}
	return v.ShowVersionReply, nil
}

func loadImage(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("replay %s: %w", path, err)
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(zr, maxImage+1))
	if err != nil {
		return nil, fmt.Errorf("replay %s: %w", path, err)
	}
	if n > maxImage {
		return nil, fmt.Errorf("replay %s: image larger than %d bytes", path, maxImage)
	}
	return buf.Bytes(), nil
}
