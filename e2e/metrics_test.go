package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/snmpdtest"
)

// scrape fetches /metrics and returns every sample line's value by its
// name with labels, and the families seen (from # TYPE lines).
func scrape(addr string) (samples map[string]string, families []string, err error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, nil, fmt.Errorf("/metrics: %s: %s", resp.Status, b)
	}
	samples = map[string]string{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		l := sc.Text()
		if f, ok := strings.CutPrefix(l, "# TYPE "); ok {
			families = append(families, strings.Fields(f)[0])
			continue
		}
		if l == "" || l[0] == '#' {
			continue
		}
		if i := strings.LastIndexByte(l, ' '); i > 0 {
			samples[l[:i]] = l[i+1:]
		}
	}
	return samples, families, sc.Err()
}

// freePort returns a loopback address no one listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestMetrics: with --metrics-addr, /metrics has the agent's own families
// beside go_* and process_*; vpp_snmp_agent_interfaces equals the ifNumber
// snmpd serves; VPP killed, vpp_snmp_agent_vpp_up reads 0 within 10 s.
func TestMetrics(t *testing.T) {
	needBinaries(t)
	t.Parallel()
	dir := shortDir(t)
	vpp, socks := startVppsim(t, dir)
	sd := snmpdtest.Start(t, snmpdtest.Options{})
	addr := freePort(t)
	startAgent(t, dir, sd, socks, "--metrics-addr", addr)
	waitServing(t, sd, 15*time.Second, -1)
	ifNumber := mustGet(t, sd, oidIfNumber)["."+oidIfNumber].Value

	var samples map[string]string
	var families []string
	eventually(t, 5*time.Second, "/metrics with the interfaces served", func() error {
		var err error
		if samples, families, err = scrape(addr); err != nil {
			return err
		}
		if got := samples["vpp_snmp_agent_interfaces"]; got != ifNumber {
			return fmt.Errorf("vpp_snmp_agent_interfaces = %q, want ifNumber.0 %s", got, ifNumber)
		}
		return nil
	})
	own, goF, proc := 0, 0, 0
	for _, f := range families {
		switch {
		case strings.HasPrefix(f, "vpp_snmp_agent_"):
			own++
		case strings.HasPrefix(f, "go_"):
			goF++
		case strings.HasPrefix(f, "process_"):
			proc++
		}
	}
	t.Logf("%d vpp_snmp_agent_* families, %d go_*, %d process_*", own, goF, proc)
	if own < 10 || goF == 0 || proc == 0 {
		t.Errorf("families: %d vpp_snmp_agent_*, %d go_*, %d process_*; want at least 10, and some of each", own, goF, proc)
	}
	if _, err := bulkwalk(t, sd, oidIfXTable); err != nil {
		t.Fatal(err)
	}
	samples, _, err := scrape(addr)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`vpp_snmp_agent_agentx_requests_total{type="GetNext"}`, `vpp_snmp_agent_connections_total{peer="snmpd"}`,
		`vpp_snmp_agent_agentx_answer_duration_seconds_count`,
		// IP-MIB's sources (the default --mibs): read at start
		`vpp_snmp_agent_source_last_success_timestamp_seconds{source="addresses"}`,
		`vpp_snmp_agent_source_last_success_timestamp_seconds{source="neighbors"}`} {
		if v, ok := samples[s]; !ok || v == "0" {
			t.Errorf("%s = %q after a walk, want above 0", s, v)
		}
	}
	if samples["vpp_snmp_agent_vpp_up"] != "1" {
		t.Errorf("vpp_snmp_agent_vpp_up = %q while connected, want 1", samples["vpp_snmp_agent_vpp_up"])
	}
	// Nothing changes on this router: the counter reads (every second)
	// are what keep the snapshot's time moving.
	first := samples["vpp_snmp_agent_snapshot_timestamp_seconds"]
	eventually(t, 5*time.Second, "vpp_snmp_agent_snapshot_timestamp_seconds moves with the counter reads", func() error {
		s, _, err := scrape(addr)
		if err != nil {
			return err
		}
		if now := s["vpp_snmp_agent_snapshot_timestamp_seconds"]; now == first || now == "" {
			return fmt.Errorf("still %q", now)
		}
		return nil
	})

	vpp.kill()
	eventually(t, 10*time.Second, "vpp_snmp_agent_vpp_up 0 after VPP was killed", func() error {
		s, _, err := scrape(addr)
		if err != nil {
			return err
		}
		if s["vpp_snmp_agent_vpp_up"] != "0" {
			return fmt.Errorf("vpp_snmp_agent_vpp_up = %q", s["vpp_snmp_agent_vpp_up"])
		}
		return nil
	})
}
