package snmpdtest

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestStartAnswersAndRestarts(t *testing.T) {
	s := Start(t, Options{RWCommunity: true})
	sock := strings.TrimPrefix(s.AgentXAddr, "unix:")
	if fi, err := os.Stat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("agentx socket %s: %v, %v", sock, fi, err)
	}
	out, err := s.Cmd(t, "snmpget", "1.3.6.1.2.1.1.3.0")
	if err != nil {
		t.Fatal(err)
	}
	l := ParseLines(out)
	if len(l) != 1 || l[0].OID != ".1.3.6.1.2.1.1.3.0" || l[0].Type != "Timeticks" {
		t.Fatalf("sysUpTime.0: got %q", out)
	}

	// snmpd's own IF-MIB is off by default: ifTable must be absent.
	out, err = s.Cmd(t, "snmpget", "1.3.6.1.2.1.2.2.1.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if l := ParseLines(out); len(l) != 1 || !strings.HasPrefix(l[0].Value, "No Such Object") {
		t.Fatalf("ifDescr.1 with snmpd's IF-MIB off: got %q", out)
	}

	s.Kill()
	if _, err := s.Cmd(t, "snmpget", "-t", "0.2", "-r", "0", "1.3.6.1.2.1.1.3.0"); err == nil {
		t.Fatal("killed snmpd still answers")
	}
	s.Restart(t)
	if _, err := s.Cmd(t, "snmpget", "1.3.6.1.2.1.1.3.0"); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if !strings.Contains(s.Log(), "NET-SNMP version") {
		t.Fatalf("log lacks the start banner:\n%s", s.Log())
	}
}

func TestBuiltinIFMIB(t *testing.T) {
	s := Start(t, Options{BuiltinIFMIB: true})
	lines := s.Walk(t, "1.3.6.1.2.1.2.2.1.2")
	if len(lines) == 0 || lines[0].Type != "STRING" {
		t.Fatalf("snmpd's own ifDescr walk: %v", lines)
	}
}

func TestParseLines(t *testing.T) {
	out := `.1.3.6.1.2.1.2.2.1.2.1 = STRING: "fixture-eth0"
.1.3.6.1.2.1.31.1.1.1.18.1 = ""
.1.3.6.1.2.1.2.2.1.2.9 = No Such Instance currently exists at this OID
.1.3.6.1.2.1.2.2.1.6.1 = Hex-STRING: 02 00 00 00 00 01 02 00 00 00 00 01 02 00 00 00
00 01
.1.3.6.1.2.1.2.2.1.9.1 = Timeticks: (1000) 0:00:10.00
`
	want := []Line{
		{".1.3.6.1.2.1.2.2.1.2.1", "STRING", `"fixture-eth0"`},
		{".1.3.6.1.2.1.31.1.1.1.18.1", "", `""`},
		{".1.3.6.1.2.1.2.2.1.2.9", "", "No Such Instance currently exists at this OID"},
		{".1.3.6.1.2.1.2.2.1.6.1", "Hex-STRING", "02 00 00 00 00 01 02 00 00 00 00 01 02 00 00 00\n00 01"},
		{".1.3.6.1.2.1.2.2.1.9.1", "Timeticks", "(1000) 0:00:10.00"},
	}
	got := ParseLines(out)
	if len(got) != len(want) {
		t.Fatalf("got %d lines %v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestTrapSinkGetsColdStart(t *testing.T) {
	td := StartTrapd(t)
	Start(t, Options{TrapSink: td.Addr})
	// snmpd sends coldStart (1.3.6.1.6.3.1.1.5.1) to its sinks at start.
	td.WaitFor(t, ".1.3.6.1.6.3.1.1.5.1", 10*time.Second)
}
