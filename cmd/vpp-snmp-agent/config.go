package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
	"github.com/sirupsen/logrus"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/mib"
)

// config is the agent's configuration: defaults, then VPP_SNMP_* environment
// variables, then command-line flags (flags win). Each tag is the whole
// variable name, read with no prefix: envconfig falls back from PREFIX_TAG
// to the bare tag, so with a prefix net-snmp's own MIBS variable (which its
// tools' users set) would set --mibs, and CONFIG or PRIORITY theirs.
type config struct {
	AgentXAddr  string `envconfig:"VPP_SNMP_AGENTX_ADDR"`
	APISocket   string `envconfig:"VPP_SNMP_API_SOCKET"`
	StatsSocket string `envconfig:"VPP_SNMP_STATS_SOCKET"`
	Config      string `envconfig:"VPP_SNMP_CONFIG"`
	IfIndexFile string `envconfig:"VPP_SNMP_IFINDEX_FILE"`
	// IfIndexForgetAfter forgets names unseen for that long (0 never), so
	// that churned names do not grow the state file without bound.
	IfIndexForgetAfter time.Duration `envconfig:"VPP_SNMP_IFINDEX_FORGET_AFTER"`
	PollInterval       time.Duration `envconfig:"VPP_SNMP_POLL_INTERVAL"`
	DetailsInterval    time.Duration `envconfig:"VPP_SNMP_DETAILS_INTERVAL"`
	IPInterval         time.Duration `envconfig:"VPP_SNMP_IP_INTERVAL"`
	MIBs               string        `envconfig:"VPP_SNMP_MIBS"`
	VPPDownAfter       time.Duration `envconfig:"VPP_SNMP_VPP_DOWN_AFTER"`
	MetricsAddr        string        `envconfig:"VPP_SNMP_METRICS_ADDR"`
	LCPNames           bool          `envconfig:"VPP_SNMP_LCP_NAMES"`
	Priority           uint          `envconfig:"VPP_SNMP_PRIORITY"`
	TrapRate           int           `envconfig:"VPP_SNMP_TRAP_RATE"`
	LogLevel           string        `envconfig:"VPP_SNMP_LOG_LEVEL"`
	LogFormat          string        `envconfig:"VPP_SNMP_LOG_FORMAT"`
	Version            bool          `ignored:"true"`
}

func defaultConfig() config {
	return config{
		AgentXAddr:  "unix:/var/agentx/master",
		APISocket:   "/run/vpp/api.sock",
		StatsSocket: "/run/vpp/stats.sock",
		IfIndexFile: "/var/lib/vpp-snmp-agent/ifindex.json",
		// Long enough that an interface down for maintenance keeps its
		// ifIndex, short enough that churn stays bounded.
		IfIndexForgetAfter: 30 * 24 * time.Hour,
		PollInterval:       time.Second,
		DetailsInterval:    10 * time.Minute,
		IPInterval:         30 * time.Second,
		MIBs:               "if,ip,etherlike",
		VPPDownAfter:       5 * time.Second,
		Priority:           100,
		TrapRate:           100,
		LogLevel:           "info",
		LogFormat:          "text",
	}
}

const usageText = `vpp-snmp-agent: an AgentX subagent serving IF-MIB for the interfaces of VPP.

Usage: vpp-snmp-agent [flags]
       vpp-snmp-agent check [flags]

check connects once to everything the agent uses (VPP's API and stats
sockets, the vppcfg and ifIndex files, snmpd's AgentX socket), prints one
line per part starting with ok, warn or FAIL, and exits 0 when the agent
would work, 1 when not. It takes the same flags and environment, after the
word check; it changes nothing (the ifIndex file is only read). Run it first,
as the agent's user, when something does not work.

Every flag can also be set with an environment variable VPP_SNMP_<NAME>
(e.g. VPP_SNMP_AGENTX_ADDR, VPP_SNMP_POLL_INTERVAL); a flag wins over the
environment.

Examples:
  vpp-snmp-agent                                    # snmpd on unix:/var/agentx/master, VPP on /run/vpp
  vpp-snmp-agent --agentx-addr tcp:127.0.0.1:705 --config /etc/vpp/vppcfg.yaml
  vpp-snmp-agent -a 127.0.0.1:705                   # the Python agent's form
  VPP_SNMP_LOG_LEVEL=debug vpp-snmp-agent --log-format json
  vpp-snmp-agent check --agentx-addr tcp:127.0.0.1:705

Flags:
`

// maxTrapRate bounds --trap-rate: far above any link-state storm worth
// reporting, and what the notification queue is sized from.
const maxTrapRate = 10000

// errHelp is returned when --help was asked for: usage goes to stdout, exit 0.
var errHelp = errors.New("help requested")

// parseConfig reads the environment (through getenv's envconfig) and args.
// Any error is a configuration error: the caller prints it and exits exitConfig.
func parseConfig(args []string, stdout io.Writer) (config, error) {
	if len(args) == 1 && args[0] == manPageArg {
		return defaultConfig(), printManPage(stdout)
	}
	cfg := defaultConfig()
	if err := envconfig.Process("", &cfg); err != nil {
		return cfg, fmt.Errorf("environment: %w", err)
	}
	fs := newFlagSet(&cfg)
	// Parse calls Usage on every error, not only for --help: a mistyped
	// flag gets one line on stderr, not the usage on stdout.
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usageText)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return cfg, errHelp
		}
		return cfg, err
	}
	if fs.NArg() > 0 {
		if fs.Arg(0) == "check" {
			return cfg, errors.New("check must come first: vpp-snmp-agent check [flags]")
		}
		return cfg, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	return cfg, cfg.validate()
}

// newFlagSet defines every flag on cfg, with cfg's values as defaults:
// parseConfig parses the command line with it, and the man page
// (manpage.go) is written from it.
func newFlagSet(cfg *config) *flag.FlagSet {
	fs := flag.NewFlagSet("vpp-snmp-agent", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.AgentXAddr, "agentx-addr", cfg.AgentXAddr, "AgentX master address: unix:/path, /path, tcp:host:port or host:port")
	fs.StringVar(&cfg.AgentXAddr, "a", cfg.AgentXAddr, "same as --agentx-addr (the Python agent's flag)")
	fs.StringVar(&cfg.APISocket, "api-socket", cfg.APISocket, "VPP binary API socket")
	fs.StringVar(&cfg.StatsSocket, "stats-socket", cfg.StatsSocket, "VPP stats segment socket")
	fs.StringVar(&cfg.Config, "config", cfg.Config, "vppcfg YAML file for ifAlias (interface descriptions); reloaded on SIGHUP")
	fs.StringVar(&cfg.Config, "c", cfg.Config, "same as --config (the Python agent's flag)")
	fs.StringVar(&cfg.IfIndexFile, "ifindex-file", cfg.IfIndexFile, "state file keeping each interface name's ifIndex across restarts")
	fs.DurationVar(&cfg.IfIndexForgetAfter, "ifindex-forget-after", cfg.IfIndexForgetAfter, "forget an interface name unseen in VPP for this long, and give its ifIndex to no other name for as long again (0: never)")
	fs.DurationVar(&cfg.PollInterval, "poll-interval", cfg.PollInterval, "maximum age of a counter value served")
	fs.DurationVar(&cfg.DetailsInterval, "details-interval", cfg.DetailsInterval, "interval of the full interface dump, which catches what interface events do not carry (MTU, MAC, tag, speed); creations, deletions and state changes are seen at once anyway")
	fs.DurationVar(&cfg.IPInterval, "ip-interval", cfg.IPInterval, "interval of the full neighbour dump, and the least between two sweeps of every interface's addresses, which are further spaced by 10 ms per interface (neighbour events, and the addresses of an interface created or set up or down, are seen at once)")
	fs.StringVar(&cfg.MIBs, "mibs", cfg.MIBs, "MIB modules to serve, comma-separated: if, ip, etherlike (snmpd answers the others itself)")
	fs.DurationVar(&cfg.VPPDownAfter, "vpp-down-after", cfg.VPPDownAfter, "how long VPP's API socket and stats segment must both be gone before every interface reads down")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", cfg.MetricsAddr, "serve Prometheus metrics on http://HOST:PORT/metrics; empty: none")
	fs.BoolVar(&cfg.LCPNames, "lcp-names", cfg.LCPNames, "use linux-cp host names (e.g. e0) as ifName of the tap side")
	fs.UintVar(&cfg.Priority, "priority", cfg.Priority, "AgentX registration priority (below 127 wins over snmpd's own IF-MIB)")
	fs.IntVar(&cfg.TrapRate, "trap-rate", cfg.TrapRate, "maximum linkUp/linkDown notifications per second (0: none sent)")
	fs.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "log level: debug, info, warn, error")
	fs.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "log format: text or json")
	fs.BoolVar(&cfg.Version, "version", false, "print the version and exit")
	return fs
}

func (c config) validate() error {
	if _, err := logrus.ParseLevel(c.LogLevel); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	if f := strings.ToLower(c.LogFormat); f != "text" && f != "json" {
		return fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
	}
	if c.PollInterval <= 0 {
		return fmt.Errorf("--poll-interval %v: must be positive", c.PollInterval)
	}
	if c.DetailsInterval <= 0 {
		return fmt.Errorf("--details-interval %v: must be positive", c.DetailsInterval)
	}
	if c.IPInterval <= 0 {
		return fmt.Errorf("--ip-interval %v: must be positive", c.IPInterval)
	}
	if err := mib.CheckMIBs(c.mibList()); err != nil {
		return fmt.Errorf("--mibs: %w", err)
	}
	if c.VPPDownAfter <= 0 {
		return fmt.Errorf("--vpp-down-after %v: must be positive", c.VPPDownAfter)
	}
	if c.Priority == 0 || c.Priority > 255 {
		return fmt.Errorf("--priority %d: want 1..255", c.Priority)
	}
	if c.TrapRate < 0 || c.TrapRate > maxTrapRate {
		return fmt.Errorf("--trap-rate %d: want 0..%d", c.TrapRate, maxTrapRate)
	}
	if c.APISocket == "" || c.StatsSocket == "" {
		return errors.New("--api-socket and --stats-socket must not be empty")
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return fmt.Errorf("--metrics-addr %q: want host:port (%v)", c.MetricsAddr, err)
		}
	}
	if c.IfIndexFile == "" {
		return errors.New("--ifindex-file must not be empty")
	}
	if c.IfIndexForgetAfter < 0 {
		return fmt.Errorf("--ifindex-forget-after %v: must not be negative (0 never forgets)", c.IfIndexForgetAfter)
	}
	return nil
}

func newLogger(c config, w io.Writer) *logrus.Logger {
	l := logrus.New()
	l.SetOutput(w)
	lvl, _ := logrus.ParseLevel(c.LogLevel) // validated
	l.SetLevel(lvl)
	if strings.ToLower(c.LogFormat) == "json" {
		l.SetFormatter(&logrus.JSONFormatter{})
	} else {
		l.SetFormatter(&logrus.TextFormatter{FullTimestamp: true, DisableColors: true})
	}
	return l
}

// mibList returns --mibs as names.
func (c config) mibList() []string {
	var out []string
	for _, n := range strings.Split(c.MIBs, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}
