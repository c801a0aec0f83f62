package vppfixture_test

import (
	"testing"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/model"
	"github.com/vpp-snmp-agent/vpp-snmp-agent/vppfixture"
)

// TestCounters checks the parse against literal values from the capture's
// README, through model.Counters as the callers use it.
func TestCounters(t *testing.T) {
	names, cs := vppfixture.Counters[model.Counters](t)
	if len(names) != 11 || len(cs) != 11 {
		t.Fatalf("%d names, %d counters; want 11 each", len(names), len(cs))
	}
	if names[0] != "local0" || names[1] != "host-vpp-veth0" || names[10] != "deleted" {
		t.Errorf("names = %q", names)
	}
	if v := cs[1]; v.RxPackets != 167 || v.RxBytes != 32798 || v.TxPackets != 138 || v.Drops != 20 || v.Punts != 9 ||
		v.RxUnicastPackets != 141 || v.RxMulticastPackets != 13 || v.TxBroadcastPackets != 1 {
		t.Errorf("host-vpp-veth0 = %+v", v)
	}
	if cs[0] != (model.Counters{}) {
		t.Errorf("local0 = %+v, want all zero", cs[0])
	}
}
