package model

import (
	"reflect"
	"testing"
	"unsafe"
)

// TestInterfaceSize: the agent holds two arrays of Interface, one per
// interface VPP has (128 bytes each before the rare fields moved to Extra).
func TestInterfaceSize(t *testing.T) {
	if got := unsafe.Sizeof(Interface{}); got > 80 {
		t.Errorf("Interface is %d bytes, want 80 at most", got)
	} else {
		t.Logf("Interface is %d bytes, Extra %d", got, unsafe.Sizeof(Extra{}))
	}
}

func TestExtraOfNothing(t *testing.T) {
	var in Interface
	var nilp *Interface
	for _, x := range []*Interface{&in, nilp} {
		if x.Tag() != "" || x.BondMembers() != nil || x.LCPHostName() != "" || x.LCPHostSwIfIndex() != 0 ||
			!reflect.DeepEqual(x.Extra(), Extra{}) {
			t.Errorf("%v: extras of an interface without any: %+v", x == nil, x.Extra())
		}
	}
	// Setting zero values allocates nothing: the pointer stays nil.
	in.SetTag("")
	in.SetBondMembers(nil)
	in.SetLCPHost("", 0)
	if in.extra != nil {
		t.Errorf("zero extras set: extra = %+v, want nil", in.extra)
	}
	// Clearing what was set drops the pointer again, so that the value
	// equals one that never had any.
	in.SetTag("core")
	in.SetLCPHost("e0", 4)
	in.SetTag("")
	in.SetLCPHost("", 0)
	if in.extra != nil || !reflect.DeepEqual(in, Interface{}) {
		t.Errorf("extras cleared: extra = %+v, want nil", in.extra)
	}
	// An empty member list is not nil (as when these were fields).
	in.SetBondMembers([]BondMember{})
	if in.BondMembers() == nil || reflect.DeepEqual(in, Interface{}) {
		t.Errorf("empty member list lost: %#v", in.BondMembers())
	}
}

// TestSetCopiesOnWrite: copies of an Interface share its Extra; setting one
// copy's must leave every other copy as it was.
func TestSetCopiesOnWrite(t *testing.T) {
	orig := Extra{Tag: "core", LCPHostName: "be0", BondMembers: []BondMember{{SwIfIndex: 1, Active: true}}, LCPHostSwIfIndex: 5}
	a := WithExtra(Interface{SwIfIndex: 3, Name: "BondEthernet0"}, orig)
	sets := map[string]func(*Interface){
		"SetTag":             func(in *Interface) { in.SetTag("edge") },
		"SetTag empty":       func(in *Interface) { in.SetTag("") },
		"SetBondMembers":     func(in *Interface) { in.SetBondMembers([]BondMember{{SwIfIndex: 2}}) },
		"SetBondMembers nil": func(in *Interface) { in.SetBondMembers(nil) },
		"SetLCPHost":         func(in *Interface) { in.SetLCPHost("e1", 9) },
		"SetExtra":           func(in *Interface) { in.SetExtra(Extra{Tag: "x"}) },
		"SetExtra {}":        func(in *Interface) { in.SetExtra(Extra{}) },
		"WithExtra":          func(in *Interface) { *in = WithExtra(*in, Extra{LCPHostName: "y"}) },
	}
	for name, set := range sets {
		b := a // shares a's extra
		set(&b)
		if !reflect.DeepEqual(a.Extra(), orig) || a.Tag() != "core" || a.LCPHostName() != "be0" ||
			a.LCPHostSwIfIndex() != 5 || len(a.BondMembers()) != 1 {
			t.Fatalf("%s on a copy changed the original: %+v", name, a.Extra())
		}
		if reflect.DeepEqual(a, b) {
			t.Errorf("%s changed nothing", name)
		}
	}
	// Extra returns a copy: writing it changes nothing either.
	e := a.Extra()
	e.Tag = "changed"
	if a.Tag() != "core" {
		t.Errorf("writing Extra's result changed the interface: %q", a.Tag())
	}
	// Each setter sets only its own fields.
	b := a
	b.SetTag("edge")
	if want := (Extra{Tag: "edge", LCPHostName: "be0", BondMembers: orig.BondMembers, LCPHostSwIfIndex: 5}); !reflect.DeepEqual(b.Extra(), want) {
		t.Errorf("after SetTag: %+v, want %+v", b.Extra(), want)
	}
	b.SetLCPHost("", 0)
	b.SetBondMembers(nil)
	if want := (Extra{Tag: "edge"}); !reflect.DeepEqual(b.Extra(), want) {
		t.Errorf("after clearing the pair and the members: %+v, want %+v", b.Extra(), want)
	}
}

// TestDeepEqualSeesExtras: reflect.DeepEqual follows the pointer, so two
// interfaces with equal extras behind different pointers are equal, and a
// difference in any extra is seen.
func TestDeepEqualSeesExtras(t *testing.T) {
	mk := func() Interface {
		return WithExtra(Interface{SwIfIndex: 1, Name: "Te0"}, Extra{Tag: "core", LCPHostName: "e0",
			BondMembers: []BondMember{{SwIfIndex: 2, Active: true}}, LCPHostSwIfIndex: 4})
	}
	a, b := mk(), mk()
	if a.extra == b.extra {
		t.Fatal("test needs two pointers")
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("equal extras behind different pointers are not equal")
	}
	for name, set := range map[string]func(*Interface){
		"tag":     func(in *Interface) { in.SetTag("edge") },
		"members": func(in *Interface) { in.SetBondMembers([]BondMember{{SwIfIndex: 2}}) },
		"host":    func(in *Interface) { in.SetLCPHost("e1", 4) },
		"host sw": func(in *Interface) { in.SetLCPHost("e0", 5) },
	} {
		c := mk()
		set(&c)
		if reflect.DeepEqual(a, c) {
			t.Errorf("a different %s is not seen", name)
		}
	}
}
