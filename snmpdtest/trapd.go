package snmpdtest

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
)

// Trapd is one running snmptrapd, a trap sink on loopback for Options.TrapSink.
type Trapd struct {
	Addr string // "127.0.0.1:PORT"
	log  string
}

// StartTrapd starts snmptrapd on a free UDP port of 127.0.0.1, accepting
// every trap and logging it numerically (-On); the test's cleanup kills it.
func StartTrapd(t testing.TB) *Trapd {
	t.Helper()
	bin := lookPath("snmptrapd")
	if bin == "" {
		t.Fatal("snmptrapd not found: apt-get install snmptrapd")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "trapd.conf")
	if err := os.WriteFile(conf, []byte("disableAuthorization yes\n"), 0o600); err != nil {
		t.Fatalf("writing trapd.conf: %v", err)
	}
	td := &Trapd{log: filepath.Join(dir, "traps.log")}
	var lastErr error
	for range 5 {
		port, err := freeUDPPort()
		if err != nil {
			t.Fatalf("finding a free UDP port: %v", err)
		}
		td.Addr = fmt.Sprintf("127.0.0.1:%d", port)
		cmd := exec.Command(bin, "-f", "-Lf", td.log, "-On", "-C", "-c", conf,
			"-p", filepath.Join(dir, "trapd.pid"), "udp:"+td.Addr)
		cmd.Env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+filepath.Join(dir, "persist"), "MIBS=")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("running %s: %v", bin, err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		if lastErr = waitListening(td.log, done); lastErr == nil {
			t.Cleanup(func() { cmd.Process.Signal(syscall.SIGKILL); <-done })
			return td
		}
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
		lastErr = fmt.Errorf("%w: %s", lastErr, out.String())
	}
	t.Fatalf("starting snmptrapd: %v", lastErr)
	return nil
}

// waitListening waits for snmptrapd's start banner, logged once its socket
// is bound.
func waitListening(log string, done <-chan struct{}) error {
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return errors.New("snmptrapd exited at start")
		default:
		}
		if b, err := os.ReadFile(log); err == nil && bytes.Contains(b, []byte("NET-SNMP version")) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("snmptrapd did not start within " + startTimeout.String())
}

// Log returns what snmptrapd has logged so far (one trap per record, varbinds
// tab-separated, OIDs numeric).
func (td *Trapd) Log() string {
	b, _ := os.ReadFile(td.log)
	return string(b)
}

// WaitFor waits up to timeout for the log to contain s and returns the log;
// it fails the test if s never appears.
func (td *Trapd) WaitFor(t testing.TB, s string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		l := td.Log()
		if strings.Contains(l, s) {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatalf("snmptrapd did not log %q within %v; log:\n%s", s, timeout, l)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
