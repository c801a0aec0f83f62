package ifindexfile

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/ifindex"
)

// version is the format written and the only one read. Last-seen times
// and tombstones were added as optional fields within it: a file without
// them (an older agent's) reads as names whose last-seen time is unknown,
// and an older agent reading a newer file ignores them rather than
// refusing it, so a downgrade keeps every ifIndex.
const version = 1

// maxSize bounds what Load reads and what Save writes: a million names fit
// in well under it.
const maxSize = 256 << 20

// PrevSuffix names the previous good copy that Save keeps beside the file.
const PrevSuffix = ".prev"

// corruptSuffix names a bad file moved aside by Load or Save, followed by
// the unix time.
const corruptSuffix = ".corrupt-"

var (
	// ErrCorrupt is wrapped by errors about a file's content.
	ErrCorrupt = errors.New("corrupt ifIndex state file")
	// ErrNotFile is wrapped when the path is a directory or another
	// non-regular file, which is neither read nor moved aside.
	ErrNotFile = errors.New("not a regular file")
	// ErrTooLarge is wrapped by Save's error for a map whose encoding
	// exceeds what Load reads: it is not written.
	ErrTooLarge = errors.New("ifIndex state larger than the agent reads")
)

type entry struct {
	IfIndex uint32 `json:"ifIndex"`
	Name    string `json:"name,omitempty"`
	// NameHex holds a name that is not valid UTF-8 (Linux allows any byte
	// in an interface name, and af_packet's VPP names carry it), which
	// JSON strings cannot hold.
	NameHex string `json:"nameHex,omitempty"`
	// Seen is when the name was last seen in VPP, unix seconds; absent
	// when not known.
	Seen int64 `json:"seen,omitempty"`
}

type tombstone struct {
	IfIndex uint32 `json:"ifIndex"`
	At      int64  `json:"at"` // unix seconds
}

type file struct {
	Version    int          `json:"version"`
	Interfaces []*entry     `json:"interfaces"`
	Forgotten  []*tombstone `json:"forgotten"`
}

// LoadReport says what Load found, for the caller to log.
type LoadReport struct {
	// From is the file the map was read from: the path, the previous copy
	// (path + PrevSuffix), or "" when there was no usable file and the
	// agent starts as on first sight (1000 + sw_if_index).
	From string
	// Missing is true when the path did not exist (a first start, unless
	// a previous copy was there).
	Missing bool
	// Problems says what was wrong with each file tried, naming the file:
	// each wraps ErrCorrupt, ErrNotFile or the read error.
	Problems []error
	// MovedAside lists where bad files were moved (path.corrupt-<unix
	// time>), so that Save does not keep them as the previous copy and an
	// operator can look at them.
	MovedAside []string
}

// Load reads the ifIndex map at path, and never fails: a state it cannot
// read must not keep SNMP down. A missing file is an empty map (the first
// start). A corrupt or unreadable file is moved aside and the previous copy
// Save kept beside it is used; if that is bad too it is moved aside as well
// and the map is empty. A directory (or another non-regular file) at path
// is left where it is: the previous copy is used if good, and Save will
// fail until the path is fixed. The previous copy is also used when the
// file is missing but the copy is there, as after a bad file was moved
// aside and the agent stopped before saving. The report says which.
//
// An empty map is the nil *ifindex.Registry.
func Load(path string) (*ifindex.Registry, LoadReport) {
	return load(path, maxSize, time.Now())
}

func load(path string, limit int64, now time.Time) (*ifindex.Registry, LoadReport) {
	var rep LoadReport
	for _, p := range []string{path, path + PrevSuffix} {
		x, err := read(p, limit)
		switch {
		case err == nil:
			rep.From = p
			return x, rep
		case errors.Is(err, fs.ErrNotExist):
			if p == path {
				rep.Missing = true
			}
			continue
		}
		if !errors.Is(err, ErrNotFile) {
			to, merr := moveAside(p, now)
			if merr != nil {
				err = fmt.Errorf("%w; moving it aside: %w", err, merr)
			} else {
				rep.MovedAside = append(rep.MovedAside, to)
				err = fmt.Errorf("%w (moved to %s)", err, to)
			}
		}
		rep.Problems = append(rep.Problems, err)
	}
	return nil, rep
}

// read reads and parses one file; limit bounds its size.
func read(path string, limit int64) (*ifindex.Registry, error) {
	// Stat first: opening a FIFO would block, and a file over the limit
	// is refused without reading it.
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading ifIndex state: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("ifIndex state %s: %w (%s)", path, ErrNotFile, st.Mode().Type())
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%w %s: %d bytes, more than the %d this agent reads", ErrCorrupt, path, st.Size(), limit)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading ifIndex state: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading ifIndex state %s: %w", path, err)
	}
	if int64(len(b)) > limit { // grew since the Stat
		return nil, fmt.Errorf("%w %s: more than the %d bytes this agent reads", ErrCorrupt, path, limit)
	}
	x, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrCorrupt, path, err)
	}
	return x, nil
}

// moveAside renames a bad file to path.corrupt-<unix time> (with a
// counter if that is taken) and returns the new name.
func moveAside(path string, now time.Time) (string, error) {
	base := path + corruptSuffix + strconv.FormatInt(now.Unix(), 10)
	to := base
	for n := 2; ; n++ {
		if _, err := os.Lstat(to); errors.Is(err, fs.ErrNotExist) {
			break
		}
		if n > 100 {
			return "", fmt.Errorf("%s and 99 others exist", base)
		}
		to = base + "-" + strconv.Itoa(n)
	}
	if err := os.Rename(path, to); err != nil {
		return "", err
	}
	return to, syncDir(filepath.Dir(path))
}

// Parse decodes the content of an ifIndex state file.
func Parse(b []byte) (*ifindex.Registry, error) {
	var v file
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	if v.Version != version {
		return nil, fmt.Errorf("version %d, this agent reads %d", v.Version, version)
	}
	if v.Interfaces == nil {
		return nil, errors.New("no interfaces list")
	}
	recs := make([]ifindex.Record, 0, len(v.Interfaces))
	for i, e := range v.Interfaces {
		if e == nil {
			return nil, fmt.Errorf("interface %d is null", i)
		}
		name := e.Name
		if e.NameHex != "" {
			b, err := hex.DecodeString(e.NameHex)
			if err != nil || e.Name != "" {
				return nil, fmt.Errorf("interface %d: bad nameHex %q", i, e.NameHex)
			}
			name = string(b)
		}
		r := ifindex.Record{Name: name, IfIndex: e.IfIndex}
		if e.Seen != 0 {
			if e.Seen < 0 {
				return nil, fmt.Errorf("interface %q: seen %d", name, e.Seen)
			}
			r.LastSeen = time.Unix(e.Seen, 0)
		}
		recs = append(recs, r)
	}
	tombs := make([]ifindex.Tombstone, 0, len(v.Forgotten))
	for i, t := range v.Forgotten {
		if t == nil {
			return nil, fmt.Errorf("forgotten %d is null", i)
		}
		if t.At <= 0 {
			return nil, fmt.Errorf("forgotten ifIndex %d: at %d", t.IfIndex, t.At)
		}
		tombs = append(tombs, ifindex.Tombstone{IfIndex: t.IfIndex, Forgotten: time.Unix(t.At, 0)})
	}
	return ifindex.NewFrom(recs, tombs)
}

// Save writes x to path atomically (a crash leaves the old file or the new
// one), first keeping the file it replaces as path + PrevSuffix if that
// file is good; a bad one is moved aside instead, so the previous copy is
// always one Load accepts. A map whose encoding exceeds what Load reads is
// not written (ErrTooLarge): the agent never writes a file it would refuse.
// It reads the file it replaces back in full: a caller saving the same path
// again and again does better with a Store.
func Save(path string, x *ifindex.Registry) error {
	return NewStore(path).Save(x)
}

// Store saves the ifIndex state file at one path again and again, as the
// agent does whenever its map changes, with Save's guarantees. It remembers
// the file it wrote last, so that the next save keeps it as the previous
// copy without reading it back (the whole file and every record parsed, at
// each save): a file replaced or changed since by anything else (another
// inode, size or modification time) is read back and checked as Save does.
// A Store is safe for concurrent use.
type Store struct {
	path  string
	limit int64

	mu sync.Mutex
	// wrote is the file at path as this Store's last save renamed it
	// there; nil before that.
	wrote os.FileInfo
}

// NewStore returns a Store for the file at path.
func NewStore(path string) *Store {
	return &Store{path: path, limit: maxSize}
}

// Save writes x to the Store's path as the package's Save does.
func (s *Store) Save(x *ifindex.Registry) error {
	return s.save(x, time.Now())
}

func save(path string, x *ifindex.Registry, limit int64, now time.Time) error {
	return (&Store{path: path, limit: limit}).save(x, now)
}

func (s *Store) save(x *ifindex.Registry, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Written in full before the old file is touched: a map too large, or
	// a full disk, leaves the file and its previous copy as they were.
	tmp, st, err := writeTemp(s.path, func(w io.Writer) error { return encode(w, x, s.limit) })
	if err != nil {
		return fmt.Errorf("saving ifIndex state %s: %w", s.path, err)
	}
	if err := keepPrevious(s.path, s.limit, now, s.wrote); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("saving ifIndex state %s: %w", s.path, err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("saving ifIndex state: %w", err)
	}
	// Ours even if the sync below fails: its content is what we wrote.
	s.wrote = st
	// the rename is durable only once the directory is synced
	return syncDir(filepath.Dir(s.path))
}

// encode writes the file content for x to w, and fails with ErrTooLarge as
// soon as it exceeds limit bytes. Each line is built in one reused buffer:
// a json.Marshal per name left a few hundred bytes of garbage each.
func encode(w io.Writer, x *ifindex.Registry, limit int64) error {
	var n int64
	b := make([]byte, 0, 256)
	// put writes b and empties it; the limit is checked before writing.
	put := func() error {
		if n += int64(len(b)); n > limit {
			return fmt.Errorf("%w: %d names and %d forgotten encode to more than %d bytes; not written",
				ErrTooLarge, x.Len(), x.TombstoneCount(), limit)
		}
		_, err := w.Write(b)
		b = b[:0]
		return err
	}
	b = append(b, `{"version": `...)
	b = strconv.AppendInt(b, version, 10)
	b = append(b, ", \"interfaces\": [\n"...)
	first := true
	for r := range x.Records() {
		if !first {
			b = append(b, ",\n"...)
		}
		first = false
		b = appendEntry(b, r)
		if err := put(); err != nil {
			return err
		}
	}
	b = append(b, "\n],\n\"forgotten\": ["...)
	first = true
	for t := range x.Tombstones() {
		if first {
			b = append(b, '\n')
		} else {
			b = append(b, ",\n"...)
		}
		first = false
		b = append(b, `{"ifIndex":`...)
		b = strconv.AppendUint(b, uint64(t.IfIndex), 10)
		b = append(b, `,"at":`...)
		b = strconv.AppendInt(b, t.Forgotten.Unix(), 10)
		b = append(b, '}')
		if err := put(); err != nil {
			return err
		}
	}
	if !first {
		b = append(b, '\n')
	}
	b = append(b, "]}\n"...)
	return put()
}

// appendEntry appends r as json.Marshal encodes an entry: the same fields,
// order, omissions and string escaping, so that files stay byte for byte
// what earlier agents wrote.
func appendEntry(b []byte, r ifindex.Record) []byte {
	b = append(b, `{"ifIndex":`...)
	b = strconv.AppendUint(b, uint64(r.IfIndex), 10)
	switch {
	case !utf8.ValidString(r.Name):
		b = append(b, `,"nameHex":"`...)
		for i := 0; i < len(r.Name); i++ {
			b = append(b, hexDigits[r.Name[i]>>4], hexDigits[r.Name[i]&0xf])
		}
		b = append(b, '"')
	case r.Name != "":
		b = append(b, `,"name":`...)
		b = appendJSONString(b, r.Name)
	}
	if !r.LastSeen.IsZero() {
		if seen := r.LastSeen.Unix(); seen != 0 {
			b = append(b, `,"seen":`...)
			b = strconv.AppendInt(b, seen, 10)
		}
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as encoding/json does. Names of printable
// ASCII needing no escape, which is nearly all, are copied; any other is
// left to encoding/json itself (control characters, <, > and & escaped for
// HTML, U+2028 and U+2029 too), rather than copying its rules here.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, err := json.Marshal(s)
			if err != nil { // a string always encodes
				panic(fmt.Sprintf("encoding %q: %v", s, err))
			}
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// keepPrevious makes the file at path, if it is good, the previous copy:
// a hard link (no data copied), else a copy. A bad file is moved aside if
// it can be, and the previous copy left as it is. A directory at path is an error: the
// rename over it would fail anyway, and this says why. wrote is the file
// as the caller last wrote it there, if it did: that one is known good.
func keepPrevious(path string, limit int64, now time.Time, wrote os.FileInfo) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !st.Mode().IsRegular():
		return fmt.Errorf("%w (%s): move it away", ErrNotFile, st.Mode().Type())
	}
	// Read it back rather than trust it, unless it is still the file we
	// wrote: something else may have written it, and a bad previous copy
	// would be no fallback at all. A bad file that cannot be moved aside
	// is replaced all the same: a good map on disk matters more than the
	// evidence.
	if !unchanged(st, wrote) {
		if _, err := read(path, limit); err != nil {
			_, _ = moveAside(path, now)
			return nil
		}
	}
	prev := path + PrevSuffix
	tmp := prev + ".tmp"
	_ = os.Remove(tmp) // left by a crash
	if err := os.Link(path, tmp); err != nil {
		// a file system without hard links
		err := writeAtomic(prev, func(w io.Writer) error {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(w, f)
			return err
		})
		if err != nil {
			return fmt.Errorf("keeping the previous copy: %w", err)
		}
		return nil
	}
	if err := os.Rename(tmp, prev); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("keeping the previous copy: %w", err)
	}
	return nil // the directory is synced after the new file's rename
}

// unchanged reports whether st is the file wrote describes, as it was:
// the same inode, size and modification time.
func unchanged(st, wrote os.FileInfo) bool {
	return wrote != nil && os.SameFile(st, wrote) && st.Size() == wrote.Size() && st.ModTime().Equal(wrote.ModTime())
}

// writeAtomic replaces path with what write writes so that readers and
// crashes see either the old content or the new, never a mix.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, _, err := writeTemp(path, write)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("saving ifIndex state: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// writeTemp writes a new file beside path (in its directory, so that a
// rename over path is atomic) through a buffer, and syncs it. It returns
// the file's name and what it is, or removes it and returns write's error
// or why it could not be written.
func writeTemp(path string, write func(io.Writer) error) (name string, st os.FileInfo, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return "", nil, fmt.Errorf("saving ifIndex state: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	// 64 KiB: a few hundred writes for 100,000 names, not thousands.
	w := bufio.NewWriterSize(f, 64<<10)
	if err := write(w); err != nil {
		return "", nil, err
	}
	if err := w.Flush(); err != nil {
		return "", nil, fmt.Errorf("writing ifIndex state %s: %w", f.Name(), err)
	}
	if err := f.Chmod(0o644); err != nil {
		return "", nil, fmt.Errorf("writing ifIndex state %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		return "", nil, fmt.Errorf("syncing ifIndex state %s: %w", f.Name(), err)
	}
	// Of the open file, not of the path after the rename: that could
	// already be someone else's.
	if st, err = f.Stat(); err != nil {
		return "", nil, fmt.Errorf("writing ifIndex state %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return "", nil, fmt.Errorf("writing ifIndex state %s: %w", f.Name(), err)
	}
	return f.Name(), st, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing directory of ifIndex state: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}
