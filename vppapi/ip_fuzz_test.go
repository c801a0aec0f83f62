package vppapi

import (
	"math"
	"testing"
	"time"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/ip_neighbor"
	"go.fd.io/govpp/binapi/ip_types"
	"go.fd.io/govpp/codec"
)

// FuzzIPDetails feeds frames of ip_address_details and ip_neighbor_details
// to govpp's decoder (as the connection does) and what it decodes to the
// mapping: any family, length or age VPP might send maps to a valid
// address or to nothing, and never panics.
func FuzzIPDetails(f *testing.F) {
	seed := func(m api.Message) []byte {
		b, err := codec.EncodeMsg(m, 1)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	a := &ip.IPAddressDetails{SwIfIndex: 1, Prefix: ip_types.AddressWithPrefix{Len: 24}}
	a.Prefix.Address.Un.SetIP4(ip_types.IP4Address{192, 0, 2, 1})
	f.Add(seed(a))
	n := &ip_neighbor.IPNeighborDetails{Age: 4.37, Neighbor: ip_neighbor.IPNeighbor{SwIfIndex: 1, Flags: 1}}
	n.Neighbor.IPAddress.Af = ip_types.ADDRESS_IP6
	f.Add(seed(n))
	at := time.Unix(1e9, 0)
	f.Fuzz(func(t *testing.T, b []byte) {
		var a ip.IPAddressDetails
		if err := codec.DecodeMsg(b, &a); err == nil {
			if p, ok := prefixFrom(a.Prefix); ok && (!p.IsValid() || p.Bits() > p.Addr().BitLen()) {
				t.Fatalf("invalid prefix %v from %x", p, b)
			}
		}
		var d ip_neighbor.IPNeighborDetails
		if err := codec.DecodeMsg(b, &d); err == nil {
			if nb, ok := neighborFrom(&d, at); ok {
				if !nb.IP.IsValid() {
					t.Fatalf("invalid address from %x", b)
				}
				if !nb.Updated.IsZero() && (nb.Updated.After(at) || math.IsNaN(d.Age)) {
					t.Fatalf("age %v gives %v", d.Age, nb.Updated)
				}
			}
		}
	})
}
