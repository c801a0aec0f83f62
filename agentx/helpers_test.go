package agentx

import (
	"net"
	"sync/atomic"
	"testing"
)

func newTestDispatcher(t Tree, context string) *dispatcher {
	var p atomic.Pointer[treeRef]
	if t != nil {
		p.Store(&treeRef{t: t})
	}
	return newDispatcher(&p, context)
}

func freeTCPPort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
