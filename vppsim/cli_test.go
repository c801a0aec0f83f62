package vppsim

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// vppctlSection returns one command's output from vppctl_show.txt, without
// the telnet \r.
func vppctlSection(t *testing.T, cmd string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, "vppctl_show.txt"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\r", "")
	marker := "### vppctl -s /opt/vpp-build/run/cli.sock " + cmd + "\n"
	i := strings.Index(text, marker)
	if i < 0 {
		t.Fatalf("%q not in vppctl_show.txt", cmd)
	}
	text = text[i+len(marker):]
	if j := strings.Index(text, "### "); j >= 0 {
		text = text[:j]
	}
	return text
}

// TestShowInterfaceLikeVPP: the replay's show interface is VPP 26.06's,
// character for character.
func TestShowInterfaceLikeVPP(t *testing.T) {
	s := startReplay(t)
	got := s.RunCLI("show interface")
	want := vppctlSection(t, "show interface")
	if got != want {
		t.Errorf("show interface:\n%s\nVPP printed:\n%s", got, want)
	}
	if got := s.RunCLI("sh int loop1 local0"); got != strings.Join([]string{
		strings.SplitN(want, "\n", 2)[0],
		"local0                            0     down          0/0/0/0       ",
		"loop1                             4     down         9000/0/0/0     ", ""}, "\n") {
		t.Errorf("sh int loop1 local0:\n%q", got)
	}
}

func ctl(t *testing.T, s *Sim, cmd string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := Ctl(ctx, s.cfg.CLISocket, cmd, &out); err != nil {
		t.Fatalf("ctl %q: %v", cmd, err)
	}
	return out.String()
}

func TestCLICommands(t *testing.T) {
	s := startSim(t, Config{})
	for _, c := range []struct{ cmd, want string }{
		{"create loopback interface", "loop2\n"},
		{"create sub-interfaces TenGigabitEthernet3/0/1 7", "TenGigabitEthernet3/0/1.7\n"},
		{"create sub-interfaces TenGigabitEthernet3/0/1 8 dot1q 80 inner-dot1q 81 exact-match", "TenGigabitEthernet3/0/1.8\n"},
		{"create sub-interfaces TenGigabitEthernet3/0/1 7", "create sub-interfaces: sub-interface 7 of TenGigabitEthernet3/0/1: interface already exists\n"},
		{"create sub-interfaces nosuch 7", "create sub-interfaces: parent of sub-interface: unknown interface `nosuch'\n"},
		{"set interface state loop2 up", ""},
		{"set interface state loop2 sideways", "set interface state: unknown input `sideways'\n"},
		{"set interface link TenGigabitEthernet3/0/1 up", ""},
		{"set interface link TenGigabitEthernet3/0/1.7 up", "set interface link: link of TenGigabitEthernet3/0/1.7 (sub): not supported on this interface\n"},
		{"delete loopback interface intfc TenGigabitEthernet3/0/1", "delete loopback interface: TenGigabitEthernet3/0/1 is not a loopback interface\n"},
		{"delete sub-interface TenGigabitEthernet3/0/1.7", ""},
		{"delete loopback interface intfc loop2", ""},
		{"show version", "vpp v26.06-release built by vppsim on localhost at 2026-11-21T23:16:25\n"},
		{"frobnicate", "unknown input `frobnicate'\n"},
	} {
		if got := ctl(t, s, c.cmd); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.cmd, got, c.want)
		}
	}
	x, err := s.Interface("TenGigabitEthernet3/0/1.8")
	if err != nil || x.SubID != 8 || x.OuterVlan != 80 || x.InnerVlan != 81 || x.SubTags != 2 {
		t.Errorf("QinQ sub: %+v %v", x, err)
	}
	x, err = s.Interface("TenGigabitEthernet3/0/1")
	if err != nil || !x.LinkUp {
		t.Errorf("carrier set up: %+v %v", x, err)
	}
	if _, err := s.Interface("loop2"); err == nil {
		t.Error("loop2 still there after delete")
	}

	// Counters show (12000 pps of its own, 2000 of its .100), and clear
	// interfaces clears them.
	s.Advance(time.Second)
	out := ctl(t, s, "show interface TenGigabitEthernet3/0/0")
	if !strings.Contains(out, "rx packets                 14000\n") {
		t.Errorf("show interface after 1 s:\n%s", out)
	}
	ctl(t, s, "clear interfaces")
	if out := ctl(t, s, "show interface TenGigabitEthernet3/0/0"); strings.Contains(out, "packets") {
		t.Errorf("after clear interfaces:\n%s", out)
	}
	// Rates change from the CLI.
	ctl(t, s, "set interface rate loop0 10 20")
	ctl(t, s, "set interface feature loop0 stats-collect-rx arc device-input")
	s.Advance(time.Second)
	if c := s.Counters(8); c.RxPackets != 10 || c.TxPackets != 20 || c.RxUnicastPackets != 10 {
		t.Errorf("loop0 after set interface rate: %+v", c)
	}

	if got := ctl(t, s, "restart"); got != "restarted (generation 1)\n" {
		t.Errorf("restart: %q", got)
	}
	if s.Generation() != 1 {
		t.Errorf("generation %d after restart", s.Generation())
	}
}
