package vppsim

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"go.fd.io/govpp/adapter/socketclient"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/core"
)

const fixtureDir = "testdata/vpp-26.06"

// quietLogger keeps the simulator's logs out of test output unless -v.
func quietLogger(t testing.TB) logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	if testing.Verbose() {
		l.SetOutput(testWriter{t})
		l.SetLevel(logrus.DebugLevel)
	}
	return l
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// startSim starts a simulator with its sockets in a temporary directory.
// Unless the config says otherwise, traffic only moves on Advance.
func startSim(t testing.TB, cfg Config) *Sim {
	t.Helper()
	dir := t.TempDir()
	if cfg.APISocket == "" {
		cfg.APISocket = filepath.Join(dir, "api.sock")
	}
	if cfg.StatsSocket == "" {
		cfg.StatsSocket = filepath.Join(dir, "stats.sock")
	}
	if cfg.CLISocket == "" {
		cfg.CLISocket = filepath.Join(dir, "cli.sock")
	}
	if cfg.Tick == 0 {
		cfg.Tick = -1
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger(t)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// connect connects govpp's socketclient + core.Connect to the simulator.
func connect(t testing.TB, s *Sim) (*core.Connection, api.Channel) {
	t.Helper()
	conn, err := core.Connect(socketclient.NewVppClient(s.cfg.APISocket))
	if err != nil {
		t.Fatalf("core.Connect: %v", err)
	}
	t.Cleanup(conn.Disconnect)
	ch, err := conn.NewAPIChannel()
	if err != nil {
		t.Fatalf("NewAPIChannel: %v", err)
	}
	ch.SetReplyTimeout(5 * time.Second)
	t.Cleanup(ch.Close)
	return conn, ch
}

// asyncConnect connects govpp as the agent does (core.AsyncConnect, which
// reconnects) and returns a function that waits for a connection state.
func asyncConnect(t testing.TB, s *Sim) (*core.Connection, func(core.ConnectionState)) {
	t.Helper()
	conn, events, err := core.AsyncConnect(socketclient.NewVppClient(s.cfg.APISocket), 50, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Disconnect)
	waitState := func(want core.ConnectionState) {
		t.Helper()
		timeout := time.NewTimer(20 * time.Second)
		defer timeout.Stop()
		for {
			select {
			case e := <-events:
				if e.State == want {
					return
				}
				if e.State == core.Failed {
					t.Fatalf("govpp gave up: %v", e.Error)
				}
			case <-timeout.C:
				t.Fatalf("govpp never reported %v", want)
			}
		}
	}
	return conn, waitState
}

// waitFor polls cond until it holds, for at most 10 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// scenario parses a YAML scenario or fails the test.
func scenario(t testing.TB, y string) *Scenario {
	t.Helper()
	sc, err := ParseScenario(strings.NewReader(y))
	if err != nil {
		t.Fatalf("ParseScenario: %v", err)
	}
	return sc
}
