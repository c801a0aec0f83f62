package vppsim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The control CLI: one command per connection. The client writes a line,
// the simulator writes the output (VPP's wording and formats where VPP has
// the command) and closes the connection.

const maxCLILine = 4096

type cliServer struct {
	sim  *Sim
	ln   *net.UnixListener
	path string
	wg   sync.WaitGroup
}

func newCLIServer(s *Sim, path string) (*cliServer, error) {
	ln, err := listenUnix(path)
	if err != nil {
		return nil, fmt.Errorf("vppsim: CLI: %w", err)
	}
	c := &cliServer{sim: s, ln: ln, path: path}
	c.wg.Add(1)
	go c.acceptLoop()
	return c, nil
}

func (c *cliServer) acceptLoop() {
	defer c.wg.Done()
	for {
		nc, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			defer nc.Close()
			_ = nc.SetDeadline(time.Now().Add(time.Minute))
			line, err := bufio.NewReaderSize(io.LimitReader(nc, maxCLILine), maxCLILine).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return
			}
			_, _ = io.WriteString(nc, c.sim.RunCLI(strings.TrimSpace(line)))
		}()
	}
}

func (c *cliServer) close() {
	_ = c.ln.Close()
	c.wg.Wait()
	_ = os.Remove(c.path)
}

// Ctl sends one command to a simulator's CLI socket and copies the output
// to w (what `vppsim ctl` does).
func Ctl(ctx context.Context, socket, command string, w io.Writer) error {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return fmt.Errorf("connecting to the vppsim CLI at %s: %w", socket, err)
	}
	defer nc.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	if _, err := io.WriteString(nc, command+"\n"); err != nil {
		return fmt.Errorf("sending the command: %w", err)
	}
	if _, err := io.Copy(w, nc); err != nil {
		return fmt.Errorf("reading the output: %w", err)
	}
	return nil
}

// RunCLI runs one CLI command and returns its output.
func (s *Sim) RunCLI(line string) string {
	f := strings.Fields(line)
	if len(f) == 0 {
		return ""
	}
	is := func(w string, full string, min int) bool {
		return len(w) >= min && strings.HasPrefix(full, w)
	}
	switch {
	case is(f[0], "show", 2) && len(f) >= 2 && is(f[1], "interface", 3):
		return s.showInterface(f[2:])
	case is(f[0], "show", 2) && len(f) >= 2 && is(f[1], "version", 3):
		v := s.version()
		return fmt.Sprintf("vpp v%s built by vppsim on localhost at %s\n", v.Version, v.BuildDate)
	case is(f[0], "set", 3) && len(f) >= 4 && is(f[1], "interface", 3) && f[2] == "ip" && is(f[3], "address", 3):
		return s.addressCLI(f[4:])
	case is(f[0], "set", 3) && len(f) >= 3 && f[1] == "ip" && is(f[2], "neighbor", 5):
		return s.neighborCLI(f[3:])
	case is(f[0], "show", 2) && len(f) >= 3 && f[1] == "ip" && is(f[2], "neighbors", 5):
		return s.showNeighbors()
	case is(f[0], "set", 3) && len(f) >= 2 && is(f[1], "interface", 3):
		return s.setInterface(f[2:])
	case is(f[0], "create", 2) && len(f) >= 3 && is(f[1], "loopback", 4) && is(f[2], "interface", 3):
		x, err := s.CreateLoopback()
		if err != nil {
			return "create loopback interface: " + err.Error() + "\n"
		}
		return x.Name + "\n"
	case is(f[0], "create", 2) && len(f) >= 2 && is(f[1], "sub-interfaces", 4):
		return s.createSub(f[2:])
	case is(f[0], "delete", 3) && len(f) >= 5 && is(f[1], "loopback", 4) && is(f[2], "interface", 3) && f[3] == "intfc":
		return s.deleteKind(KindLoopback, f[4], "delete loopback interface")
	case is(f[0], "delete", 3) && len(f) >= 3 && is(f[1], "sub-interface", 4):
		return s.deleteKind(KindSub, f[2], "delete sub-interface")
	case is(f[0], "clear", 2) && len(f) >= 2 && is(f[1], "interfaces", 3):
		s.ClearCounters()
		return ""
	case f[0] == "restart":
		mode := RestartClean
		if len(f) > 1 && f[1] == "kill" {
			mode = RestartKill
		}
		if err := s.RestartWith(mode); err != nil {
			return "restart: " + err.Error() + "\n"
		}
		return fmt.Sprintf("restarted (generation %d)\n", s.Generation())
	case f[0] == "fault":
		return s.faultCLI(f[1:])
	case is(f[0], "show", 2) && len(f) == 2 && f[1] == "api":
		return s.showAPI()
	case f[0] == "help" || f[0] == "?":
		return cliHelp
	}
	return fmt.Sprintf("unknown input `%s'\n", line)
}

const cliHelp = `show interface [NAME ...]
show version
set interface state NAME up|down
set interface ip address [del] NAME ADDRESS/LENGTH
set ip neighbor [del] NAME IP MAC [static]
show ip neighbors
set interface link NAME up|down            (carrier; the simulator's own)
set interface rate NAME RX_PPS TX_PPS       (the simulator's own)
set interface feature NAME stats-collect-rx|stats-collect-tx arc ARC [disable]
create loopback interface
create sub-interfaces NAME ID [dot1q OUTER [inner-dot1q INNER]] [exact-match]
delete loopback interface intfc NAME
delete sub-interface NAME
clear interfaces
restart [kill]                              (kill: sockets left behind, as after SIGKILL)
show api                                    (the simulator's own: "NAME COUNT BYTES" per API message received or sent)
fault                                       (the simulator's own: "NAME SETTING fired N" per fault set since fault off)
fault details-drop PERCENT                  drop PERCENT % (0..100) of every sw_interface_dump's details
fault stats-busy DURATION                   hold the stats segment's in_progress set, no traffic counted
fault api-stall DURATION                    answer no API request for DURATION, then answer them in order
fault api-close                             close the next dump's connection after half its details (one-shot)
fault short-frame                           the next reply frame claims and carries 2 bytes (one-shot)
fault huge-frame                            the next reply frame claims 0xffffffff bytes, carries 6 (one-shot)
fault renumber                              restart with every interface on another sw_if_index
fault off                                   clear every fault and its count
`

func (s *Sim) setInterface(f []string) string {
	upDown := func(w string) (bool, bool) {
		switch w {
		case "up":
			return true, true
		case "down":
			return false, true
		}
		return false, false
	}
	switch {
	case len(f) == 3 && f[0] == "state":
		up, ok := upDown(f[2])
		if !ok {
			return fmt.Sprintf("set interface state: unknown input `%s'\n", f[2])
		}
		if err := s.SetAdmin(f[1], up); err != nil {
			return "set interface state: " + err.Error() + "\n"
		}
		return ""
	case len(f) == 3 && f[0] == "link":
		up, ok := upDown(f[2])
		if !ok {
			return fmt.Sprintf("set interface link: unknown input `%s'\n", f[2])
		}
		if err := s.SetLink(f[1], up); err != nil {
			return "set interface link: " + err.Error() + "\n"
		}
		return ""
	case len(f) == 4 && f[0] == "rate":
		rx, err1 := strconv.ParseFloat(f[2], 64)
		tx, err2 := strconv.ParseFloat(f[3], 64)
		if err1 != nil || err2 != nil || rx < 0 || tx < 0 {
			return "set interface rate: want NAME RX_PPS TX_PPS\n"
		}
		x, err := s.Interface(f[1])
		if err != nil {
			return "set interface rate: " + err.Error() + "\n"
		}
		r := x.Rates
		r.RxPPS, r.TxPPS = rx, tx
		if err := s.SetRates(f[1], r); err != nil {
			return "set interface rate: " + err.Error() + "\n"
		}
		return ""
	case len(f) >= 3 && f[0] == "feature" && strings.HasPrefix(f[2], "stats-collect-"):
		on := f[len(f)-1] != "disable"
		if err := s.SetDetailedStats(f[1], on); err != nil {
			return "set interface feature: " + err.Error() + "\n"
		}
		return ""
	}
	return fmt.Sprintf("set interface: unknown input `%s'\n", strings.Join(f, " "))
}

func (s *Sim) createSub(f []string) string {
	const cmd = "create sub-interfaces"
	if len(f) < 2 {
		return cmd + ": want NAME ID [dot1q OUTER [inner-dot1q INNER]] [exact-match]\n"
	}
	id, err := strconv.ParseUint(f[1], 10, 32)
	if err != nil {
		return fmt.Sprintf("%s: bad sub-interface id `%s'\n", cmd, f[1])
	}
	var outer, inner uint64
	for i := 2; i < len(f); i++ {
		switch f[i] {
		case "dot1q", "inner-dot1q":
			if i+1 >= len(f) {
				return fmt.Sprintf("%s: %s needs a VLAN\n", cmd, f[i])
			}
			v, err := strconv.ParseUint(f[i+1], 10, 12)
			if err != nil || v == 0 || v > 4094 {
				return fmt.Sprintf("%s: bad VLAN `%s'\n", cmd, f[i+1])
			}
			if f[i] == "dot1q" {
				outer = v
			} else {
				inner = v
			}
			i++
		case "exact-match":
		default:
			return fmt.Sprintf("%s: unknown input `%s'\n", cmd, strings.Join(f[i:], " "))
		}
	}
	x, err := s.CreateSub(f[0], uint32(id), uint16(outer), uint16(inner))
	if err != nil {
		return cmd + ": " + err.Error() + "\n"
	}
	return x.Name + "\n"
}

func (s *Sim) deleteKind(k Kind, name, cmd string) string {
	x, err := s.Interface(name)
	if err != nil {
		return cmd + ": " + err.Error() + "\n"
	}
	if x.Kind != k {
		return fmt.Sprintf("%s: %s is not a %s interface\n", cmd, name, k)
	}
	if err := s.Delete(name); err != nil {
		return cmd + ": " + err.Error() + "\n"
	}
	return ""
}

// center is VPP's %=Ns: the text centred in width, the odd space on the
// left.
func center(s string, width int) string {
	pad := width - len(s)
	if pad <= 0 {
		return s
	}
	left := (pad + 1) / 2
	return strings.Repeat(" ", left) + s + strings.Repeat(" ", pad-left)
}

func leftAlign(s string, width int) string {
	if len(s) >= width {
		return s
	}
	return s + strings.Repeat(" ", width-len(s))
}

// ifRow is one interface of "show interface".
type ifRow struct {
	name, state, mtu string
	idx              uint32
	c                counterSet
}

// showInterface prints VPP's "show interface" table for the named
// interfaces (all when none): sorted by name, the admin state (bond-slave
// for bond members), the MTUs and every non-zero counter.
func (s *Sim) showInterface(names []string) string {
	var rows []ifRow
	s.mu.Lock()
	if s.model == nil {
		s.mu.Unlock()
		return ""
	}
	want := map[string]bool{}
	for _, n := range names {
		if _, err := s.model.lookup(n); err != nil {
			s.mu.Unlock()
			return fmt.Sprintf("show interface: unknown input `%s'\n", n)
		}
		want[n] = true
	}
	for _, x := range s.model.ifs {
		if x == nil || (len(want) > 0 && !want[x.Name]) {
			continue
		}
		state := "down"
		switch {
		case x.BondSwIfIndex != NoIndex:
			state = "bond-slave"
		case x.AdminUp:
			state = "up"
		}
		_, c := s.ctr.total(x.SwIfIndex)
		rows = append(rows, ifRow{
			name: x.Name, idx: x.SwIfIndex, state: state, c: c,
			mtu: fmt.Sprintf("%d/%d/%d/%d", x.MTU[0], x.MTU[1], x.MTU[2], x.MTU[3]),
		})
	}
	s.mu.Unlock()
	return formatShowInterface(rows)
}

// formatShowInterface is format_vnet_sw_interface and
// format_vnet_sw_interface_cntrs: "%=32s%=5s%=10s%=21s%=16s%=16s" for the
// header, "%-32s%=5d%=10s%=21s" per interface, then "%-16s%16d" per
// non-zero counter (names cut at 16), each further counter on a new line
// indented to the counter column.
func formatShowInterface(rows []ifRow) string {
	sort.Slice(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	var b strings.Builder
	b.WriteString(center("Name", 32) + center("Idx", 5) + center("State", 10) +
		center("MTU (L3/IP4/IP6/MPLS)", 21) + center("Counter", 16) + center("Count", 16) + "\n")
	for _, r := range rows {
		line := leftAlign(r.name, 32) + center(strconv.FormatUint(uint64(r.idx), 10), 5) +
			center(r.state, 10) + center(r.mtu, 21)
		indent := strings.Repeat(" ", len(line))
		b.WriteString(line)
		n := 0
		counter := func(name string, v uint64) {
			if n > 0 {
				b.WriteString("\n" + indent)
			}
			n++
			if len(name) > 16 {
				name = name[:16]
			}
			fmt.Fprintf(&b, "%-16s%16d", name, v)
		}
		for k := 0; k < nCombined; k++ {
			if r.c.comb[k][0] == 0 {
				continue
			}
			counter(combinedNames[k]+" packets", r.c.comb[k][0])
			counter(combinedNames[k]+" bytes", r.c.comb[k][1])
		}
		for k := 0; k < nSimple; k++ {
			if r.c.simp[k] != 0 {
				counter(simpleNames[k], r.c.simp[k])
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
