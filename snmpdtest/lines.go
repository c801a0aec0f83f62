package snmpdtest

import (
	"strings"
	"testing"
)

// Line is one varbind as net-snmp's tools print it with -On:
// ".1.3.6.1.2.1.2.2.1.2.1 = STRING: "eth0"" is {OID: ".1.3.6.1.2.1.2.2.1.2.1",
// Type: "STRING", Value: `"eth0"`}. Values printed without a type (an empty
// string prints as `""`; exceptions print as sentences such as "No Such
// Object available on this agent at this OID") have an empty Type.
type Line struct {
	OID, Type, Value string
}

func (l Line) String() string {
	if l.Type == "" {
		return l.OID + " = " + l.Value
	}
	return l.OID + " = " + l.Type + ": " + l.Value
}

// ParseLines parses the output of a client tool run with -On. A line that
// does not start with "." continues the previous value (long Hex-STRINGs and
// strings holding newlines wrap).
func ParseLines(out string) []Line {
	var lines []Line
	for _, raw := range strings.Split(out, "\n") {
		if raw == "" {
			continue
		}
		name, rest, ok := strings.Cut(raw, " = ")
		if !ok || !strings.HasPrefix(name, ".") {
			if n := len(lines); n > 0 {
				lines[n-1].Value += "\n" + raw
			}
			continue
		}
		l := Line{OID: name, Value: rest}
		if typ, val, ok := strings.Cut(rest, ": "); ok && isTypeName(typ) {
			l.Type, l.Value = typ, val
		}
		lines = append(lines, l)
	}
	return lines
}

// isTypeName reports whether s looks like one of net-snmp's type labels
// (STRING, INTEGER, Hex-STRING, Counter64, Timeticks, OID, ...), as opposed
// to the start of a sentence or a quoted string.
func isTypeName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// Walk runs snmpwalk from oid and returns its lines; it fails the test when
// snmpwalk fails.
func (s *Snmpd) Walk(t testing.TB, oid string) []Line {
	t.Helper()
	out, err := s.Cmd(t, "snmpwalk", oid)
	if err != nil {
		t.Fatalf("walking %s: %v", oid, err)
	}
	return ParseLines(out)
}

// BulkWalk runs snmpbulkwalk -Cr50 from oid and returns its lines; it fails
// the test when snmpbulkwalk fails.
func (s *Snmpd) BulkWalk(t testing.TB, oid string) []Line {
	t.Helper()
	out, err := s.Cmd(t, "snmpbulkwalk", "-Cr50", oid)
	if err != nil {
		t.Fatalf("bulkwalking %s: %v", oid, err)
	}
	return ParseLines(out)
}
