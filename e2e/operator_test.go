package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
)

// TestAgentRefusesBadConfiguration runs the agent as an operator would
// with a mistake in its configuration: it must exit 78 (EX_CONFIG) at once with one
// line on stderr saying what is wrong (and --help exit 0 with the usage on
// stdout). Nothing else runs: the checks come before any connection. A bad
// ifIndex file is not among them: see TestCorruptIfIndexFileStarts.
func TestAgentRefusesBadConfiguration(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	brokenYAML := write("vppcfg.yaml", "interfaces:\n  TenGigabitEthernet3/0/0:\n    description: [unclosed\n")
	wrongShape := write("shape.yaml", "interfaces:\n  - a list, not a map\n")
	good := filepath.Join(dir, "ifindex.json")

	cases := []struct {
		name string
		args []string
		want string // in the stderr line
	}{
		{"unknown flag", []string{"--no-such-flag"}, "no-such-flag"},
		{"flag without value", []string{"--poll-interval"}, "poll-interval"},
		{"bad duration", []string{"--poll-interval", "soon"}, "poll-interval"},
		{"stray argument", []string{"extra"}, "extra"},
		{"broken vppcfg YAML", []string{"--config", brokenYAML}, brokenYAML},
		{"vppcfg of the wrong shape", []string{"--config", wrongShape}, wrongShape},
		{"missing vppcfg", []string{"--config", filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
		{"negative ifindex forget-after", []string{"--ifindex-forget-after", "-5m"}, "ifindex-forget-after"},
		{"garbage agentx address", []string{"--agentx-addr", "garbage"}, "garbage"},
		{"udp agentx address", []string{"--agentx-addr", "udp:127.0.0.1:705"}, "udp"},
		{"bad priority", []string{"--priority", "0"}, "priority"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"--ifindex-file", good}, c.args...)
			code, stdout, stderr := runAgentOnce(t, args...)
			if code != 78 {
				t.Errorf("exit status %d, want 78 (stderr %q)", code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") || !strings.HasPrefix(stderr, "vpp-snmp-agent: ") {
				t.Errorf("stderr %q, want one line starting with \"vpp-snmp-agent: \"", stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr %q does not name %q", stderr, c.want)
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := runAgentOnce(t, "--help")
		if code != 0 || stderr != "" {
			t.Errorf("--help: exit %d, stderr %q; want 0 and nothing", code, stderr)
		}
		for _, w := range []string{"Usage: vpp-snmp-agent", "-agentx-addr", "-ifindex-file", "VPP_SNMP_"} {
			if !strings.Contains(stdout, w) {
				t.Errorf("--help output lacks %q:\n%s", w, stdout)
			}
		}
	})
}

// runAgentOnce runs the agent to its exit (it must exit within 10 s).
func runAgentOnce(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin.agent, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tm := time.NewTimer(10 * time.Second)
	defer tm.Stop()
	var err error
	select {
	case err = <-done:
	case <-tm.C:
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("agent %v still running after 10 s", args)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatal(err)
	}
	return code, o.String(), e.String()
}

// writeScenario writes persistScenario for the vppsim binary.
func writeScenario(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "scenario.yaml")
	if err := os.WriteFile(p, []byte(persistScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAgentStopsCleanlyOnSIGTERM: SIGTERM ends the agent with status 0
// after an AgentX Close, which snmpd's agentx/master debug log shows as a
// close of the session "okay" (a killed agent shows only a transport
// disconnect); snmpd then answers for IF-MIB itself (here: nothing).
func TestAgentStopsCleanlyOnSIGTERM(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	_, socks := startVppsim(t, dir, "--scenario", writeScenario(t, dir))
	sd := snmpdtest.Start(t, snmpdtest.Options{ExtraConfig: []string{"[snmp] doDebugging 1", "[snmp] debugTokens agentx/master"}})
	a := startAgent(t, dir, sd, socks)
	waitServing(t, sd, 15*time.Second, 5)

	a.signal(syscall.SIGTERM)
	if code := a.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGTERM, want 0", code)
	}
	if !strings.Contains(a.Log(), "vpp-snmp-agent stopped") {
		t.Errorf("the agent did not log its stop:\n%s", tail(a.Log(), 10))
	}
	closed := regexp.MustCompile(`agentx/master: closed \S+, \d+ okay`)
	eventually(t, time.Second, "snmpd logs the session's Close", func() error {
		if !closed.MatchString(sd.Log()) {
			return errors.New("no \"agentx/master: closed ..., N okay\" in snmpd's log")
		}
		return nil
	})
	m := mustGet(t, sd, oidIfNumber)
	if l := m["."+oidIfNumber]; !strings.HasPrefix(l.Value, "No Such Object") {
		t.Errorf("ifNumber.0 after the agent stopped: %s, want snmpd's own No Such Object", l)
	}
}

// TestAgentWaitsForVPP starts the agent before VPP: it must serve VPP's
// interfaces within 3 s of VPP coming up, whether VPP comes before the
// agent gives up waiting to register (5 s) or after, when it has
// registered with nothing to serve yet.
func TestAgentWaitsForVPP(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	for _, late := range []time.Duration{2 * time.Second, 6 * time.Second} {
		t.Run(fmt.Sprintf("VPP %v late", late), func(t *testing.T) {
			t.Parallel()
			dir := shortDir(t)
			sd := snmpdtest.Start(t, snmpdtest.Options{})
			a := startAgent(t, dir, sd, socketsIn(dir))
			time.Sleep(late) // VPP is late
			select {
			case <-a.done:
				t.Fatalf("the agent exited while VPP was absent: %v\n%s", a.err, a.Log())
			default:
			}
			// Not registered yet, or registered with no interfaces.
			if m, err := get(t, sd, oidIfNumber); err != nil {
				t.Errorf("while VPP is absent: %v", err)
			} else if l := m["."+oidIfNumber]; l.Value != "0" && !strings.HasPrefix(l.Value, "No Such Object") {
				t.Errorf("ifNumber.0 while VPP is absent: %s", l)
			}
			startVppsim(t, dir, "--scenario", writeScenario(t, dir))
			eventually(t, 3*time.Second, "interfaces served once VPP is up", func() error {
				if err := checkIfNumber(t, sd, 5); err != nil {
					return err
				}
				ix, err := ifIndexesErr(t, sd)
				if err != nil {
					return err
				}
				if len(ix) != 5 || ix["TenGigabitEthernet3/0/0.100"] == 0 {
					return fmt.Errorf("ifDescr: %v", ix)
				}
				return nil
			})
		})
	}
}

// TestAgentSurvivesSnmpdRestart kills snmpd (SIGKILL, as a crash) and
// starts it again on the same AgentX socket: the agent must serve again
// within 3 s.
func TestAgentSurvivesSnmpdRestart(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	_, socks := startVppsim(t, dir, "--scenario", writeScenario(t, dir))
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	a := startAgent(t, dir, sd, socks)
	waitServing(t, sd, 15*time.Second, 5)
	want := ifIndexes(t, sd)
	for round := range 2 {
		sd.Kill()
		sd.Restart(t)
		eventually(t, 3*time.Second, fmt.Sprintf("serving again after snmpd restart %d", round+1), func() error {
			got, err := ifIndexesErr(t, sd)
			if err != nil {
				return err
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Errorf("ifDescr walk %v, want %v", got, want)
			}
			return nil
		})
	}
	select {
	case <-a.done:
		t.Fatalf("the agent exited: %v", a.err)
	default:
	}
}

// TestSetIsRefused: a SET through a read-write community reaches the agent
// (snmpd's own IF-MIB is loaded and would accept ifAdminStatus), which
// refuses it as notWritable; nothing changes and the agent keeps serving.
func TestSetIsRefused(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	_, socks := startVppsim(t, dir, "--scenario", writeScenario(t, dir))
	sd := snmpdtest.Start(t, snmpdtest.Options{RWCommunity: true, BuiltinIFMIB: true})
	startAgent(t, dir, sd, socks)
	waitServing(t, sd, 15*time.Second, 5)
	ix := ifIndexes(t, sd)["TenGigabitEthernet3/0/0"]
	for _, set := range [][]string{
		{ifXCol(18, ix), "s", "new alias"}, // ifAlias
		{ifCol(colIfAdminStatus, ix), "i", "2"},
		{ifXCol(colIfLinkUpDownTrapEn, ix), "i", "2"},
	} {
		out, err := sd.Cmd(t, "snmpset", set...)
		if err == nil || !strings.Contains(err.Error(), "notWritable") {
			t.Errorf("snmpset %v: %v, output %q; want notWritable", set, err, out)
		}
	}
	m := mustGet(t, sd, ifXCol(18, ix), ifCol(colIfAdminStatus, ix), ifXCol(colIfLinkUpDownTrapEn, ix))
	if a := m["."+ifXCol(18, ix)]; a.Value != `""` {
		t.Errorf("ifAlias after the refused SET: %s", a)
	}
	if s := m["."+ifCol(colIfAdminStatus, ix)]; s.Value != "1" {
		t.Errorf("ifAdminStatus after the refused SET: %s", s)
	}
	if s := m["."+ifXCol(colIfLinkUpDownTrapEn, ix)]; s.Value != "1" {
		t.Errorf("ifLinkUpDownTrapEnable after the refused SET: %s", s)
	}
	if err := checkIfNumber(t, sd, 5); err != nil {
		t.Errorf("after the SETs: %v", err)
	}
}

// TestAgentXOverTCP runs the AgentX session over TCP on loopback (the
// agent's net.Conn path, where unix sockets use raw reads): walks are the
// same.
func TestAgentXOverTCP(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	_, socks := startVppsim(t, dir, "--scenario", writeScenario(t, dir))
	port, err := freeTCPPort()
	if err != nil {
		t.Fatal(err)
	}
	sd := snmpdtest.Start(t, snmpdtest.Options{AgentXSocket: fmt.Sprintf("tcp:127.0.0.1:%d", port)})
	startAgent(t, dir, sd, socks)
	waitServing(t, sd, 15*time.Second, 5)
	ix := ifIndexes(t, sd)
	for _, name := range []string{"local0", "TenGigabitEthernet3/0/0", "TenGigabitEthernet3/0/1", "loop0", "TenGigabitEthernet3/0/0.100"} {
		if ix[name] == 0 {
			t.Errorf("no %s in ifDescr over AgentX/TCP: %v", name, ix)
		}
	}
	lines, err := bulkwalk(t, sd, oidIfXTable)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 19*5 {
		t.Errorf("ifXTable over AgentX/TCP: %d varbinds, want %d", len(lines), 19*5)
	}
}

func freeTCPPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
