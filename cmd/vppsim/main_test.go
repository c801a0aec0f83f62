package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim"
)

// TestBadConfigurationExits2: a bad flag or file is a clear message and
// exit status 2.
func TestBadConfigurationExits2(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("interfaces: [{name: a, kind: warp}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--no-such-flag"}, "flag provided but not defined"},
		{[]string{"--scenario", bad}, "unknown interface kind \"warp\""},
		{[]string{"--scenario", filepath.Join(dir, "missing.yaml")}, "no such file"},
		{[]string{"--replay", dir}, "sw_interface_details.raw.hex"},
		{[]string{"--message-table", bad}, "want \"index name_crc\""},
		{[]string{"--workers", "-1"}, "workers"},
		{[]string{"--log-level", "loud"}, "not a valid logrus Level"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		var stderr bytes.Buffer
		if code := run(c.args, &stderr); code != 2 || !strings.Contains(stderr.String(), c.msg) {
			t.Errorf("vppsim %v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr.String(), c.msg)
		}
	}
}

func TestCtl(t *testing.T) {
	dir := t.TempDir()
	s, err := vppsim.New(vppsim.Config{APISocket: filepath.Join(dir, "api.sock"), CLISocket: filepath.Join(dir, "cli.sock"), Tick: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out, errOut bytes.Buffer
	if code := ctl([]string{"-s", filepath.Join(dir, "cli.sock"), "create", "loopback", "interface"}, &out, &errOut); code != 0 || out.String() != "loop2\n" {
		t.Errorf("ctl create loopback interface: exit %d, out %q, err %q", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := ctl([]string{"-s", filepath.Join(dir, "nope.sock"), "show", "version"}, &out, &errOut); code != 1 {
		t.Errorf("ctl to a missing socket: exit %d", code)
	}
	if code := ctl(nil, &out, &errOut); code != 2 {
		t.Errorf("ctl without a command: exit %d", code)
	}
}
