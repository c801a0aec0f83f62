package snmpdtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options configure one snmpd.
type Options struct {
	// RWCommunity adds "rwcommunity private 127.0.0.1" so that SETs reach
	// the subagents.
	RWCommunity bool
	// TrapSink, e.g. "127.0.0.1:16162", adds "trap2sink <addr> public".
	TrapSink string
	// BuiltinIFMIB leaves snmpd's own ifTable and ifXTable modules loaded
	// (to prove that a subagent's registrations win over them). By default
	// they are excluded with -I, as deployments may do.
	BuiltinIFMIB bool
	// AgentXSocket overrides the AgentX address, e.g. "tcp:127.0.0.1:7705";
	// default unix:<Dir>/master.
	AgentXSocket string
	// ExtraConfig lines are appended to snmpd.conf.
	ExtraConfig []string
}

// startTimeout bounds how long Start waits for snmpd to answer.
const startTimeout = 15 * time.Second

// Snmpd is one running snmpd.
type Snmpd struct {
	Dir        string // the temporary directory holding everything
	AgentXAddr string // "unix:<Dir>/master"
	UDPAddr    string // "127.0.0.1:PORT"

	bin, conf, log string
	args           []string
	env            []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts snmpd and waits until it answers SNMP on UDPAddr and its AgentX
// socket exists. The test's cleanup kills it.
func Start(t testing.TB, o Options) *Snmpd {
	t.Helper()
	bin := lookPath("snmpd")
	if bin == "" {
		t.Fatal("snmpd not found: apt-get install snmpd snmp")
	}
	if lookPath("snmpget") == "" {
		t.Fatal("snmpget not found: apt-get install snmpd snmp")
	}
	// Unix socket paths are limited to 108 bytes and t.TempDir() embeds the
	// test name, so use a short directory of our own.
	dir, err := os.MkdirTemp("", "snmpd")
	if err != nil {
		t.Fatalf("creating snmpd directory: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	s := &Snmpd{
		Dir:        dir,
		AgentXAddr: "unix:" + filepath.Join(dir, "master"),
		bin:        bin,
		conf:       filepath.Join(dir, "snmpd.conf"),
		log:        filepath.Join(dir, "snmpd.log"),
	}
	if o.AgentXSocket != "" {
		s.AgentXAddr = o.AgentXSocket
	}
	modules := "-smux,mteTrigger,mteTriggerConf"
	if !o.BuiltinIFMIB {
		// This snmpd build has no ifStackTable module: ifTable (with
		// ifNumber) and ifXTable are all of its IF-MIB.
		modules += ",ifTable,ifXTable"
	}
	s.args = []string{"-f", "-Lf", s.log, "-C", "-c", s.conf, "-p", filepath.Join(dir, "snmpd.pid"), "-I", modules}
	s.env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+filepath.Join(dir, "persist"), "MIBS=")
	t.Cleanup(s.Kill)

	// The free port is found by binding and releasing it; another process
	// may take it in between, so try a few ports.
	var lastErr error
	for range 5 {
		port, err := freeUDPPort()
		if err != nil {
			t.Fatalf("finding a free UDP port: %v", err)
		}
		s.UDPAddr = fmt.Sprintf("127.0.0.1:%d", port)
		if err := s.writeConfig(o); err != nil {
			t.Fatalf("writing snmpd.conf: %v", err)
		}
		if lastErr = s.start(); lastErr == nil {
			return s
		}
		s.Kill()
	}
	t.Fatalf("starting snmpd: %v\nlog:\n%s", lastErr, s.Log())
	return nil
}

func (s *Snmpd) writeConfig(o Options) error {
	lines := []string{
		"agentaddress udp:" + s.UDPAddr,
		"rocommunity public 127.0.0.1",
		"master agentx",
		"agentXSocket " + s.AgentXAddr,
	}
	if o.RWCommunity {
		lines = append(lines, "rwcommunity private 127.0.0.1")
	}
	if o.TrapSink != "" {
		lines = append(lines, "trap2sink "+o.TrapSink+" public")
	}
	lines = append(lines, o.ExtraConfig...)
	return os.WriteFile(s.conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}

// start launches snmpd and waits until it is ready.
func (s *Snmpd) start() error {
	cmd := exec.Command(s.bin, s.args...)
	cmd.Env = s.env
	cmd.Dir = s.Dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("running %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("snmpd exited at start: %s", out.String())
		default:
		}
		if s.agentXListening() {
			if _, err := s.run(context.Background(), "snmpget", "public", "-t", "0.5", "-r", "0", "1.3.6.1.2.1.1.3.0"); err == nil {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("snmpd did not answer within " + startTimeout.String())
}

// agentXListening says whether the AgentX socket accepts connections (it is
// opened after the UDP port, so it is the last thing to wait for).
func (s *Snmpd) agentXListening() bool {
	network, addr := "unix", strings.TrimPrefix(s.AgentXAddr, "unix:")
	if strings.HasPrefix(s.AgentXAddr, "tcp:") {
		network, addr = "tcp", strings.TrimPrefix(s.AgentXAddr, "tcp:")
	}
	c, err := net.DialTimeout(network, addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Kill kills snmpd with SIGKILL (as a crash would) and waits for it to exit.
// The AgentX socket file stays behind, as after a crash.
func (s *Snmpd) Kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// Restart starts snmpd again (after Kill, or killing it first) with the same
// configuration, AgentX socket and UDP port.
func (s *Snmpd) Restart(t testing.TB) {
	t.Helper()
	s.Kill()
	if err := s.start(); err != nil {
		t.Fatalf("restarting snmpd: %v\nlog:\n%s", err, s.Log())
	}
}

// Log returns what snmpd has logged so far.
func (s *Snmpd) Log() string {
	b, err := os.ReadFile(s.log)
	if err != nil {
		return fmt.Sprintf("(reading %s: %v)", s.log, err)
	}
	return string(b)
}

// cmdTimeout bounds one client command (a bulkwalk of tens of thousands of
// varbinds through AgentX takes seconds).
const cmdTimeout = 2 * time.Minute

// Cmd runs a net-snmp client tool (snmpget, snmpgetnext, snmpwalk,
// snmpbulkwalk, snmpbulkget, snmpset, ...) against UDPAddr with -v2c, -On,
// community public (private for snmpset), a 2 s timeout and 2 retries; args
// come before the agent address, so they may add or override options and
// must end with the OIDs (and values). It returns stdout; on failure the error
// carries the exit status and stderr.
func (s *Snmpd) Cmd(t testing.TB, tool string, args ...string) (string, error) {
	t.Helper()
	community := "public"
	if tool == "snmpset" {
		community = "private"
	}
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	return s.run(ctx, tool, community, args...)
}

func (s *Snmpd) run(ctx context.Context, tool, community string, args ...string) (string, error) {
	bin := lookPath(tool)
	if bin == "" {
		return "", fmt.Errorf("%s not found: apt-get install snmp", tool)
	}
	// Options first, then the agent, then OIDs: net-snmp stops parsing
	// options at the first operand.
	var opts, operands []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && len(operands) == 0 {
			opts = append(opts, a)
			if optTakesValue(a) && i+1 < len(args) {
				i++
				opts = append(opts, args[i])
			}
			continue
		}
		operands = append(operands, a)
	}
	full := append([]string{"-v2c", "-c", community, "-On", "-t", "2", "-r", "2"}, opts...)
	full = append(full, s.UDPAddr)
	full = append(full, operands...)
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Env = append(os.Environ(), "MIBS=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w: %s", tool, strings.Join(full, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// optTakesValue reports whether a net-snmp client option is followed by a
// separate value argument.
func optTakesValue(opt string) bool {
	switch opt {
	case "-c", "-v", "-t", "-r", "-m", "-M", "-O", "-I", "-C", "-D", "-L", "-u", "-l", "-a", "-A", "-x", "-X", "-n", "-e", "-E", "-Z":
		return true
	}
	return false
}

func lookPath(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	// Non-root PATHs often lack /usr/sbin, where Debian puts snmpd.
	for _, d := range []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"} {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

func freeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}
