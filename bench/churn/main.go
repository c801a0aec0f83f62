// Command churn drives interface churn in vppsim and times how soon the
// agent shows a change, for the scale phase of scripts/bench.sh.
//
//	churn --cli SOCK --rate 4 --duration 30s [--hold 100ms]
//	    creates and deletes a loopback about --rate times a second for
//	    --duration through vppsim's CLI (each living --hold), and prints
//	    "pairs N".
//	churn --cli SOCK --target HOST:PORT --see
//	    makes three changes one after the other, each timed from the CLI's
//	    answer until SNMP (through snmpd, as a poller sees it) shows it: a
//	    loopback created (a walk of the tail of ifDescr shows its name), the
//	    same deleted (the walk no longer shows it), and an interface that is
//	    up set down (ifAdminStatus and ifOperStatus read down). It prints one
//	    line "create S delete S down S" in seconds, a timeout as "timeout".
//
// It is a measurement: it exits 0 whatever the times, 1 when it could not
// make a change or ask the agent.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppsim"
)

const (
	oidIfDescr       = ".1.3.6.1.2.1.2.2.1.2"
	oidIfAdminStatus = ".1.3.6.1.2.1.2.2.1.7"
	oidIfOperStatus  = ".1.3.6.1.2.1.2.2.1.8"
)

func main() {
	cli := flag.String("cli", "", "vppsim's CLI socket")
	rate := flag.Float64("rate", 4, "create+delete pairs per second")
	duration := flag.Duration("duration", 30*time.Second, "how long to churn")
	hold := flag.Duration("hold", 0, "how long each loopback lives before it is deleted")
	see := flag.Bool("see", false, "time three changes until SNMP shows them, instead of churning")
	target := flag.String("target", "127.0.0.1:161", "snmpd (SNMPv2c, community public)")
	within := flag.Duration("within", 10*time.Second, "give up waiting for a change after this long")
	flag.Parse()
	var err error
	if *see {
		err = seeChanges(*cli, *target, *within)
	} else {
		err = churn(*cli, *rate, *duration, *hold)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "churn:", err)
		os.Exit(1)
	}
}

func ctl(sock, cmd string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := vppsim.Ctl(ctx, sock, cmd, &out); err != nil {
		return "", err
	}
	return strings.TrimSpace(out.String()), nil
}

// churn creates and deletes loopbacks, paced to rate pairs a second, each
// living hold.
func churn(sock string, rate float64, d, hold time.Duration) error {
	period := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	pairs := 0
	for next := start; time.Since(start) < d; next = next.Add(period) {
		time.Sleep(time.Until(next))
		name, err := ctl(sock, "create loopback interface")
		if err != nil {
			return err
		}
		if !strings.HasPrefix(name, "loop") {
			return fmt.Errorf("create loopback interface: %s", name)
		}
		time.Sleep(hold)
		if out, err := ctl(sock, "delete loopback interface intfc "+name); err != nil || out != "" {
			return fmt.Errorf("delete loopback interface intfc %s: %q %v", name, out, err)
		}
		pairs++
	}
	fmt.Printf("pairs %d in %.1f s\n", pairs, time.Since(start).Seconds())
	return nil
}

func seeChanges(sock, target string, within time.Duration) error {
	host, port, ok := strings.Cut(target, ":")
	if !ok {
		return fmt.Errorf("--target %q: want HOST:PORT", target)
	}
	s := &gosnmp.GoSNMP{Target: host, Community: "public", Version: gosnmp.Version2c,
		Timeout: 2 * time.Second, Retries: 1, MaxRepetitions: 100}
	fmt.Sscan(port, &s.Port)
	if err := s.Connect(); err != nil {
		return err
	}
	defer s.Conn.Close()
	last, err := lastRow(s)
	if err != nil {
		return fmt.Errorf("finding the last row of ifDescr: %w", err)
	}
	// The tail of ifDescr: a new interface gets the highest sw_if_index and
	// so (1000 + sw_if_index, or what it had before) an ifIndex near it.
	// snmpd answers at most 100 varbinds a GetBulk (maxGetbulkResponses).
	tail := func() (map[string]uint32, error) {
		from := uint32(0)
		if last > 40 {
			from = last - 40
		}
		pdu, err := s.GetBulk([]string{fmt.Sprintf("%s.%d", oidIfDescr, from)}, 0, 95)
		if err != nil {
			return nil, err
		}
		rows := map[string]uint32{}
		for _, v := range pdu.Variables {
			if !strings.HasPrefix(v.Name, oidIfDescr+".") {
				break
			}
			var idx uint32
			fmt.Sscan(strings.TrimPrefix(v.Name, oidIfDescr+"."), &idx)
			if b, ok := v.Value.([]byte); ok {
				rows[string(b)] = idx
			}
		}
		return rows, nil
	}
	wait := func(what string, done func() (bool, error)) string {
		start := time.Now()
		for time.Since(start) < within {
			ok, err := done()
			if err != nil {
				fmt.Fprintf(os.Stderr, "churn: %s: %v\n", what, err)
			} else if ok {
				return fmt.Sprintf("%.3f", time.Since(start).Seconds())
			}
			time.Sleep(10 * time.Millisecond)
		}
		return "timeout"
	}

	name, err := ctl(sock, "create loopback interface")
	if err != nil || !strings.HasPrefix(name, "loop") {
		return fmt.Errorf("create loopback interface: %q %v", name, err)
	}
	created := wait("create", func() (bool, error) {
		rows, err := tail()
		_, ok := rows[name]
		return ok, err
	})
	if out, err := ctl(sock, "delete loopback interface intfc "+name); err != nil || out != "" {
		return fmt.Errorf("delete loopback interface intfc %s: %q %v", name, out, err)
	}
	deleted := wait("delete", func() (bool, error) {
		rows, err := tail()
		_, ok := rows[name]
		return !ok && err == nil, err
	})

	// An interface that is up, from the middle of the table.
	pdu, err := s.GetBulk([]string{fmt.Sprintf("%s.%d", oidIfAdminStatus, last/2+500)}, 0, 50)
	if err != nil {
		return err
	}
	var downIdx uint32
	for _, v := range pdu.Variables {
		if strings.HasPrefix(v.Name, oidIfAdminStatus+".") && gosnmp.ToBigInt(v.Value).Int64() == 1 {
			fmt.Sscan(strings.TrimPrefix(v.Name, oidIfAdminStatus+"."), &downIdx)
			break
		}
	}
	if downIdx == 0 {
		return errors.New("no admin-up interface in the middle of the table")
	}
	got, err := s.Get([]string{fmt.Sprintf("%s.%d", oidIfDescr, downIdx)})
	if err != nil {
		return err
	}
	b, _ := got.Variables[0].Value.([]byte)
	if out, err := ctl(sock, "set interface state "+string(b)+" down"); err != nil || out != "" {
		return fmt.Errorf("set interface state %s down: %q %v", b, out, err)
	}
	down := wait("down", func() (bool, error) {
		pdu, err := s.Get([]string{fmt.Sprintf("%s.%d", oidIfAdminStatus, downIdx), fmt.Sprintf("%s.%d", oidIfOperStatus, downIdx)})
		if err != nil {
			return false, err
		}
		return gosnmp.ToBigInt(pdu.Variables[0].Value).Int64() == 2 && gosnmp.ToBigInt(pdu.Variables[1].Value).Int64() == 2, nil
	})
	if out, err := ctl(sock, "set interface state "+string(b)+" up"); err != nil || out != "" {
		return fmt.Errorf("set interface state %s up: %q %v", b, out, err)
	}
	fmt.Printf("create %s delete %s down %s (%s, %s)\n", created, deleted, down, name, b)
	return nil
}

// lastRow finds the highest ifIndex in ifDescr by bisection with GetNext.
func lastRow(s *gosnmp.GoSNMP) (uint32, error) {
	lo, hi := uint64(0), uint64(1)<<32 // a row is > lo; none is >= hi
	next := func(x uint64) (uint32, bool, error) {
		pdu, err := s.GetNext([]string{fmt.Sprintf("%s.%d", oidIfDescr, x)})
		if err != nil {
			return 0, false, err
		}
		v := pdu.Variables[0]
		if !strings.HasPrefix(v.Name, oidIfDescr+".") {
			return 0, false, nil
		}
		var idx uint32
		fmt.Sscan(strings.TrimPrefix(v.Name, oidIfDescr+"."), &idx)
		return idx, true, nil
	}
	first, ok, err := next(0)
	if err != nil || !ok {
		return 0, fmt.Errorf("empty ifDescr (%v)", err)
	}
	lo = uint64(first)
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		idx, ok, err := next(mid - 1)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = uint64(idx)
		} else {
			hi = mid
		}
	}
	return uint32(lo), nil
}
