package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
)

// checkScenario is persistScenario plus a linux-cp tap: six interfaces with
// local0, one linux-cp pair.
const checkScenario = persistScenario + `  - name: tap1
    kind: tap
    parent: TenGigabitEthernet3/0/0
    host_name: e0
`

// checkParts are the parts `check` reports, one line each, in this order.
var checkParts = []string{"VPP API", "stats segment", "linux-cp", "vppcfg file", "ifIndex file", "AgentX"}

// runCheck runs `vpp-snmp-agent check args...` to its exit. Each of its
// six steps is bounded by 5 s, so a minute means it hangs.
func runCheck(t *testing.T, args ...string) (code int, lines map[string]string, stdout string) {
	t.Helper()
	cmd := exec.Command(bin.agent, append([]string{"check"}, args...)...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tm := time.NewTimer(time.Minute)
	defer tm.Stop()
	var err error
	select {
	case err = <-done:
	case <-tm.C:
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("check %v still running after a minute; output so far:\n%s", args, o.String())
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatal(err)
	}
	t.Logf("check -> exit %d\n%s%s", code, o.String(), e.String())
	if e.Len() != 0 {
		t.Errorf("check wrote to stderr: %q", e.String())
	}
	all := strings.Split(strings.TrimRight(o.String(), "\n"), "\n")
	if len(all) != len(checkParts) {
		t.Fatalf("check printed %d lines, want %d", len(all), len(checkParts))
	}
	lines = map[string]string{}
	for i, l := range all {
		verdict, rest, _ := strings.Cut(l, " ")
		if verdict != "ok" && verdict != "warn" && verdict != "FAIL" {
			t.Errorf("line %q does not start with ok, warn or FAIL", l)
		}
		if !strings.HasPrefix(strings.TrimLeft(rest, " "), checkParts[i]) {
			t.Errorf("line %d %q, want the %s part there", i+1, l, checkParts[i])
		}
		lines[checkParts[i]] = l
	}
	return code, lines, o.String()
}

// checkArgs are the flags pointing check at vpp and sd.
func checkArgs(vpp vppSockets, sd *snmpdtest.Snmpd, ifindexFile string) []string {
	return []string{"--api-socket", vpp.api, "--stats-socket", vpp.stats, "--agentx-addr", sd.AgentXAddr, "--ifindex-file", ifindexFile}
}

func wantLine(t *testing.T, lines map[string]string, part string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(lines[part], w) {
			t.Errorf("%s line %q lacks %q", part, lines[part], w)
		}
	}
}

// TestCheckAllWell: against vppsim and snmpd, check exits 0 and reports
// VPP's version and interface count, the stats segment, the linux-cp pair
// and a clean AgentX registration.
func TestCheckAllWell(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	scenario := filepath.Join(dir, "scenario.yaml")
	if err := os.WriteFile(scenario, []byte(checkScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	_, socks := startVppsim(t, dir, "--scenario", scenario)
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	code, lines, _ := runCheck(t, checkArgs(socks, sd, filepath.Join(dir, "ifindex.json"))...)
	if code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	wantLine(t, lines, "VPP API", "ok ", socks.api, "VPP 26.06", "6 interfaces")
	wantLine(t, lines, "stats segment", "ok ", socks.stats, "segment version 2", "6 interfaces in /if/names", "14 of 14 interface counters")
	wantLine(t, lines, "linux-cp", "ok ", "1 pair")
	wantLine(t, lines, "vppcfg file", "ok ", "not configured")
	wantLine(t, lines, "ifIndex file", "ok ", "absent")
	wantLine(t, lines, "AgentX", "ok ", sd.AgentXAddr, "6 subtrees registered at priority 100")
}

// TestCheckWrongAPISocket: a wrong --api-socket fails check, and its line
// names that socket; the other parts are still checked.
func TestCheckWrongAPISocket(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	_, socks := startVppsim(t, dir, "--scenario", writeScenario(t, dir))
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	wrong := filepath.Join(dir, "no-api.sock")
	args := append(checkArgs(socks, sd, filepath.Join(dir, "ifindex.json")), "--api-socket", wrong)
	code, lines, _ := runCheck(t, args...)
	if code == 0 {
		t.Error("exit status 0 with a wrong --api-socket")
	}
	wantLine(t, lines, "VPP API", "FAIL", wrong, "is VPP running?")
	wantLine(t, lines, "stats segment", "ok ")
	wantLine(t, lines, "AgentX", "ok ")
}

// TestCheckWithoutSnmpd: with snmpd stopped, or an AgentX address nobody
// listens on, check fails and its line names the address and says what
// snmpd needs.
func TestCheckWithoutSnmpd(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	_, socks := startVppsim(t, dir, "--scenario", writeScenario(t, dir))
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	args := checkArgs(socks, sd, filepath.Join(dir, "ifindex.json"))
	sd.Kill()
	code, lines, _ := runCheck(t, args...)
	if code == 0 {
		t.Error("exit status 0 with snmpd stopped")
	}
	wantLine(t, lines, "AgentX", "FAIL", sd.AgentXAddr, "master agentx")
	wantLine(t, lines, "VPP API", "ok ")

	port, err := freeTCPPort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("tcp:127.0.0.1:%d", port)
	code, lines, _ = runCheck(t, append(args, "--agentx-addr", addr)...)
	if code == 0 {
		t.Errorf("exit status 0 with nobody at %s", addr)
	}
	wantLine(t, lines, "AgentX", "FAIL", addr, "connection refused", "agentXSocket "+addr)
}

// TestCheckBesideTheAgent: while the agent runs, check reports the IF-MIB
// subtrees as held (duplicateRegistration, exit 1) and the agent keeps
// serving; once the agent is stopped, check passes. Neither run changes
// the ifIndex file the agent wrote, nor its previous copy.
func TestCheckBesideTheAgent(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	_, socks := startVppsim(t, dir, "--scenario", writeScenario(t, dir))
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	a := startAgent(t, dir, sd, socks)
	waitServing(t, sd, 15*time.Second, 5)
	eventually(t, 10*time.Second, "the agent saved its ifIndex file", func() error {
		_, err := os.Stat(a.ifindexFile)
		return err
	})
	args := checkArgs(socks, sd, a.ifindexFile)

	code, lines, _ := runCheck(t, args...)
	if code != 1 {
		t.Errorf("exit status %d beside a running agent, want 1", code)
	}
	wantLine(t, lines, "AgentX", "FAIL", sd.AgentXAddr, "duplicateRegistration", "ifTable (1.3.6.1.2.1.2.2)", "priority 100")
	if err := checkIfNumber(t, sd, 5); err != nil {
		t.Errorf("the agent after check: %v", err)
	}

	a.signal(syscall.SIGTERM)
	if code := a.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("agent exit status %d after SIGTERM", code)
	}
	// A previous copy too, and both dated in the past, so that a rewrite
	// within the same clock tick would still show.
	prev := a.ifindexFile + ".prev"
	b, err := os.ReadFile(a.ifindexFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prev, b, 0o644); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour).Truncate(time.Second)
	type state struct {
		b     []byte
		mtime time.Time
	}
	stateOf := func(p string) state {
		t.Helper()
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return state{b, st.ModTime()}
	}
	before := map[string]state{}
	for _, p := range []string{a.ifindexFile, prev} {
		if err := os.Chtimes(p, past, past); err != nil {
			t.Fatal(err)
		}
		before[p] = stateOf(p)
	}

	code, lines, _ = runCheck(t, args...)
	if code != 0 {
		t.Errorf("exit status %d with the agent stopped, want 0", code)
	}
	wantLine(t, lines, "ifIndex file", "ok ", a.ifindexFile, "5 entries", "previous copy ifindex.json.prev: 5 entries")
	wantLine(t, lines, "AgentX", "ok ")
	for p, want := range before {
		got := stateOf(p)
		if !bytes.Equal(got.b, want.b) || !got.mtime.Equal(want.mtime) {
			t.Errorf("check changed %s: mtime %v -> %v, content %q -> %q", p, want.mtime, got.mtime, want.b, got.b)
		}
	}
}
