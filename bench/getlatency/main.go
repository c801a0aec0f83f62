// Command getlatency measures the latency of single SNMP GETs as a poller in
// LibreNMS' "selected ports" mode sends them: each GET is one request for a
// few ifTable/ifXTable objects (ifHCInOctets, ifHCOutOctets, ifOperStatus,
// ifHighSpeed) of one port, picked at random among the ports the agent
// serves.
//
// It first walks ifIndex (1.3.6.1.2.1.2.2.1.1) to learn the ports, then sends
// GETs at --rate per second for --duration, open loop: request i is due at a
// fixed time whatever the earlier ones did (Poisson arrivals by default, so
// that the schedule does not lock onto the phase of a periodic job in the
// agent), and a pool of sockets keeps a slow answer from delaying the next
// request. Each GET is SNMPv2c, one attempt, no retry; no answer within
// --timeout counts as a timeout. A request's latency is the time from just
// before its datagram is written to just after its answer is read (gosnmp's
// PreSend and OnRecv hooks).
//
// It prints one summary line: p50, p90, p99, p99.9 and max latency (nearest
// rank over all requests, a timeout ranking above every answer), timeouts,
// errors (an answer with an error status or a missing object), the largest
// delay of a request's start behind its schedule, and PASS/MISS against the
// targets; with --watch, the CPU that named processes (the agent, snmpd)
// used while the GETs ran; and the load average at the first GET and after
// the last. --raw writes one line per request. It is a measurement: the exit
// status is 0 whatever the latencies, 1 when the ports could not be learnt.
//
// scripts/bench.sh runs it (BENCH_GETLAT) against snmpd with the agent as
// its AgentX subagent; see bench/README.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gosnmp/gosnmp"
)

// The objects of one GET, each followed by .ifIndex.
var columns = []struct{ name, oid string }{
	{"ifHCInOctets", ".1.3.6.1.2.1.31.1.1.1.6"},
	{"ifHCOutOctets", ".1.3.6.1.2.1.31.1.1.1.10"},
	{"ifOperStatus", ".1.3.6.1.2.1.2.2.1.8"},
	{"ifHighSpeed", ".1.3.6.1.2.1.31.1.1.1.15"},
}

const oidIfIndex = ".1.3.6.1.2.1.2.2.1.1"

type options struct {
	target      string
	community   string
	rate        float64
	duration    time.Duration
	timeout     time.Duration
	arrivals    string
	seed        uint64
	minIfIndex  int
	expect      int
	settle      time.Duration
	raw         string
	label       string
	p99Target   time.Duration
	p999Target  time.Duration
	walkTimeout time.Duration
	watch       string
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("getlatency", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.target, "target", "127.0.0.1:161", "snmpd's UDP address (host:port)")
	fs.StringVar(&o.community, "community", "public", "SNMPv2c community")
	fs.Float64Var(&o.rate, "rate", 45, "GETs per second")
	fs.DurationVar(&o.duration, "duration", 40*time.Second, "how long to send GETs")
	fs.DurationVar(&o.timeout, "timeout", time.Second, "per-request timeout (one attempt, no retry)")
	fs.StringVar(&o.arrivals, "arrivals", "poisson", "request schedule: poisson (random gaps of mean 1/rate) or fixed (every 1/rate)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the schedule and of the ports picked")
	fs.IntVar(&o.minIfIndex, "min-ifindex", 1, "ask only ports with an ifIndex at least this")
	fs.IntVar(&o.expect, "expect", 0, "fail unless at least this many ports are found")
	fs.DurationVar(&o.settle, "settle", 2*time.Second, "pause between the ifIndex walk and the first GET")
	fs.StringVar(&o.raw, "raw", "", "write one line per GET to this file")
	fs.StringVar(&o.label, "label", "getlatency", "first word(s) of the summary line")
	fs.DurationVar(&o.p99Target, "p99-target", 5*time.Millisecond, "target p99 (PASS/MISS)")
	fs.DurationVar(&o.p999Target, "p999-target", 20*time.Millisecond, "target p99.9 (PASS/MISS)")
	fs.DurationVar(&o.walkTimeout, "walk-timeout", 10*time.Second, "per-request timeout of the ifIndex walk")
	fs.StringVar(&o.watch, "watch", "", "name=pid,...: report the CPU each process used while the GETs ran")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || o.rate <= 0 || o.duration <= 0 || o.timeout <= 0 || (o.arrivals != "poisson" && o.arrivals != "fixed") {
		fmt.Fprintln(stderr, "getlatency: bad arguments (see -h)")
		return 2
	}
	host, port, err := splitTarget(o.target)
	if err != nil {
		fmt.Fprintln(stderr, "getlatency:", err)
		return 2
	}
	watched, err := parseWatch(o.watch)
	if err != nil {
		fmt.Fprintln(stderr, "getlatency:", err)
		return 2
	}

	ports, err := discover(host, port, o)
	if err != nil {
		fmt.Fprintln(stderr, "getlatency:", err)
		return 1
	}
	if len(ports) == 0 || len(ports) < o.expect {
		fmt.Fprintf(stderr, "getlatency: found %d ports with ifIndex >= %d, want at least %d\n", len(ports), o.minIfIndex, max(o.expect, 1))
		return 1
	}
	time.Sleep(o.settle)

	rng := rand.New(rand.NewPCG(o.seed, 0x6765746c6174)) // "getlat"
	sched := schedule(rng, o.rate, o.duration, o.arrivals == "fixed")
	reqs := make([]request, len(sched))
	for i, due := range sched {
		reqs[i] = request{due: due, ifIndex: ports[rng.IntN(len(ports))]}
	}
	load0 := loadavg()
	cpu0 := cpuTimes(watched)
	t0 := time.Now()
	if err := send(host, port, o, reqs); err != nil {
		fmt.Fprintln(stderr, "getlatency:", err)
		return 1
	}
	wall := time.Since(t0)
	cpu1 := cpuTimes(watched)
	s := summarize(reqs)
	line := s.line(o, len(ports))
	for i, w := range watched {
		line += fmt.Sprintf(" %s", w.name)
		if cpu0[i] < 0 || cpu1[i] < 0 {
			line += " CPU ?"
			continue
		}
		line += fmt.Sprintf(" CPU %.1f%%", 100*(cpu1[i]-cpu0[i])/wall.Seconds())
	}
	line += fmt.Sprintf(" (of one core); load average %s at the first GET, %s after the last", load0, loadavg())
	fmt.Fprintln(stdout, line)
	if o.raw != "" {
		if err := writeRaw(o.raw, reqs); err != nil {
			fmt.Fprintln(stderr, "getlatency:", err)
			return 1
		}
	}
	return 0
}

func splitTarget(t string) (string, uint16, error) {
	host, p, err := net.SplitHostPort(t)
	if err != nil {
		return "", 0, fmt.Errorf("--target %q: %w", t, err)
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("--target %q: bad port", t)
	}
	return host, uint16(n), nil
}

func newClient(host string, port uint16, o options, timeout time.Duration, retries int) (*gosnmp.GoSNMP, error) {
	g := &gosnmp.GoSNMP{
		Target:         host,
		Port:           port,
		Transport:      "udp",
		Community:      o.community,
		Version:        gosnmp.Version2c,
		Timeout:        timeout,
		Retries:        retries,
		MaxRepetitions: 50,
	}
	if err := g.Connect(); err != nil {
		return nil, err
	}
	return g, nil
}

// discover walks ifIndex and returns the ifIndexes of at least --min-ifindex.
func discover(host string, port uint16, o options) ([]int, error) {
	g, err := newClient(host, port, o, o.walkTimeout, 1)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	pdus, err := g.BulkWalkAll(oidIfIndex)
	if err != nil {
		return nil, fmt.Errorf("walking ifIndex: %w", err)
	}
	var ports []int
	for _, p := range pdus {
		idx, err := strconv.Atoi(strings.TrimPrefix(p.Name, oidIfIndex+"."))
		if err != nil || !strings.HasPrefix(p.Name, oidIfIndex+".") {
			return nil, fmt.Errorf("walking ifIndex: unexpected OID %s", p.Name)
		}
		if idx >= o.minIfIndex {
			ports = append(ports, idx)
		}
	}
	return ports, nil
}

// schedule returns when each request is due, from the start, over d at rate
// per second: at fixed gaps of 1/rate, or at exponentially distributed gaps
// of that mean (a Poisson process).
func schedule(rng *rand.Rand, rate float64, d time.Duration, fixed bool) []time.Duration {
	var out []time.Duration
	t := 0.0
	if !fixed {
		t = rng.ExpFloat64() / rate
	}
	for t < d.Seconds() {
		out = append(out, time.Duration(t*float64(time.Second)))
		if fixed {
			t = float64(len(out)) / rate
		} else {
			t += rng.ExpFloat64() / rate
		}
	}
	return out
}

// outcome of one request.
type outcome uint8

const (
	ok outcome = iota
	timedOut
	failed // an error answer, a missing object, or a socket error
)

type request struct {
	due     time.Duration // since the start, by the schedule
	ifIndex int
	start   time.Duration // since the start: just before the datagram was written
	latency time.Duration // start to the answer read; 0 unless ok or failed with an answer
	result  outcome
	detail  string // why it failed
}

// send runs the schedule with a pool of sockets, each used by one goroutine
// for one request at a time: enough of them that every request of a
// --timeout window can be in flight.
func send(host string, port uint16, o options, reqs []request) error {
	workers := int(math.Ceil(o.rate*o.timeout.Seconds())) + 8
	clients := make([]*gosnmp.GoSNMP, workers)
	for i := range clients {
		g, err := newClient(host, port, o, o.timeout, 0)
		if err != nil {
			for _, c := range clients[:i] {
				c.Close()
			}
			return err
		}
		clients[i] = g
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()

	jobs := make(chan int, len(reqs))
	var wg sync.WaitGroup
	begin := time.Now()
	for _, g := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sent, recv time.Time
			g.PreSend = func(*gosnmp.GoSNMP) { sent = time.Now() }
			g.OnRecv = func(*gosnmp.GoSNMP) { recv = time.Now() } // the last read is the answer taken
			oids := make([]string, len(columns))
			for i := range jobs {
				r := &reqs[i]
				for c, col := range columns {
					oids[c] = col.oid + "." + strconv.Itoa(r.ifIndex)
				}
				sent, recv = time.Time{}, time.Time{}
				pkt, err := g.Get(oids)
				if sent.IsZero() {
					sent = time.Now()
				}
				r.start = sent.Sub(begin)
				r.result, r.detail = check(pkt, err, oids)
				if r.result != timedOut && !recv.IsZero() {
					r.latency = recv.Sub(sent)
				}
			}
		}()
	}
	for i := range reqs {
		if wait := time.Until(begin.Add(reqs[i].due)); wait > 0 {
			time.Sleep(wait)
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return nil
}

// check classifies one Get's result.
func check(pkt *gosnmp.SnmpPacket, err error, oids []string) (outcome, string) {
	if err != nil {
		var ne net.Error
		if errors.Is(err, gosnmp.ErrMaxRetriesExceeded) || (errors.As(err, &ne) && ne.Timeout()) || strings.Contains(err.Error(), "timeout") {
			return timedOut, ""
		}
		return failed, err.Error()
	}
	if pkt.Error != gosnmp.NoError {
		return failed, fmt.Sprintf("error-status %v index %d", pkt.Error, pkt.ErrorIndex)
	}
	if len(pkt.Variables) != len(oids) {
		return failed, fmt.Sprintf("%d varbinds for %d objects", len(pkt.Variables), len(oids))
	}
	for i, v := range pkt.Variables {
		if v.Name != oids[i] {
			return failed, fmt.Sprintf("got %s for %s", v.Name, oids[i])
		}
		switch v.Type {
		case gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView, gosnmp.Null:
			return failed, fmt.Sprintf("%s: %v", v.Name, v.Type)
		}
	}
	return ok, ""
}

// summary of a run.
type summary struct {
	n, timeouts, errors int
	firstError          string
	pct                 map[string]time.Duration // p50 … max; timeout = inf
	maxLag              time.Duration            // largest start behind schedule
}

// inf ranks a timeout above every answer.
const inf = time.Duration(math.MaxInt64)

var levels = []struct {
	name string
	q    float64
}{{"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99}, {"p99.9", 0.999}, {"max", 1}}

func summarize(reqs []request) summary {
	s := summary{n: len(reqs), pct: map[string]time.Duration{}}
	lat := make([]time.Duration, 0, len(reqs))
	for _, r := range reqs {
		switch r.result {
		case timedOut:
			s.timeouts++
			lat = append(lat, inf)
		case failed:
			s.errors++
			if s.firstError == "" {
				s.firstError = r.detail
			}
			if r.latency > 0 {
				lat = append(lat, r.latency)
			}
		default:
			lat = append(lat, r.latency)
		}
		s.maxLag = max(s.maxLag, r.start-r.due)
	}
	for _, l := range levels {
		s.pct[l.name] = percentile(lat, l.q)
	}
	return s
}

// percentile is the nearest-rank q-quantile of v (sorted in place): the
// smallest value with at least q of all values at or below it; 0 when v is
// empty.
func percentile(v []time.Duration, q float64) time.Duration {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	k := int(math.Ceil(q*float64(len(v)))) - 1
	return v[min(max(k, 0), len(v)-1)]
}

func ms(d time.Duration) string {
	if d == inf {
		return "timeout"
	}
	return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
}

func verdict(good bool) string {
	if good {
		return "PASS"
	}
	return "MISS"
}

func (s summary) line(o options, ports int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d GETs of %d objects (%.1f/s, %s) in %v, %d ports:", o.label, s.n, len(columns),
		float64(s.n)/o.duration.Seconds(), o.arrivals, o.duration, ports)
	for _, l := range levels {
		fmt.Fprintf(&b, " %s %s", l.name, ms(s.pct[l.name]))
	}
	fmt.Fprintf(&b, ", timeouts %d (> %v), errors %d, max start lag %s", s.timeouts, o.timeout, s.errors, ms(s.maxLag))
	fmt.Fprintf(&b, " [p99 <= %v %s, p99.9 <= %v %s, 0 timeouts %s]",
		o.p99Target, verdict(s.pct["p99"] <= o.p99Target),
		o.p999Target, verdict(s.pct["p99.9"] <= o.p999Target),
		verdict(s.timeouts == 0))
	if s.firstError != "" {
		fmt.Fprintf(&b, " first error: %s", s.firstError)
	}
	return b.String()
}

// writeRaw writes one line per request: due and start (ms since the first
// GET's schedule origin), ifIndex, latency in µs (-1 for a timeout) and the
// outcome.
func writeRaw(path string, reqs []request) error {
	var b strings.Builder
	b.WriteString("# due_ms start_ms ifindex latency_us result\n")
	for _, r := range reqs {
		lat := float64(r.latency) / float64(time.Microsecond)
		res := "ok"
		switch r.result {
		case timedOut:
			lat, res = -1, "timeout"
		case failed:
			res = "error:" + strings.ReplaceAll(r.detail, " ", "_")
		}
		fmt.Fprintf(&b, "%.3f %.3f %d %.1f %s\n", float64(r.due)/float64(time.Millisecond),
			float64(r.start)/float64(time.Millisecond), r.ifIndex, lat, res)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// watched is a process whose CPU time is reported.
type watched struct {
	name string
	pid  int
}

func parseWatch(s string) ([]watched, error) {
	var out []watched
	for _, f := range strings.Split(s, ",") {
		if f == "" {
			continue
		}
		name, p, found := strings.Cut(f, "=")
		pid, err := strconv.Atoi(p)
		if !found || name == "" || err != nil || pid <= 0 {
			return nil, fmt.Errorf("--watch: %q is not name=pid", f)
		}
		out = append(out, watched{name, pid})
	}
	return out, nil
}

// userHZ is the unit of /proc/PID/stat's times: USER_HZ, 100 on Linux.
const userHZ = 100

// cpuTimes returns the user+system seconds each process has used, -1 for
// one that cannot be read.
func cpuTimes(ws []watched) []float64 {
	out := make([]float64, len(ws))
	for i, w := range ws {
		out[i] = -1
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", w.pid))
		if err != nil {
			continue
		}
		if t, ok := statCPU(string(b)); ok {
			out[i] = t
		}
	}
	return out
}

// statCPU parses utime+stime (fields 14 and 15) of a /proc/PID/stat line,
// in seconds. The command name (field 2) may contain spaces and parentheses:
// the fields after it start after its last ')'.
func statCPU(stat string) (float64, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	s, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return float64(u+s) / userHZ, true
}

// loadavg is the three load averages of /proc/loadavg, "?" when unknown.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
