package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/poller"
)

func TestObserverFeedsFamilies(t *testing.T) {
	m := New()
	m.Published(38, 2, false)
	m.Refreshed(poller.SourceStats, 3*time.Millisecond, nil)
	m.Refreshed(poller.SourceStats, time.Second, fmt.Errorf("reading: %w", poller.ErrStatsGone))
	m.Refreshed(poller.SourceInterfaces, time.Millisecond, poller.ErrShortDump)
	m.VPPConnected(true)
	m.Answered("GetNext", 20*time.Microsecond)
	m.Answered("Bogus", 20*time.Microsecond)
	m.Notifications(func() (uint64, uint64) { return 4, 1 })
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"interfaces", testutil.ToFloat64(m.interfaces), 38},
		{"interfaces_kept", testutil.ToFloat64(m.kept), 2},
		{"vpp_up", testutil.ToFloat64(m.vppUp), 1},
		{"failures gone", testutil.ToFloat64(m.failures.WithLabelValues("stats", "gone")), 1},
		{"failures short", testutil.ToFloat64(m.failures.WithLabelValues("interfaces", "short_dump")), 1},
		{"GetNext", testutil.ToFloat64(m.requests.WithLabelValues("GetNext")), 1},
		{"other", testutil.ToFloat64(m.requests.WithLabelValues("other")), 1},
		{"connections vpp", testutil.ToFloat64(m.connections.WithLabelValues("vpp")), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if ts := testutil.ToFloat64(m.lastSuccess.WithLabelValues("stats")); time.Since(time.Unix(int64(ts), 0)) > time.Minute {
		t.Errorf("stats last success %v, want about now", ts)
	}
	n, err := testutil.GatherAndCount(m.reg, "vpp_snmp_agent_notifications_total")
	if err != nil || n != 2 {
		t.Errorf("notifications_total: %d series (%v), want sent and dropped", n, err)
	}
}

// TestServe scrapes /metrics over HTTP, as Prometheus would.
func TestServe(t *testing.T) {
	m := New()
	m.Published(5, 0, false)
	ctx, cancel := context.WithCancel(context.Background())
	addr, wait, err := m.Serve(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		if err := wait(); err != nil {
			t.Error(err)
		}
	}()
	if _, _, err := m.Serve(ctx, "127.0.0.1:notaport"); err == nil {
		t.Error("Serve on a bad address: no error")
	}
	resp, err := http.Get("http://" + addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{"vpp_snmp_agent_interfaces 5", "go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestDashboardUsesOurFamilies: every vpp_snmp_agent_* name the Grafana
// dashboard queries is one the agent exports, so it cannot drift.
func TestDashboardUsesOurFamilies(t *testing.T) {
	b, err := os.ReadFile("grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	m := New()
	m.Refreshed(poller.SourceStats, time.Millisecond, poller.ErrStatsGone) // a failures series
	m.Notifications(func() (uint64, uint64) { return 0, 0 })
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range fams {
		have[f.GetName()] = true
	}
	name := regexp.MustCompile(`vpp_snmp_agent_[a-z_]+`)
	used := 0
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			for _, n := range name.FindAllString(tg.Expr, -1) {
				used++
				base := strings.TrimSuffix(n, "_bucket")
				if !have[base] {
					t.Errorf("panel %q queries %s, which the agent does not export", p.Title, n)
				}
			}
		}
	}
	if used < 10 {
		t.Errorf("the dashboard queries %d agent series, want them all", used)
	}
}

// BenchmarkAnswered is what the metrics cost an AgentX answer.
func BenchmarkAnswered(b *testing.B) {
	m := New()
	b.ReportAllocs()
	for b.Loop() {
		m.Answered("GetNext", 20*time.Microsecond)
	}
}

// BenchmarkAnsweredWhileScraped is the same while /metrics is gathered
// without pause from another goroutine (far more often than the once a
// second or so of a real scraper), to show a scrape does not hold answers.
func BenchmarkAnsweredWhileScraped(b *testing.B) {
	m := New()
	stop := make(chan struct{})
	done := make(chan struct{})
	scrapes := 0
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := m.reg.Gather(); err != nil {
				b.Error(err)
				return
			}
			scrapes++
		}
	}()
	b.ReportAllocs()
	for b.Loop() {
		m.Answered("GetNext", 20*time.Microsecond)
	}
	close(stop)
	<-done
	b.ReportMetric(float64(scrapes), "scrapes")
}
