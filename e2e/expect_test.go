package e2e

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
)

// This file holds the test's own model of what the IF-MIB must say about
// an interface (RFC 2863 and docs/architecture.md, "The IF-MIB mapping"), written
// from what vppsim was configured with, not from the agent's packages.

// IANAifType, status and TruthValue numbers (RFC 2863, IANAifType-MIB).
const (
	typeOther    = 1
	typeEthernet = 6
	typeLoopback = 24
	typePropVirt = 53
	typeTunnel   = 131
	typeL2VLAN   = 135
	typeLAG      = 161

	up             = 1
	down           = 2
	lowerLayerDown = 7

	truthTrue  = 1
	truthFalse = 2
)

// counts are what VPP counted for one interface (summed over threads), in
// the stats segment's terms.
type counts struct {
	rxPkts, rxBytes, rxMcast, rxBcast uint64
	txPkts, txBytes, txMcast, txBcast uint64
	drops, rxNoBuf, rxMiss            uint64
	rxErrors, txErrors                uint64
}

// wantIf is one interface as the IF-MIB must show it.
type wantIf struct {
	ifIndex   uint32
	name      string
	ifType    int
	mtu       int
	speedKbps uint64
	mac       string // as net-snmp prints a Hex-STRING ("3C FD FE 00 00 01"); "" for none
	admin     int
	oper      int
	alias     string
	connector bool
	stacked   bool   // has a lower layer in ifStackTable: ifLinkUpDownTrapEnable disabled (RFC default)
	lastTicks uint64 // ifLastChange
	discTicks uint64 // ifCounterDiscontinuityTime
	c         counts
}

func integer(v int) (string, string) { return "INTEGER", fmt.Sprint(v) }

func truth(b bool) int {
	if b {
		return truthTrue
	}
	return truthFalse
}

// octetString renders a string value as net-snmp -On prints it: an empty
// string has no type label.
func octetString(s string) (string, string) {
	if s == "" {
		return "", `""`
	}
	return "STRING", `"` + s + `"`
}

func physAddress(mac string) (string, string) {
	if mac == "" {
		return "", `""`
	}
	return "Hex-STRING", mac
}

func timeticks(v uint64) (string, string) { return "Timeticks", fmt.Sprintf("(%d)", v) }

func c32(v uint64) (string, string) { return "Counter32", fmt.Sprint(v & math.MaxUint32) }
func c64(v uint64) (string, string) { return "Counter64", fmt.Sprint(v) }
func g32(v uint64) (string, string) { return "Gauge32", fmt.Sprint(min(v, math.MaxUint32)) }

// sub returns a - b, never below zero (unicast is what is left of the
// total once multicast and broadcast are taken out).
func monus(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

// ifEntryValue is column col of w in ifTable.
func ifEntryValue(w wantIf, col int) (string, string) {
	c := w.c
	switch col {
	case 1:
		return integer(int(w.ifIndex))
	case 2:
		return octetString(w.name)
	case 3:
		return integer(w.ifType)
	case 4:
		return integer(w.mtu)
	case 5:
		return g32(w.speedKbps * 1000) // bit/s, saturating
	case 6:
		return physAddress(w.mac)
	case 7:
		return integer(w.admin)
	case 8:
		return integer(w.oper)
	case 9:
		return timeticks(w.lastTicks)
	case 10:
		return c32(c.rxBytes)
	case 11:
		return c32(monus(c.rxPkts, c.rxMcast+c.rxBcast))
	case 12:
		return c32(c.rxMcast + c.rxBcast)
	case 13:
		return c32(c.drops + c.rxNoBuf + c.rxMiss)
	case 14:
		return c32(c.rxErrors)
	case 15: // ifInUnknownProtos: VPP does not count them
		return c32(0)
	case 16:
		return c32(c.txBytes)
	case 17:
		return c32(monus(c.txPkts, c.txMcast+c.txBcast))
	case 18:
		return c32(c.txMcast + c.txBcast)
	case 19: // ifOutDiscards
		return c32(0)
	case 20:
		return c32(c.txErrors)
	case 21: // ifOutQLen
		return g32(0)
	case 22: // ifSpecific: 0.0 (deprecated)
		return "OID", ".0.0"
	}
	panic(fmt.Sprintf("ifEntry has no column %d", col))
}

// ifXEntryValue is column col of w in ifXTable.
func ifXEntryValue(w wantIf, col int) (string, string) {
	c := w.c
	switch col {
	case 1:
		return octetString(w.name)
	case 2:
		return c32(c.rxMcast)
	case 3:
		return c32(c.rxBcast)
	case 4:
		return c32(c.txMcast)
	case 5:
		return c32(c.txBcast)
	case 6:
		return c64(c.rxBytes)
	case 7:
		return c64(monus(c.rxPkts, c.rxMcast+c.rxBcast))
	case 8:
		return c64(c.rxMcast)
	case 9:
		return c64(c.rxBcast)
	case 10:
		return c64(c.txBytes)
	case 11:
		return c64(monus(c.txPkts, c.txMcast+c.txBcast))
	case 12:
		return c64(c.txMcast)
	case 13:
		return c64(c.txBcast)
	case 14:
		return integer(truth(!w.stacked))
	case 15: // Mbit/s, rounded
		return g32((w.speedKbps + 500) / 1000)
	case 16: // ifPromiscuousMode
		return integer(truthFalse)
	case 17:
		return integer(truth(w.connector))
	case 18:
		return octetString(w.alias)
	case 19:
		return timeticks(w.discTicks)
	}
	panic(fmt.Sprintf("ifXEntry has no column %d", col))
}

// byIfIndex returns ws sorted by ifIndex.
func byIfIndex(ws []wantIf) []wantIf {
	s := slices.Clone(ws)
	slices.SortFunc(s, func(a, b wantIf) int { return int(a.ifIndex) - int(b.ifIndex) })
	return s
}

// wantTable is what a walk of a table with columns 1..ncols must print: by
// column, then by ifIndex.
func wantTable(entry string, ncols int, ws []wantIf, value func(wantIf, int) (string, string)) []snmpdtest.Line {
	var out []snmpdtest.Line
	sorted := byIfIndex(ws)
	for col := 1; col <= ncols; col++ {
		for _, w := range sorted {
			typ, val := value(w, col)
			out = append(out, snmpdtest.Line{OID: fmt.Sprintf(".%s.%d.%d", entry, col, w.ifIndex), Type: typ, Value: val})
		}
	}
	return out
}

// stackPair is one ifStackTable row: higher over lower (0 for none).
type stackPair struct{ higher, lower uint32 }

// wantStack is ifStackTable for ws and the given layering: every pair,
// plus (0, x) for each x nothing is stacked on and (x, 0) for each x stacked
// on nothing (RFC 2863), all active(1).
func wantStack(ws []wantIf, pairs []stackPair) []snmpdtest.Line {
	hasHigher, hasLower := map[uint32]bool{}, map[uint32]bool{}
	rows := slices.Clone(pairs)
	for _, p := range pairs {
		hasHigher[p.lower] = true
		hasLower[p.higher] = true
	}
	for _, w := range ws {
		if !hasHigher[w.ifIndex] {
			rows = append(rows, stackPair{0, w.ifIndex})
		}
		if !hasLower[w.ifIndex] {
			rows = append(rows, stackPair{w.ifIndex, 0})
		}
	}
	slices.SortFunc(rows, func(a, b stackPair) int {
		if a.higher != b.higher {
			return int(a.higher) - int(b.higher)
		}
		return int(a.lower) - int(b.lower)
	})
	var out []snmpdtest.Line
	for _, r := range rows {
		out = append(out, snmpdtest.Line{OID: fmt.Sprintf(".%s.3.%d.%d", oidIfStackEntry, r.higher, r.lower), Type: "INTEGER", Value: "1"})
	}
	return out
}

// normalize makes printed values comparable: net-snmp ends a Hex-STRING
// with a space and follows Timeticks' number with a human form.
func normalize(l snmpdtest.Line) snmpdtest.Line {
	l.Value = strings.TrimSpace(l.Value)
	if l.Type == "Timeticks" {
		if i := strings.IndexByte(l.Value, ')'); i >= 0 {
			l.Value = l.Value[:i+1]
		}
	}
	return l
}

// diffLines returns "" when got equals want line for line (normalized),
// else a description of the first differences.
func diffLines(got, want []snmpdtest.Line) string {
	var b strings.Builder
	n := 0
	for i := 0; i < max(len(got), len(want)) && n < 12; i++ {
		var g, w snmpdtest.Line
		if i < len(got) {
			g = normalize(got[i])
		}
		if i < len(want) {
			w = normalize(want[i])
		}
		if g != w {
			fmt.Fprintf(&b, "line %d:\n   got %s\n  want %s\n", i+1, g, w)
			n++
		}
	}
	if b.Len() > 0 {
		fmt.Fprintf(&b, "(%d lines, want %d)", len(got), len(want))
	}
	return b.String()
}

// maskTicks replaces every Timeticks value with "(*)": for comparisons
// where the instants cannot be known.
func maskTicks(lines []snmpdtest.Line) []snmpdtest.Line {
	out := slices.Clone(lines)
	for i := range out {
		if out[i].Type == "Timeticks" {
			out[i].Value = "(*)"
		}
	}
	return out
}

// checkWalk walks oid with snmpbulkwalk and compares with want.
func checkWalk(t *testing.T, sd *snmpdtest.Snmpd, oid string, want []snmpdtest.Line) {
	t.Helper()
	got, err := bulkwalk(t, sd, oid)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffLines(got, want); d != "" {
		t.Errorf("walk of %s differs from the expectation:\n%s", oid, d)
	}
}

// walkErr is checkWalk for polling, with every Timeticks value left
// unchecked: nil when the walk is as expected.
func walkErr(t *testing.T, sd *snmpdtest.Snmpd, oid string, want []snmpdtest.Line) error {
	got, err := bulkwalk(t, sd, oid)
	if err != nil {
		return err
	}
	if d := diffLines(maskTicks(got), maskTicks(want)); d != "" {
		return fmt.Errorf("walk of %s:\n%s", oid, d)
	}
	return nil
}
