package vppcfg

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"gopkg.in/yaml.v3"
)

// maxSize bounds what Load reads; vppcfg files are a few kilobytes.
const maxSize = 16 << 20

// section is any vppcfg object that may carry a description.
type section struct {
	Description   string             `yaml:"description"`
	SubInterfaces map[string]section `yaml:"sub-interfaces"`
}

type config struct {
	Interfaces    map[string]section `yaml:"interfaces"`
	Loopbacks     map[string]section `yaml:"loopbacks"`
	Taps          map[string]section `yaml:"taps"`
	BondEthernets map[string]section `yaml:"bondethernets"`
	VXLANTunnels  map[string]section `yaml:"vxlan_tunnels"`
}

// Load returns the descriptions in the vppcfg file at path, by VPP
// interface name.
func Load(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening vppcfg file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading vppcfg file %s: %w", path, err)
	}
	if len(b) > maxSize {
		return nil, fmt.Errorf("reading vppcfg file %s: larger than %d bytes", path, maxSize)
	}
	m, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("vppcfg file %s: %w", path, err)
	}
	return m, nil
}

// Parse returns the descriptions in a vppcfg YAML document, by VPP
// interface name. Interfaces without a description are left out.
func Parse(b []byte) (map[string]string, error) {
	var c config
	if err := yaml.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("parsing YAML: %w", err)
	}
	out := map[string]string{}
	put := func(name, descr string) {
		if name == "" || descr == "" {
			return
		}
		if _, ok := out[name]; !ok {
			out[name] = descr
		}
	}
	for name, s := range c.Interfaces {
		put(name, s.Description)
		for id, sub := range s.SubInterfaces {
			// VPP names a sub-interface <parent>.<sub id>, the id in decimal
			n, err := strconv.ParseUint(id, 10, 32)
			if err != nil {
				continue // not a vppcfg sub-interface id
			}
			put(name+"."+strconv.FormatUint(n, 10), sub.Description)
		}
	}
	for _, sec := range []map[string]section{c.Loopbacks, c.Taps, c.BondEthernets, c.VXLANTunnels} {
		for name, s := range sec {
			put(name, s.Description)
		}
	}
	return out, nil
}
