package agentx

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
)

// probeAsync runs Probe in the background (the fake master runs in the
// test's goroutine, where it may fail the test).
func probeAsync(cfg Config) <-chan probeOutcome {
	ch := make(chan probeOutcome, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r, err := Probe(ctx, cfg)
		ch <- probeOutcome{r, err}
	}()
	return ch
}

type probeOutcome struct {
	r   ProbeResult
	err error
}

// replyErr answers req with a refusal and the given varbinds.
func (m *fakeMaster) replyErr(req *pdu, e ErrorStatus, vbs []Varbind) {
	m.t.Helper()
	r := &pdu{header: header{version: 1, typ: pduResponse, flags: req.flags & flagNetworkByteOrder,
		sessionID: m.sid, transactionID: req.transactionID, packetID: req.packetID}, resError: e, varbinds: vbs}
	m.write(r.appendTo(nil))
}

func (m *fakeMaster) acceptOnly() {
	m.t.Helper()
	c, err := m.ln.Accept()
	if err != nil {
		m.t.Fatal(err)
	}
	m.t.Cleanup(func() { c.Close() })
	m.c = c
	m.sid++
}

func (m *fakeMaster) expect(typ pduType) *pdu {
	m.t.Helper()
	p := m.recv()
	if p.typ != typ {
		m.t.Fatalf("master got %v, want %v", p.typ, typ)
	}
	return p
}

// The probe opens, registers every subtree at the configured priority,
// answers a request that arrives in between from an empty tree, and
// closes with reason shutdown.
func TestProbeAccepted(t *testing.T) {
	m := newFakeMaster(t)
	subtrees := []OID{ifNumberOID, ifTableOID, ifXTableOID}
	out := probeAsync(Config{Addr: m.addr, ID: OID{1, 3, 6, 1, 2, 1, 31}, Description: "probe", Priority: 90, Subtrees: subtrees})
	m.acceptOnly()
	open := m.expect(pduOpen)
	if string(open.descr) != "probe" {
		t.Errorf("Open descr %q", open.descr)
	}
	m.big = open.bigEndian()
	m.reply(open, nil)
	for i, st := range subtrees {
		r := m.expect(pduRegister)
		if r.subtree.Compare(st) != 0 || r.priority != 90 || r.sessionID != m.sid {
			t.Errorf("Register %d: %v at %d, session %d", i, r.subtree, r.priority, r.sessionID)
		}
		if i == 1 {
			// A request for what is registered so far.
			m.write(m.request(pduGet, 77, searchRange{start: oidAppend(ifNumberOID, 0)}))
			a := m.recv()
			if a.typ != pduResponse || a.packetID != 77 || len(a.varbinds) != 1 || a.varbinds[0].Value.Type != TypeNoSuchObject {
				t.Errorf("answer to a Get during the probe: %+v", a)
			}
		}
		m.reply(r, []Varbind{{Name: st, Value: Value{Type: TypeNull}}})
	}
	cl := m.expect(pduClose)
	if cl.reason != reasonShutdown {
		t.Errorf("Close reason %v", cl.reason)
	}
	m.reply(cl, nil)
	o := <-out
	if o.err != nil {
		t.Fatal(o.err)
	}
	if !o.r.Connected || !o.r.Opened || !o.r.Closed || !o.r.OK() || o.r.SessionID != m.sid || len(o.r.Registrations) != 3 {
		t.Fatalf("result %+v", o.r)
	}
	for i, g := range o.r.Registrations {
		if g.Subtree.Compare(subtrees[i]) != 0 || g.Error != NoError || g.Priority != 90 || len(g.Detail) != 0 {
			t.Errorf("registration %d: %+v", i, g)
		}
	}
}

// A refused registration is reported with its subtree and whatever the
// Response said beyond the echo; the others are still tried and the
// session is still closed.
func TestProbeDuplicateRegistration(t *testing.T) {
	m := newFakeMaster(t)
	subtrees := []OID{ifNumberOID, ifTableOID}
	out := probeAsync(Config{Addr: m.addr, Subtrees: subtrees})
	m.acceptOnly()
	open := m.expect(pduOpen)
	m.big = open.bigEndian()
	m.reply(open, nil)
	holder := Varbind{Name: OID{1, 3, 6, 1, 4, 1, 99}, Value: str("other-subagent")}
	r := m.expect(pduRegister)
	m.replyErr(r, DuplicateRegistration, []Varbind{{Name: r.subtree, Value: Value{Type: TypeNull}}, holder})
	r = m.expect(pduRegister)
	m.reply(r, nil)
	m.reply(m.expect(pduClose), nil)
	o := <-out
	if o.err != nil {
		t.Fatal(o.err)
	}
	if o.r.OK() || !o.r.Opened || !o.r.Closed || len(o.r.Registrations) != 2 {
		t.Fatalf("result %+v", o.r)
	}
	g := o.r.Registrations[0]
	if g.Error != DuplicateRegistration || g.Subtree.Compare(ifNumberOID) != 0 || g.Priority != 100 {
		t.Errorf("refused registration: %+v", g)
	}
	if len(g.Detail) != 1 || g.Detail[0].Name.Compare(holder.Name) != 0 || string(g.Detail[0].Value.Bytes) != "other-subagent" {
		t.Errorf("detail %+v, want the holder varbind", g.Detail)
	}
	if o.r.Registrations[1].Error != NoError {
		t.Errorf("second registration: %+v", o.r.Registrations[1])
	}
}

func TestProbeOpenRefused(t *testing.T) {
	m := newFakeMaster(t)
	out := probeAsync(Config{Addr: m.addr, Subtrees: []OID{ifNumberOID}})
	m.acceptOnly()
	open := m.expect(pduOpen)
	m.big = open.bigEndian()
	m.replyErr(open, OpenFailed, nil)
	o := <-out
	if o.err != nil {
		t.Fatal(o.err)
	}
	if o.r.Opened || o.r.OpenError != OpenFailed || o.r.OK() || len(o.r.Registrations) != 0 {
		t.Fatalf("result %+v", o.r)
	}
}

// A master that accepts the connection and never answers: the probe gives
// up after its timeout with ErrNoResponse.
func TestProbeNoResponse(t *testing.T) {
	m := newFakeMaster(t)
	out := probeAsync(Config{Addr: m.addr, Subtrees: []OID{ifNumberOID}, Timeout: time.Second})
	m.acceptOnly()
	m.expect(pduOpen)
	o := <-out
	if !errors.Is(o.err, ErrNoResponse) || !o.r.Connected || o.r.Opened {
		t.Fatalf("result %+v, error %v; want connected, ErrNoResponse", o.r, o.err)
	}
}

// The master's Close in the middle of the probe ends it with an error.
func TestProbeMasterCloses(t *testing.T) {
	m := newFakeMaster(t)
	out := probeAsync(Config{Addr: m.addr, Subtrees: []OID{ifNumberOID}})
	m.acceptOnly()
	open := m.expect(pduOpen)
	m.big = open.bigEndian()
	m.reply(open, nil)
	m.expect(pduRegister)
	cl := &pdu{header: header{version: 1, typ: pduClose, flags: flagNetworkByteOrder, sessionID: m.sid}, reason: reasonByManager}
	m.write(cl.appendTo(nil))
	o := <-out
	if !errors.Is(o.err, errMasterClosed) || !o.r.Opened {
		t.Fatalf("result %+v, error %v", o.r, o.err)
	}
}

// Nobody at the address: the error says why, as the system said it.
func TestProbeNobodyListens(t *testing.T) {
	dir := t.TempDir()
	_, err := Probe(context.Background(), Config{Addr: "unix:" + filepath.Join(dir, "nope"), Subtrees: []OID{ifNumberOID}})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("unix socket absent: %v, want ENOENT", err)
	}
	r, err := Probe(context.Background(), Config{Addr: fmt.Sprintf("tcp:127.0.0.1:%d", freeTCPPort(t)), Subtrees: []OID{ifNumberOID}})
	if !errors.Is(err, syscall.ECONNREFUSED) || r.Connected {
		t.Errorf("tcp port closed: %+v, %v; want ECONNREFUSED", r, err)
	}
	if _, err := Probe(context.Background(), Config{Addr: "udp:127.0.0.1:705"}); err == nil {
		t.Error("udp address accepted")
	}
}

// Against the real snmpd: a probe registers and leaves cleanly (a session
// registers the same subtrees right after), and a probe while a session
// holds the subtrees at the same priority gets duplicateRegistration for
// each while the session keeps serving.
func TestProbeSnmpd(t *testing.T) {
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	cfg := Config{Addr: sd.AgentXAddr, ID: OID{1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 3}, Description: "probe test", Subtrees: ifSubtrees}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := Probe(ctx, cfg)
	if err != nil {
		t.Fatalf("probe: %v\nsnmpd log:\n%s", err, sd.Log())
	}
	if !r.OK() || !r.Closed || len(r.Registrations) != len(ifSubtrees) {
		t.Fatalf("probe of a free snmpd: %+v", r)
	}

	startAgent(t, sd, ifTree("held"), Config{})
	r, err = Probe(ctx, cfg)
	if err != nil {
		t.Fatalf("probe: %v\nsnmpd log:\n%s", err, sd.Log())
	}
	if r.OK() || !r.Opened || !r.Closed || len(r.Registrations) != len(ifSubtrees) {
		t.Fatalf("probe of a held snmpd: %+v", r)
	}
	for i, g := range r.Registrations {
		if g.Error != DuplicateRegistration || g.Subtree.Compare(ifSubtrees[i]) != 0 {
			t.Errorf("registration %d: %+v, want duplicateRegistration", i, g)
		}
		t.Logf("snmpd's refusal of %s: %v, detail %v", dotted(g.Subtree), g.Error, g.Detail)
	}
	wantLines(t, cmdLines(t, sd, "snmpget", dotted(oidAppend(ifEntryOID, 2, 1))),
		[]Varbind{{oidAppend(ifEntryOID, 2, 1), str("held-eth1")}})
}
