package vppapi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/bond"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/lacp"
	"go.fd.io/govpp/binapi/lcp"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/binapi/vpe"
	"go.fd.io/govpp/core"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
)

// allInterfaces is ~0, "every interface" in VPP's dump requests. govpp does
// not apply the .api default: a zero value would ask for sw_if_index 0 only.
const allInterfaces = ^interface_types.InterfaceIndex(0)

// maxLCPPages bounds the lcp_itf_pair_get cursor loop against a VPP that
// keeps answering EAGAIN.
const maxLCPPages = 1 << 16

// Interfaces returns every VPP interface, sorted by sw_if_index, with bond
// members and linux-cp host interfaces filled in where the running VPP has
// those features. It fails with ErrNotConnected while there is no
// connection; the whole call is bounded by the request timeout.
func (c *Client) Interfaces(ctx context.Context) ([]model.Interface, error) {
	ifs, _, err := c.Dump(ctx)
	return ifs, err
}

// Dump is Interfaces that also says which connection (Event.Conn) the
// interfaces came from.
func (c *Client) Dump(ctx context.Context) (ifs []model.Interface, conn uint64, err error) {
	s := c.sess.Load()
	if s == nil {
		return nil, 0, ErrNotConnected
	}
	ctx, cancel := s.requestContext(ctx, c.reqTimeout)
	defer cancel()
	ifs, err = s.interfaces(ctx, int(c.lastDump.Load()))
	if err == nil {
		c.lastDump.Store(int64(len(ifs)))
	}
	return ifs, s.id, err
}

// ErrOtherConnection is returned by InterfaceOn when the connection it names
// is no longer the current one.
var ErrOtherConnection = errors.New("the VPP connection changed")

// Interface returns what sw_interface_dump says of one interface (its
// state, name, MTU...; bond and linux-cp fields are not filled: use
// Interfaces for those). found is false when VPP has no such interface.
// It costs one details message where Interfaces costs a full dump.
func (c *Client) Interface(ctx context.Context, swIfIndex uint32) (in model.Interface, found bool, err error) {
	return c.InterfaceOn(ctx, 0, swIfIndex)
}

// InterfaceOn is Interface asked of connection conn (Event.Conn; 0 for
// whichever is current): a sw_if_index learnt on one connection may name
// another interface on the next, so it fails with ErrOtherConnection then.
func (c *Client) InterfaceOn(ctx context.Context, conn uint64, swIfIndex uint32) (in model.Interface, found bool, err error) {
	s := c.sess.Load()
	if s == nil {
		return in, false, ErrNotConnected
	}
	if conn != 0 && conn != s.id {
		return in, false, ErrOtherConnection
	}
	ctx, cancel := s.requestContext(ctx, c.reqTimeout)
	defer cancel()
	// VPP dumps every interface for index 0 as for ~0: keep only the match.
	err = dump(ctx, s.conn, &interfaces.SwInterfaceDump{SwIfIndex: interface_types.InterfaceIndex(swIfIndex)}, func(m api.Message) error {
		d, ok := m.(*interfaces.SwInterfaceDetails)
		if !ok {
			return unexpected(m)
		}
		if uint32(d.SwIfIndex) == swIfIndex {
			in, found = fromDetails(d), true
		}
		return nil
	})
	if err != nil {
		return model.Interface{}, false, fmt.Errorf("dumping interface %d: %w", swIfIndex, err)
	}
	return in, found, nil
}

// Version returns VPP's version string, e.g. "26.06-release".
func (c *Client) Version(ctx context.Context) (string, error) {
	s := c.sess.Load()
	if s == nil {
		return "", ErrNotConnected
	}
	ctx, cancel := s.requestContext(ctx, c.reqTimeout)
	defer cancel()
	return showVersion(ctx, s.conn)
}

func showVersion(ctx context.Context, conn api.Connection) (string, error) {
	reply := &vpe.ShowVersionReply{}
	err := conn.Invoke(ctx, &vpe.ShowVersion{}, reply)
	if err == nil {
		err = api.RetvalToVPPApiError(reply.Retval)
	}
	if err != nil {
		return "", fmt.Errorf("asking VPP's version: %w", err)
	}
	return cString(reply.Version), nil
}

// interfaces dumps every interface; expect is how many the last dump had.
// The details are turned into rows as they arrive, into one array of
// about the right size: grown by appending, an array of 100,000 leaves
// four times its size of garbage behind, all at once.
func (s *session) interfaces(ctx context.Context, expect int) ([]model.Interface, error) {
	ifs := make([]model.Interface, 0, expect+expect/64+16)
	err := dump(ctx, s.conn, &interfaces.SwInterfaceDump{SwIfIndex: allInterfaces}, func(m api.Message) error {
		d, ok := m.(*interfaces.SwInterfaceDetails)
		if !ok {
			return unexpected(m)
		}
		ifs = append(ifs, fromDetails(d))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dumping interfaces: %w", err)
	}
	var bonds []bondInfo
	var mux map[uint32]uint32
	if s.bond {
		if bonds, err = dumpBonds(ctx, s.conn); err != nil {
			return nil, err
		}
		if s.lacp && slices.ContainsFunc(bonds, func(b bondInfo) bool { return b.lacp }) {
			if mux, err = dumpLACP(ctx, s.conn); err != nil {
				return nil, err
			}
		}
	}
	var pairs []lcpPair
	if s.lcp {
		if pairs, err = getLCPPairs(ctx, s.conn); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(ifs, func(a, b model.Interface) int { return cmp.Compare(a.SwIfIndex, b.SwIfIndex) })
	assemble(ifs, bonds, mux, pairs)
	return ifs, nil
}

func dumpBonds(ctx context.Context, conn api.Connection) ([]bondInfo, error) {
	var bonds []bondInfo
	err := dump(ctx, conn, &bond.SwBondInterfaceDump{SwIfIndex: allInterfaces}, func(m api.Message) error {
		d, ok := m.(*bond.SwBondInterfaceDetails)
		if !ok {
			return unexpected(m)
		}
		bonds = append(bonds, bondInfo{swIfIndex: uint32(d.SwIfIndex), lacp: d.Mode == bond.BOND_API_MODE_LACP})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dumping bonds: %w", err)
	}
	for i := range bonds {
		b := &bonds[i]
		err := dump(ctx, conn, &bond.SwMemberInterfaceDump{SwIfIndex: interface_types.InterfaceIndex(b.swIfIndex)}, func(m api.Message) error {
			d, ok := m.(*bond.SwMemberInterfaceDetails)
			if !ok {
				return unexpected(m)
			}
			b.members = append(b.members, uint32(d.SwIfIndex))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("dumping members of bond %d: %w", b.swIfIndex, err)
		}
	}
	return bonds, nil
}

func dumpLACP(ctx context.Context, conn api.Connection) (map[uint32]uint32, error) {
	mux := make(map[uint32]uint32)
	err := dump(ctx, conn, &lacp.SwInterfaceLacpDump{}, func(m api.Message) error {
		d, ok := m.(*lacp.SwInterfaceLacpDetails)
		if !ok {
			return unexpected(m)
		}
		mux[uint32(d.SwIfIndex)] = d.MuxState
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dumping LACP state: %w", err)
	}
	return mux, nil
}

// getLCPPairs walks lcp_itf_pair_get: details, then a reply whose retval
// EAGAIN means "call again from this cursor" (VPP yields its main loop on
// large tables).
func getLCPPairs(ctx context.Context, conn api.Connection) ([]lcpPair, error) {
	var pairs []lcpPair
	cursor := uint32(0)
	for range maxLCPPages {
		stream, err := conn.NewStream(ctx, core.WithReplySize(replyQueue))
		if err != nil {
			return nil, fmt.Errorf("getting linux-cp pairs: %w", err)
		}
		reply, err := lcpPage(stream, cursor, &pairs)
		_ = stream.Close()
		if err != nil {
			return nil, fmt.Errorf("getting linux-cp pairs: %w", err)
		}
		switch api.RetvalToVPPApiError(reply.Retval) {
		case nil:
			return pairs, nil
		case api.EAGAIN:
			cursor = reply.Cursor
		case api.INVALID_VALUE:
			// The cursor points past the last pair: nothing more.
			return pairs, nil
		default:
			return nil, fmt.Errorf("getting linux-cp pairs: %w", api.RetvalToVPPApiError(reply.Retval))
		}
	}
	return nil, errors.New("getting linux-cp pairs: VPP keeps asking to continue")
}

func lcpPage(stream api.Stream, cursor uint32, pairs *[]lcpPair) (*lcp.LcpItfPairGetReply, error) {
	if err := stream.SendMsg(&lcp.LcpItfPairGet{Cursor: cursor}); err != nil {
		return nil, err
	}
	for {
		m, err := stream.RecvMsg()
		if err != nil {
			return nil, err
		}
		switch m := m.(type) {
		case *lcp.LcpItfPairDetails:
			*pairs = append(*pairs, lcpPair{phy: uint32(m.PhySwIfIndex), host: uint32(m.HostSwIfIndex), hostName: m.HostIfName})
		case *lcp.LcpItfPairGetReply:
			return m, nil
		default:
			return nil, unexpected(m)
		}
	}
}

// dump sends req followed by a control_ping and hands every reply to handle
// until the ping's reply, which marks the end of the dump.
func dump(ctx context.Context, conn api.Connection, req api.Message, handle func(api.Message) error) error {
	stream, err := conn.NewStream(ctx, core.WithReplySize(replyQueue))
	if err != nil {
		return err
	}
	defer func() { _ = stream.Close() }()
	if err := stream.SendMsg(req); err != nil {
		return err
	}
	if err := stream.SendMsg(&memclnt.ControlPing{}); err != nil {
		return err
	}
	for {
		m, err := stream.RecvMsg()
		if err != nil {
			return err
		}
		if _, ok := m.(*memclnt.ControlPingReply); ok {
			return nil
		}
		if err := handle(m); err != nil {
			return err
		}
	}
}

func unexpected(m api.Message) error {
	return fmt.Errorf("unexpected message %s", m.GetMessageName())
}
