// Command vppsim runs a simulated VPP (see package vppsim): the binary API,
// the stats segment and a control CLI on unix sockets.
//
//	vppsim [flags]                      run it
//	vppsim ctl [-s SOCK] COMMAND ...    send one CLI command (try "help")
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim"
)

const defaultCLISocket = "/run/vpp/cli.sock"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "ctl" {
		os.Exit(ctl(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(run(os.Args[1:], os.Stderr))
}

// ctl sends one command to a running simulator's CLI.
func ctl(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vppsim ctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sock := fs.String("s", defaultCLISocket, "the simulator's CLI socket")
	timeout := fs.Duration("timeout", time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: vppsim ctl [-s SOCK] COMMAND ... (vppsim ctl help lists the commands)")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := vppsim.Ctl(ctx, *sock, strings.Join(fs.Args(), " "), stdout); err != nil {
		fmt.Fprintln(stderr, "vppsim ctl:", err)
		return 1
	}
	return 0
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("vppsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	apiSock := fs.String("api-socket", "/run/vpp/api.sock", "binary API socket")
	statsSock := fs.String("stats-socket", "/run/vpp/stats.sock", "stats segment socket (empty: none)")
	cliSock := fs.String("cli-socket", defaultCLISocket, "control CLI socket (empty: none)")
	scenario := fs.String("scenario", "", "YAML scenario (default: a realistic router)")
	replay := fs.String("replay", "", "serve a captured VPP from this directory (fixtures layout)")
	table := fs.String("message-table", "", "announce this message table (\"index name_crc\" lines) instead of govpp v0.13.0's")
	n := fs.Int("interfaces", 0, "add N generated QinQ sub-interfaces")
	genPPS := fs.Float64("interfaces-pps", 0, "rx and tx packets per second of each generated interface")
	workers := fs.Int("workers", 2, "worker threads (counters have workers+1 thread entries)")
	tick := fs.Duration("tick", vppsim.DefaultTick, "how often counters are written")
	restartDelay := fs.Duration("restart-delay", time.Second, "how long the sockets stay away on restart")
	lcpBatch := fs.Int("lcp-batch", 0, "lcp_itf_pair_details per lcp_itf_pair_get before EAGAIN (0: all)")
	statsSize := fs.Int("stats-size", 0, "fixed stats segment size in bytes (0: sized for the interfaces)")
	level := fs.String("log-level", "info", "log level (debug, info, warn, error)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vppsim: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	log := logrus.New()
	log.SetOutput(stderr)
	lvl, err := logrus.ParseLevel(*level)
	if err != nil {
		fmt.Fprintln(stderr, "vppsim:", err)
		return 2
	}
	log.SetLevel(lvl)

	start := time.Now()
	cfg := vppsim.Config{
		APISocket:      *apiSock,
		StatsSocket:    *statsSock,
		CLISocket:      *cliSock,
		Interfaces:     *n,
		GeneratedRates: vppsim.Rates{RxPPS: *genPPS, TxPPS: *genPPS},
		Workers:        *workers,
		Tick:           *tick,
		LCPBatch:       *lcpBatch,
		RestartDelay:   *restartDelay,
		StatsSize:      *statsSize,
		Logger:         log,
	}
	if *scenario != "" && *replay != "" {
		fmt.Fprintln(stderr, "vppsim: --scenario and --replay exclude each other")
		return 2
	}
	if *scenario != "" {
		if cfg.Scenario, err = vppsim.LoadScenario(*scenario); err != nil {
			fmt.Fprintln(stderr, "vppsim:", err)
			return 2
		}
	}
	if *replay != "" {
		if cfg.Replay, err = vppsim.LoadReplay(*replay); err != nil {
			fmt.Fprintln(stderr, "vppsim:", err)
			return 2
		}
	}
	if *table != "" {
		if cfg.MessageTable, err = vppsim.LoadMessageTable(*table); err != nil {
			fmt.Fprintln(stderr, "vppsim:", err)
			return 2
		}
	}
	sim, err := vppsim.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := sim.Start(ctx); err != nil {
		fmt.Fprintln(stderr, "vppsim:", err)
		return 1
	}
	log.WithFields(logrus.Fields{
		"interfaces": len(sim.Interfaces()),
		"api":        *apiSock,
		"stats":      *statsSock,
		"cli":        *cliSock,
		"startup":    time.Since(start).Round(time.Millisecond).String(),
	}).Info("vppsim ready")
	<-ctx.Done()
	if err := sim.Close(); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "vppsim:", err)
		return 1
	}
	return 0
}
