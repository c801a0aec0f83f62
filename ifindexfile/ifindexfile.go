package ifindexfile

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/vpp-snmp-agent/vpp-snmp-agent/mib"
)

// version is the format written; Load refuses others.
const version = 1

// maxSize bounds what Load reads: a million names fit in well under it.
const maxSize = 256 << 20

// ErrCorrupt is wrapped by Load's errors about the file's content.
var ErrCorrupt = errors.New("corrupt ifIndex state file")

type entry struct {
	IfIndex uint32 `json:"ifIndex"`
	Name    string `json:"name,omitempty"`
	// NameHex holds a name that is not valid UTF-8 (Linux allows any byte
	// in an interface name, and af_packet's VPP names carry it), which
	// JSON strings cannot hold.
	NameHex string `json:"nameHex,omitempty"`
}

type file struct {
	Version    int      `json:"version"`
	Interfaces []*entry `json:"interfaces"`
}

// Load reads the ifIndex map at path. A missing file is an empty map.
func Load(path string) (*mib.Indexes, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return mib.NewIndexes(nil)
	}
	if err != nil {
		return nil, fmt.Errorf("opening ifIndex state: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading ifIndex state %s: %w", path, err)
	}
	if len(b) > maxSize {
		return nil, fmt.Errorf("%w %s: larger than %d bytes", ErrCorrupt, path, maxSize)
	}
	x, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrCorrupt, path, err)
	}
	return x, nil
}

// Parse decodes the content of an ifIndex state file.
func Parse(b []byte) (*mib.Indexes, error) {
	var v file
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	if v.Version != version {
		return nil, fmt.Errorf("version %d, this agent reads %d", v.Version, version)
	}
	m := make(map[string]uint32, len(v.Interfaces))
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
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("%q listed twice", name)
		}
		m[name] = e.IfIndex
	}
	return mib.NewIndexes(m)
}

// Save writes x to path atomically.
func Save(path string, x *mib.Indexes) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "{\"version\": %d, \"interfaces\": [\n", version)
	first := true
	for name, ix := range x.All() {
		if !first {
			buf.WriteString(",\n")
		}
		first = false
		e := entry{IfIndex: ix, Name: name}
		if !utf8.ValidString(name) {
			e = entry{IfIndex: ix, NameHex: hex.EncodeToString([]byte(name))}
		}
		line, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encoding ifIndex state: %w", err)
		}
		buf.Write(line)
	}
	buf.WriteString("\n]}\n")
	return writeAtomic(path, buf.Bytes())
}

// writeAtomic replaces path with b so that readers and crashes see either
// the old content or the new, never a mix.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("saving ifIndex state: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("writing ifIndex state %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("writing ifIndex state %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("syncing ifIndex state %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing ifIndex state %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("saving ifIndex state: %w", err)
	}
	done = true
	// the rename is durable only once the directory is synced
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
