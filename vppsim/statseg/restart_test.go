package statseg

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"go.fd.io/govpp/api"
)

// TestReproGovppUnmapOnRestart shows why the agent must not read through a
// govpp statsclient whose socket can be removed under it: a VPP restart
// (Close, then a new segment served on the same path) makes the client's
// fsnotify goroutine unmap the old segment while GetInterfaceStats is still
// comparing entry names that are slices of it. Each case runs in a child
// process: with the plain socket path the child dies of SIGSEGV; with
// dir/./stats.sock (which govpp's check of fsnotify's event name never
// matches, so it never remaps by itself) it survives 100 restarts, reading
// the old, frozen segment (the caller must notice the restart and reconnect
// by itself). Opt-in, as it takes seconds and kills a process:
//
//	STATSEG_REPRO=1 go test -run ReproGovpp -v ./vppsim/statseg
func TestReproGovppUnmapOnRestart(t *testing.T) {
	if os.Getenv("STATSEG_REPRO_CHILD") != "" {
		restartUnderReaders(t)
		return
	}
	if os.Getenv("STATSEG_REPRO") == "" {
		t.Skip("opt-in: STATSEG_REPRO=1")
	}
	for _, dotPath := range []bool{false, true} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestReproGovppUnmapOnRestart$", "-test.v")
		cmd.Env = append(os.Environ(), "STATSEG_REPRO_CHILD=1")
		if dotPath {
			cmd.Env = append(cmd.Env, "STATSEG_REPRO_DOTPATH=1")
		}
		out, err := cmd.CombinedOutput()
		restarts := len(regexp.MustCompile(`restart \d+, \d+ reads`).FindAll(out, -1))
		switch {
		case dotPath && err != nil:
			t.Errorf("dir/./stats.sock: the child died after %d restarts (%v):\n%s", restarts, err, tail(out))
		case dotPath:
			t.Logf("dir/./stats.sock: the child survived %d restarts", restarts)
		case err == nil:
			t.Errorf("plain path: the child survived %d restarts; has govpp fixed the race?\n%s", restarts, tail(out))
		case !bytes.Contains(out, []byte("unexpected fault address")):
			t.Errorf("plain path: the child failed otherwise (%v):\n%s", err, tail(out))
		default:
			i := bytes.Index(out, []byte("goroutine "))
			t.Logf("plain path: SIGSEGV after %d restarts:\n%s", restarts, out[i:min(len(out), i+500)])
		}
	}
}

func tail(b []byte) []byte { return b[max(0, len(b)-2000):] }

func restartUnderReaders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stats.sock")
	dialPath := path
	if os.Getenv("STATSEG_REPRO_DOTPATH") != "" {
		// fsnotify reports the removal as dir/stats.sock, which govpp
		// compares with the path it was given: no automatic remap.
		dialPath = filepath.Dir(path) + "/./stats.sock"
	}
	names := benchNames(200)
	start := func() (*Segment, context.CancelFunc) {
		s, err := New()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetInterfaces(names); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() { _ = s.Serve(ctx, path) }()
		return s, cancel
	}
	s, cancel := start()
	for !exists(path) {
		time.Sleep(time.Millisecond)
	}
	var reads atomic.Int64
	for range 2 {
		conn, err := dial(dialPath)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				var st api.InterfaceStats
				_ = conn.GetInterfaceStats(&st)
				reads.Add(1)
			}
		}()
	}
	for i := range 100 {
		time.Sleep(20 * time.Millisecond)
		cancel()
		_ = s.Close()
		s, cancel = start()
		t.Logf("restart %d, %d reads", i, reads.Load())
	}
	cancel()
	_ = s.Close()
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
