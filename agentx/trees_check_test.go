package agentx

import "testing"

// The test trees must be right for the other tests to mean anything:
// compare tableTree's arithmetic with a listTree of the same varbinds.
func TestTableTreeMatchesList(t *testing.T) {
	tt := newTableTree(OID{1, 3, 6, 1, 2, 1, 2, 2, 1}, []uint32{1, 2, 5, 6}, 7, 3)
	lt := newListTree(tt.all()...)
	probes := []OID{
		{1}, {1, 3, 6, 1, 2, 1, 2}, {1, 3, 6, 1, 2, 1, 2, 2, 1}, {1, 3, 6, 1, 2, 1, 2, 2, 1, 1},
		{1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 999}, {1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 1000},
		{1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 1000, 5}, {1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 1006},
		{1, 3, 6, 1, 2, 1, 2, 2, 1, 3}, {1, 3, 6, 1, 2, 1, 2, 2, 1, 3, 1002}, {1, 3, 6, 1, 2, 1, 2, 2, 1, 6, 1006},
		{1, 3, 6, 1, 2, 1, 2, 2, 1, 7}, {1, 3, 6, 1, 2, 1, 2, 2, 2}, {1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 5000},
	}
	for _, p := range probes {
		for _, inc := range []bool{false, true} {
			n1, v1, ok1 := tt.Next(nil, p, inc)
			n2, v2, ok2 := lt.Next(nil, p, inc)
			if ok1 != ok2 || n1.Compare(n2) != 0 || v1.Type != v2.Type || v1.Integer != v2.Integer || string(v1.Bytes) != string(v2.Bytes) {
				t.Errorf("Next(%v, %v): table %v %v %v, list %v %v %v", p, inc, n1, v1, ok1, n2, v2, ok2)
			}
		}
		if g1, g2 := tt.Get(p), lt.Get(p); g1.Type != g2.Type || g1.Integer != g2.Integer {
			t.Errorf("Get(%v): table %v, list %v", p, g1, g2)
		}
	}
}
