package ifindexfile

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/ifindex"
)

// encodeBefore is the encoder Save used before it streamed: a json.Marshal
// per entry into one buffer. The streaming encoder must write the same
// bytes.
func encodeBefore(x *ifindex.Registry) ([]byte, error) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "{\"version\": %d, \"interfaces\": [\n", version)
	first := true
	for r := range x.Records() {
		if !first {
			buf.WriteString(",\n")
		}
		first = false
		e := entry{IfIndex: r.IfIndex, Name: r.Name}
		if !utf8.ValidString(r.Name) {
			e = entry{IfIndex: r.IfIndex, NameHex: hex.EncodeToString([]byte(r.Name))}
		}
		if !r.LastSeen.IsZero() {
			e.Seen = r.LastSeen.Unix()
		}
		line, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		buf.Write(line)
	}
	buf.WriteString("\n],\n\"forgotten\": [")
	first = true
	for t := range x.Tombstones() {
		if first {
			buf.WriteString("\n")
		} else {
			buf.WriteString(",\n")
		}
		first = false
		fmt.Fprintf(&buf, `{"ifIndex":%d,"at":%d}`, t.IfIndex, t.Forgotten.Unix())
	}
	if !first {
		buf.WriteString("\n")
	}
	buf.WriteString("]}\n")
	return buf.Bytes(), nil
}

// encoded is encode's output for x, with no limit that matters.
func encoded(t testing.TB, x *ifindex.Registry) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := encode(&buf, x, maxSize); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// oddNames are names whose encoding differs between encoding/json and a
// naive quoting.
var oddNames = []string{
	"", "plain", `quote"d`, `back\slash`, "tab\tnl\nret\rbs\bff\f", "nul\x00", "us\x1f", "del\x7f",
	"<b>&amp;</b>", "a<b", "a>b", "a&b", "line\u2028para\u2029", "é ünïcode", "emoji 😀", "rune error \ufffd",
	"host-\xff", "host-\xfe\xfd", "bad\xc3(", "\xe2\x80", // not UTF-8: nameHex
	strings.Repeat("x", 300),
}

// TestEncodeAsBefore: the streaming encoder writes exactly what the
// json.Marshal one wrote, for every kind of name, with and without
// last-seen times and tombstones.
func TestEncodeAsBefore(t *testing.T) {
	var recs []ifindex.Record
	for i, n := range oddNames {
		r := ifindex.Record{Name: n, IfIndex: uint32(1000 + i)}
		if i%2 == 0 {
			r.LastSeen = t0.Add(time.Duration(i) * time.Second)
		}
		recs = append(recs, r)
	}
	one, _ := ifindex.New(map[string]uint32{"a": 1})
	many, err := ifindex.NewFrom(recs, []ifindex.Tombstone{{IfIndex: 7, Forgotten: t0}, {IfIndex: 5000, Forgotten: t0.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	onlyTombs, _ := ifindex.NewFrom(nil, []ifindex.Tombstone{{IfIndex: 7, Forgotten: t0}})
	for name, x := range map[string]*ifindex.Registry{"nil": nil, "one": one, "many": many, "only tombstones": onlyTombs} {
		want, err := encodeBefore(x)
		if err != nil {
			t.Fatal(err)
		}
		if got := encoded(t, x); !bytes.Equal(got, want) {
			t.Errorf("%s: encoded\n%s\nwant\n%s", name, got, want)
		}
	}
}

// FuzzEncodeAsBefore: any name encodes as json.Marshal encoded it.
func FuzzEncodeAsBefore(f *testing.F) {
	for _, n := range oddNames {
		f.Add(n, int64(1795306109))
	}
	f.Fuzz(func(t *testing.T, name string, seen int64) {
		r := ifindex.Record{Name: name, IfIndex: 1000}
		if seen != 0 {
			r.LastSeen = time.Unix(seen, 0)
		}
		x, err := ifindex.NewFrom([]ifindex.Record{r}, nil)
		if err != nil {
			return
		}
		want, err := encodeBefore(x)
		if err != nil {
			t.Fatal(err)
		}
		if got := encoded(t, x); !bytes.Equal(got, want) {
			t.Fatalf("encoded\n%s\nwant\n%s", got, want)
		}
	})
}

// names returns a map of n names of about 60 bytes encoded each.
func names(t *testing.T, n int) *ifindex.Registry {
	t.Helper()
	m := make(map[string]uint32, n)
	for i := range n {
		m[fmt.Sprintf("TenGigabitEthernet%d/0/0.%d", i/1000, i%1000)] = uint32(1000 + i)
	}
	return indexes(t, m)
}

// TestStoreAbortsTooLarge: a map over the limit is refused once part of it
// has reached the temporary file: the file and its previous copy stay as
// they were, and no temporary file is left.
func TestStoreAbortsTooLarge(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ifindex.json")
	s := NewStore(path)
	for _, x := range []*ifindex.Registry{names(t, 1), names(t, 2)} {
		if err := s.Save(x); err != nil {
			t.Fatal(err)
		}
	}
	file, _ := os.ReadFile(path)
	prev, _ := os.ReadFile(path + PrevSuffix)
	big := names(t, 10_000)
	// past the writer's 64 KiB buffer, so that the abort comes mid-file
	s.limit = int64(len(encoded(t, big))) / 2
	if s.limit < 3*64<<10 {
		t.Fatalf("limit %d: the map is too small to test an abort mid-file", s.limit)
	}
	err := s.Save(big)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Save above the limit: %v, want ErrTooLarge naming the file", err)
	}
	for p, want := range map[string][]byte{path: file, path + PrevSuffix: prev} {
		if got, _ := os.ReadFile(p); !bytes.Equal(got, want) {
			t.Errorf("%s changed after a refused save:\n%s", p, got)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("a refused save left %v in the directory, want only the file and its previous copy", ents)
	}
}

// TestStoreTrustsWhatItWrote: the file a Store wrote last is kept as the
// previous copy without reading it back. Shown by damaging it in the one
// way the check cannot see (same inode, size and modification time): a
// read-back would move it aside, the Store keeps it.
func TestStoreTrustsWhatItWrote(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ifindex.json")
	s := NewStore(path)
	a, b, c := names(t, 1), names(t, 2), names(t, 3)
	for _, x := range []*ifindex.Registry{a, b} {
		if err := s.Save(x); err != nil {
			t.Fatal(err)
		}
	}
	if got := mustLoad(t, path+PrevSuffix); !same(got, a) {
		t.Fatalf(".prev holds %v, want the first map", maps.Collect(got.All()))
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("X"), 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Chtimes(path, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(c); err != nil {
		t.Fatal(err)
	}
	if aside, _ := filepath.Glob(path + ".corrupt-*"); len(aside) != 0 {
		t.Errorf("moved aside %v: the file the Store wrote was read back", aside)
	}
	if b, _ := os.ReadFile(path + PrevSuffix); !bytes.HasPrefix(b, []byte("X")) {
		t.Errorf(".prev holds %.40q..., want the file as it was on disk", b)
	}
	if got := mustLoad(t, path); !same(got, c) {
		t.Errorf("file holds %v", maps.Collect(got.All()))
	}
}

// TestStoreRechecksChangedFile: a file changed on disk since the Store
// wrote it is read back as Save does: truncated, it is moved aside and the
// previous copy kept; replaced by a good one, that one is the previous
// copy. So is the file a Store finds at its first save.
func TestStoreRechecksChangedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ifindex.json")
	s := NewStore(path)
	a, b, c, d := names(t, 1), names(t, 2), names(t, 3), names(t, 4)
	for _, x := range []*ifindex.Registry{a, b} {
		if err := s.Save(x); err != nil {
			t.Fatal(err)
		}
	}
	whole, _ := os.ReadFile(path)
	if err := os.Truncate(path, int64(len(whole)/2)); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(c); err != nil {
		t.Fatal(err)
	}
	aside, _ := filepath.Glob(path + ".corrupt-*")
	if len(aside) != 1 {
		t.Fatalf("moved aside %v, want the truncated file", aside)
	}
	if got, _ := os.ReadFile(aside[0]); !bytes.Equal(got, whole[:len(whole)/2]) {
		t.Errorf("%s holds %q, want the truncated file", aside[0], got)
	}
	if got := mustLoad(t, path+PrevSuffix); !same(got, a) {
		t.Errorf(".prev holds %v after the file was truncated, want it unchanged", maps.Collect(got.All()))
	}

	// replaced by someone else's good file (another inode)
	other := path + ".other"
	if err := Save(other, d); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(c); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, path+PrevSuffix); !same(got, d) {
		t.Errorf(".prev holds %v, want the file that replaced ours", maps.Collect(got.All()))
	}

	// a new Store (an agent restarted) reads back what it finds
	if err := os.WriteFile(path, []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := NewStore(path).Save(a); err != nil {
		t.Fatal(err)
	}
	if aside, _ := filepath.Glob(path + ".corrupt-*"); len(aside) != 2 {
		t.Errorf("moved aside %v, want the truncated file and the junk", aside)
	}
	if got := mustLoad(t, path+PrevSuffix); !same(got, d) {
		t.Errorf(".prev holds %v after a new Store met junk, want it unchanged", maps.Collect(got.All()))
	}
	if got := slices.Collect(mustLoad(t, path).Records()); len(got) != 1 {
		t.Errorf("file holds %v", got)
	}
}
