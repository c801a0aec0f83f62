package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/agentx"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/poller"
)

const namespace = "vpp_snmp_agent"

// Metrics holds the agent's collectors. Create it with New; the zero value
// is not usable. Its methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	interfaces  prometheus.Gauge
	kept        prometheus.Gauge
	vppDown     prometheus.Gauge
	vppUp       prometheus.Gauge
	published   prometheus.Gauge
	lastSuccess *prometheus.GaugeVec
	duration    *prometheus.HistogramVec
	failures    *prometheus.CounterVec
	events      prometheus.Counter
	connections *prometheus.CounterVec
	requests    *prometheus.CounterVec
	answerTime  prometheus.Histogram
	requestBy   map[string]prometheus.Counter // by AgentX PDU type, made by New
	now         func() time.Time
}

// New returns Metrics registered in a registry of their own, with the Go
// and process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), now: time.Now}
	f := prometheus.WrapRegistererWithPrefix(namespace+"_", m.reg)
	m.interfaces = newGauge(f, "interfaces", "Interfaces served (rows of ifTable, ifNumber.0).")
	m.kept = newGauge(f, "interfaces_kept", "Rows kept from an earlier dump because the last dump lacked them (fade-out: a row leaves only when VPP deletes it or two complete dumps and the stats segment agree).")
	m.vppDown = newGauge(f, "vpp_down", "1 while every row is served down because VPP is gone (API and stats segment), else 0.")
	m.vppUp = newGauge(f, "vpp_up", "1 while the agent is connected to VPP's binary API, else 0.")
	m.published = newGauge(f, "snapshot_timestamp_seconds", "When the snapshot served was published (every counter read publishes one), unix seconds.")
	m.lastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "source_last_success_timestamp_seconds",
		Help: "When a data source was last read successfully, unix seconds.",
	}, []string{"source"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "source_refresh_duration_seconds",
		Help:    "How long a read of a data source took.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 4, 9), // 0.5 ms .. 33 s
	}, []string{"source"})
	m.failures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "source_failures_total",
		Help: "Failed reads of a data source, by reason.",
	}, []string{"source", "reason"})
	m.events = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "interface_events_total",
		Help: "Events received from VPP (interface events and connection changes).",
	})
	m.connections = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "connections_total",
		Help: "Connections made to a peer (vpp: the binary API; snmpd: AgentX sessions registered), the first included.",
	}, []string{"peer"})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "agentx_requests_total",
		Help: "AgentX requests answered, by PDU type.",
	}, []string{"type"})
	m.answerTime = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "agentx_answer_duration_seconds",
		Help:    "Time from an AgentX request read to its answer written.",
		Buckets: prometheus.ExponentialBuckets(1e-6, 4, 10), // 1 µs .. 0.26 s
	})
	f.MustRegister(m.lastSuccess, m.duration, m.failures, m.events, m.connections, m.requests, m.answerTime)
	for _, src := range []poller.Source{poller.SourceInterfaces, poller.SourceStats} {
		m.duration.WithLabelValues(string(src))
		m.lastSuccess.WithLabelValues(string(src))
	}
	for _, peer := range []string{"vpp", "snmpd"} {
		m.connections.WithLabelValues(peer)
	}
	m.requestBy = make(map[string]prometheus.Counter)
	for _, kind := range []string{"Get", "GetNext", "GetBulk", "TestSet", "CommitSet", "UndoSet", "CleanupSet", "other"} {
		m.requestBy[kind] = m.requests.WithLabelValues(kind)
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func newGauge(r prometheus.Registerer, name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	r.MustRegister(g)
	return g
}

// Registry is where the metrics are registered (for tests, and for more).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Refreshed implements poller.Observer.
func (m *Metrics) Refreshed(source poller.Source, took time.Duration, err error) {
	src := string(source)
	m.duration.WithLabelValues(src).Observe(took.Seconds())
	if err != nil {
		m.failures.WithLabelValues(src, reason(err)).Inc()
		return
	}
	m.lastSuccess.WithLabelValues(src).Set(seconds(m.now()))
}

// Published implements poller.Observer.
func (m *Metrics) Published(rows, kept int, vppDown bool) {
	m.interfaces.Set(float64(rows))
	m.kept.Set(float64(kept))
	m.vppDown.Set(b2f(vppDown))
	m.published.Set(seconds(m.now()))
}

// Event implements poller.Observer.
func (m *Metrics) Event() { m.events.Inc() }

// VPPConnected records a connection to VPP's API (up) or its loss.
func (m *Metrics) VPPConnected(up bool) {
	m.vppUp.Set(b2f(up))
	if up {
		m.connections.WithLabelValues("vpp").Inc()
	}
}

// Registered implements agentx.Observer: a session registered with the
// master (snmpd).
func (m *Metrics) Registered() { m.connections.WithLabelValues("snmpd").Inc() }

// Answered implements agentx.Observer: one request of kind (the PDU type's
// name: Get, GetNext, GetBulk, TestSet...) answered in took. It is on the
// answer path: a read of a map never written after New, an atomic add and
// a histogram bucket search.
func (m *Metrics) Answered(kind string, took time.Duration) {
	c, ok := m.requestBy[kind]
	if !ok {
		c = m.requestBy["other"]
	}
	c.Inc()
	m.answerTime.Observe(took.Seconds())
}

// Notifications exposes a notifier's totals (read at each scrape).
func (m *Metrics) Notifications(counts func() (sent, dropped uint64)) {
	desc := prometheus.NewDesc(namespace+"_notifications_total",
		"linkUp/linkDown notifications, by result: sent to the master, or dropped (over --trap-rate, or no master to take them).",
		[]string{"result"}, nil)
	m.reg.MustRegister(countsCollector{desc: desc, counts: counts})
}

type countsCollector struct {
	desc   *prometheus.Desc
	counts func() (sent, dropped uint64)
}

func (c countsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c countsCollector) Collect(ch chan<- prometheus.Metric) {
	sent, dropped := c.counts()
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(sent), "sent")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(dropped), "dropped")
}

// reason names why a read failed, in a few stable words (a label value).
func reason(err error) string {
	switch {
	case errors.Is(err, poller.ErrShortDump):
		return "short_dump"
	case errors.Is(err, poller.ErrStatsGone):
		return "gone"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	var ne *net.OpError
	if errors.As(err, &ne) {
		return "connection"
	}
	return "error"
}

func seconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Serve serves /metrics on addr until ctx is done, and returns the address
// it listens on (addr may have port 0) and a wait for the server's end. The
// listener is opened before it returns, so a bad address is reported at once.
func (m *Metrics) Serve(ctx context.Context, addr string) (net.Addr, func() error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listening for /metrics on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return ln.Addr(), func() error {
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}, nil
}

var (
	_ poller.Observer = (*Metrics)(nil)
	_ agentx.Observer = (*Metrics)(nil)
)
