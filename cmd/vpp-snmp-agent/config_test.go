package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigPrecedence(t *testing.T) {
	t.Setenv("VPP_SNMP_AGENTX_ADDR", "tcp:127.0.0.1:705")
	t.Setenv("VPP_SNMP_POLL_INTERVAL", "3s")
	cfg, err := parseConfig([]string{"--poll-interval", "500ms"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AgentXAddr != "tcp:127.0.0.1:705" {
		t.Errorf("agentx addr %q: the environment was not used", cfg.AgentXAddr)
	}
	if cfg.PollInterval != 500*time.Millisecond {
		t.Errorf("poll interval %v: the flag must win over the environment", cfg.PollInterval)
	}
	cfg, err = parseConfig([]string{"-a", "127.0.0.1:7050"}, &bytes.Buffer{})
	if err != nil || cfg.AgentXAddr != "127.0.0.1:7050" {
		t.Errorf("the Python agent's -a: %q, %v", cfg.AgentXAddr, err)
	}
}

// TestBadConfigurations: each bad input gives exit status exitConfig and exactly one
// line on stderr that names what is wrong.
func TestBadConfigurations(t *testing.T) {
	dir := t.TempDir()
	badYAML := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badYAML, []byte("interfaces: [unclosed\n"), 0o644)
	shape := filepath.Join(dir, "shape.yaml") // yaml.v3 reports it on two lines
	os.WriteFile(shape, []byte("interfaces:\n  - a list, not a map\n"), 0o644)
	ok := filepath.Join(dir, "state", "ifindex.json")
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"--no-such-flag"}, nil, "no-such-flag"},
		{"stray argument", []string{"--ifindex-file", ok, "extra"}, nil, "extra"},
		{"bad duration", []string{"--poll-interval", "soon"}, nil, "poll-interval"},
		{"bad log level", []string{"--log-level", "loud", "--ifindex-file", ok}, nil, "log-level"},
		{"bad log format", []string{"--log-format", "xml", "--ifindex-file", ok}, nil, "log-format"},
		{"bad agentx address", []string{"--agentx-addr", "udp:1.2.3.4", "--ifindex-file", ok}, nil, "agentx-addr"},
		{"missing config", []string{"--config", filepath.Join(dir, "nope.yaml"), "--ifindex-file", ok}, nil, "nope.yaml"},
		{"broken config", []string{"--config", badYAML, "--ifindex-file", ok}, nil, "bad.yaml"},
		{"config of the wrong shape", []string{"--config", shape, "--ifindex-file", ok}, nil, "shape.yaml"},
		{"negative forget-after", []string{"--ifindex-forget-after", "-1h", "--ifindex-file", ok}, nil, "ifindex-forget-after"},
		{"bad forget-after environment", nil, map[string]string{"VPP_SNMP_IFINDEX_FORGET_AFTER": "a month"}, "IFINDEX_FORGET_AFTER"},
		{"bad environment", nil, map[string]string{"VPP_SNMP_POLL_INTERVAL": "often"}, "POLL_INTERVAL"},
		{"priority out of range", []string{"--priority", "300", "--ifindex-file", ok}, nil, "priority"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, &stdout, &stderr); code != exitConfig {
				t.Errorf("exit status %d, want 2 (stderr %q)", code, stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing (the usage is for --help)", stdout.String())
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "vpp-snmp-agent: ") || !strings.Contains(lines[0], tc.want) {
				t.Errorf("stderr %q: want one line naming %q", stderr.String(), tc.want)
			}
		})
	}
}

func TestForgetAfter(t *testing.T) {
	cfg, err := parseConfig(nil, &bytes.Buffer{})
	if err != nil || cfg.IfIndexForgetAfter != 720*time.Hour {
		t.Errorf("default --ifindex-forget-after %v (%v), want 720h", cfg.IfIndexForgetAfter, err)
	}
	t.Setenv("VPP_SNMP_IFINDEX_FORGET_AFTER", "24h")
	if cfg, err = parseConfig(nil, &bytes.Buffer{}); err != nil || cfg.IfIndexForgetAfter != 24*time.Hour {
		t.Errorf("from the environment: %v (%v), want 24h", cfg.IfIndexForgetAfter, err)
	}
	if cfg, err = parseConfig([]string{"--ifindex-forget-after", "0"}, &bytes.Buffer{}); err != nil || cfg.IfIndexForgetAfter != 0 {
		t.Errorf("--ifindex-forget-after 0: %v (%v), want 0 (never)", cfg.IfIndexForgetAfter, err)
	}
}

// TestBadIfIndexFileStarts: a corrupt ifIndex file, or a directory in its
// place, no longer stops the agent: setup succeeds and logs an error naming
// the file; the corrupt file is moved aside, the directory left.
func TestBadIfIndexFileStarts(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "ifindex.json")
	if err := os.WriteFile(corrupt, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	asDir := filepath.Join(dir, "dir.json")
	if err := os.Mkdir(asDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{corrupt, asDir} {
		cfg, err := parseConfig([]string{"--ifindex-file", path, "--agentx-addr", "tcp:127.0.0.1:1"}, &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		a, err := setup(cfg, &stderr)
		if err != nil || a == nil {
			t.Fatalf("%s: setup: %v", path, err)
		}
		log := stderr.String()
		if !strings.Contains(log, "level=error") || !strings.Contains(log, path) || !strings.Contains(log, "first sight") {
			t.Errorf("%s: log %q, want an error naming the file and a start as on first sight", path, log)
		}
	}
	if aside, _ := filepath.Glob(corrupt + ".corrupt-*"); len(aside) != 1 {
		t.Errorf("the corrupt file was not moved aside: %v", aside)
	}
	if st, err := os.Stat(asDir); err != nil || !st.IsDir() {
		t.Errorf("the directory was moved: %v", err)
	}
}

func TestHelpAndVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--help"}, &stdout, &stderr); code != 0 {
		t.Errorf("--help: exit %d", code)
	}
	if n := strings.Count(stdout.String(), "Usage:"); n != 1 {
		t.Errorf("--help printed the usage %d times", n)
	}
	for _, want := range []string{"--agentx-addr", "VPP_SNMP_", "Examples:"} {
		if !strings.Contains(strings.ReplaceAll(stdout.String(), "-agentx-addr", "--agentx-addr"), want) {
			t.Errorf("--help output lacks %q", want)
		}
	}
	stdout.Reset()
	if code := run([]string{"--version"}, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "vpp-snmp-agent ") {
		t.Errorf("--version: exit %d, %q", code, stdout.String())
	}
}

// TestForeignEnvironmentIgnored: only VPP_SNMP_* variables configure the
// agent. net-snmp's tools read MIBS, and a shell may have CONFIG or
// PRIORITY set for something else entirely.
func TestForeignEnvironmentIgnored(t *testing.T) {
	t.Setenv("MIBS", "")
	t.Setenv("CONFIG", "/nonexistent/other.yaml")
	t.Setenv("PRIORITY", "200")
	t.Setenv("LOG_LEVEL", "bogus")
	cfg, err := parseConfig(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	def := defaultConfig()
	if cfg.MIBs != def.MIBs || cfg.Config != "" || cfg.Priority != def.Priority || cfg.LogLevel != def.LogLevel {
		t.Errorf("foreign variables read: mibs %q, config %q, priority %d, log level %q", cfg.MIBs, cfg.Config, cfg.Priority, cfg.LogLevel)
	}
	t.Setenv("VPP_SNMP_MIBS", "if")
	if cfg, err = parseConfig(nil, &bytes.Buffer{}); err != nil || cfg.MIBs != "if" {
		t.Errorf("VPP_SNMP_MIBS=if: mibs %q (%v)", cfg.MIBs, err)
	}
}
