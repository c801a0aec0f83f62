// Command debcopyright writes the Debian copyright file (DEP-5, machine
// readable) of the vpp-snmp-agent package for one built binary: this
// project's license, then Go's standard library and every module linked into
// the binary, as its build information lists them (what `go version -m`
// prints), each with the license packaging/licenses.txt names for it. The
// license text is read from the module's own license file (found with
// `go mod download -json`) and checked to be the license named.
//
//	go run ./packaging/debcopyright [-table packaging/licenses.txt] [-root .] BINARY >copyright
//
// A linked module missing from the table is an error (exit 1): the copyright
// file cannot fall behind go.mod. packaging/deb.sh runs it.
package main

import (
	"bufio"
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
)

func main() {
	table := flag.String("table", "packaging/licenses.txt", "the module → license table")
	root := flag.String("root", ".", "this project's module root (go.mod, LICENSE)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: debcopyright [-table FILE] [-root DIR] BINARY >copyright")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	binary := flag.Arg(0)
	info, err := buildinfo.ReadFile(binary)
	if err != nil {
		fmt.Fprintf(os.Stderr, "debcopyright: %s: no Go build information (%v): is it a Go binary?\n", binary, err)
		os.Exit(1)
	}
	goroot, err := goEnv("GOROOT")
	if err == nil {
		err = run(os.Stdout, info, *table, *root, goroot, goModuleDir)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "debcopyright: %v\n", err)
		os.Exit(1)
	}
}

// row is one line of the table.
type row struct {
	module, license, file string
	files                 []string // relative to the module; {"*"} for all
	copyright             []string // empty: from the license file
	line                  int
}

// readTable parses licenses.txt.
func readTable(path string) ([]row, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rows []row
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			return nil, fmt.Errorf("%s:%d: want module, license, file, files [copyright]: %q", path, i+1, line)
		}
		if _, ok := signatures[f[1]]; !ok {
			return nil, fmt.Errorf("%s:%d: license %q is not one of %s", path, i+1, f[1], licenseNames())
		}
		r := row{module: f[0], license: f[1], file: f[2], files: strings.Split(f[3], ","), line: i + 1}
		if len(f) > 4 {
			for _, c := range strings.Split(strings.Join(f[4:], " "), ";") {
				if c = strings.TrimSpace(c); c != "" {
					r.copyright = append(r.copyright, c)
				}
			}
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	return rows, nil
}

// signatures are phrases every text of a license has: a license file must
// contain all of its license's, so that a module that changed its license
// is noticed.
var signatures = map[string][]string{
	"Apache-2.0":   {"Apache License", "Version 2.0"},
	"Expat":        {"Permission is hereby granted, free of charge", "THE SOFTWARE IS PROVIDED \"AS IS\""},
	"BSD-2-Clause": {"Redistribution and use in source and binary forms", "Redistributions in binary form must reproduce"},
	"BSD-3-Clause": {"Redistribution and use in source and binary forms", "Neither the name"},
	"ISC":          {"Permission to use, copy, modify, and/or distribute this software for any"},
	"MPL-2.0":      {"Mozilla Public License", "2.0"},
}

// common are the licenses Debian ships in /usr/share/common-licenses: the
// copyright file refers to them rather than copying them (lintian asks so).
var common = map[string]string{
	"Apache-2.0": "the Apache License, Version 2.0",
	"MPL-2.0":    "the Mozilla Public License, Version 2.0",
}

func licenseNames() string {
	return strings.Join(slices.Sorted(maps.Keys(signatures)), ", ")
}

// moduleDirFunc returns the directory of module path@version.
type moduleDirFunc func(path, version string) (string, error)

// goModuleDir asks the go command where a module is (downloading it into
// the module cache if it is not there yet).
func goModuleDir(path, version string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", path+"@"+version)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var m struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &m); jerr == nil && m.Error != "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", path, version, m.Error)
	}
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %v %s", path, version, err, strings.TrimSpace(stderr.String()))
	}
	if m.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: no directory in %s", path, version, out)
	}
	return m.Dir, nil
}

// linked is one module in the binary: its path (the table's key), its
// version, and where its files are (dir), or which module to download to
// find them (fetch: the path itself, or its replacement).
type linked struct {
	path, version, fetch, dir string
}

// run writes the copyright file for the binary of info; goroot holds the
// standard library's license.
func run(w io.Writer, info *debug.BuildInfo, tablePath, root, goroot string, moduleDir moduleDirFunc) error {
	rows, err := readTable(tablePath)
	if err != nil {
		return err
	}
	self, err := modulePath(filepath.Join(root, "go.mod"))
	if err != nil {
		return err
	}
	mods := []linked{{path: self, dir: root}, {path: "std", version: info.GoVersion, dir: goroot}}
	for _, d := range info.Deps {
		mods = append(mods, dependency(d, root))
	}

	var missing []string
	byModule := map[string][]row{}
	for _, r := range rows {
		byModule[r.module] = append(byModule[r.module], r)
	}
	for _, m := range mods {
		if len(byModule[m.path]) == 0 {
			missing = append(missing, m.path+" "+m.version)
		}
	}
	if len(missing) != 0 {
		return fmt.Errorf("the binary links modules that %s does not name: %s; read each one's license file in the module cache and add a row",
			tablePath, strings.Join(missing, ", "))
	}

	bw := bufio.NewWriter(w)
	fmt.Fprint(bw, `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: vpp-snmp-agent
Comment: /usr/sbin/vpp-snmp-agent is a statically linked Go program. Besides
 this project's code it holds Go's standard library and runtime ("std") and
 the Go modules below, as the binary's build information lists them (go
 version -m /usr/sbin/vpp-snmp-agent). Their Files patterns are Go import
 paths; "*" is this project's source.
`)
	used := map[string]bool{}
	for _, m := range mods {
		if m.dir == "" {
			var err error
			if m.dir, err = moduleDir(m.fetch, m.version); err != nil {
				return err
			}
		}
		for _, r := range byModule[m.path] {
			if err := paragraph(bw, m, r, m.path == self); err != nil {
				return err
			}
			used[r.license] = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(common)) {
		if !used[name] {
			continue
		}
		fmt.Fprintf(bw, "\nLicense: %s\n", name)
		fmt.Fprintf(bw, " On Debian systems, the complete text of %s can be found\n", common[name])
		fmt.Fprintf(bw, " in /usr/share/common-licenses/%s.\n", name)
	}
	return bw.Flush()
}

// dependency is where a dependency's files are: a replacement with a
// version is downloaded as any module; one without is a directory.
func dependency(d *debug.Module, root string) linked {
	r := d.Replace
	switch {
	case r == nil:
		return linked{path: d.Path, version: d.Version, fetch: d.Path}
	case r.Version != "":
		return linked{path: d.Path, version: r.Version, fetch: r.Path}
	default:
		dir := r.Path
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(root, dir)
		}
		return linked{path: d.Path, version: "(" + r.Path + ")", dir: dir}
	}
}

// paragraph writes the Files paragraph of one table row.
func paragraph(w io.Writer, m linked, r row, self bool) error {
	licensePath := filepath.Join(m.dir, r.file)
	text, err := os.ReadFile(licensePath)
	if err != nil {
		return fmt.Errorf("%s (table line %d): %w", m.path, r.line, err)
	}
	for _, phrase := range signatures[r.license] {
		if !bytes.Contains(collapse(text), []byte(phrase)) {
			return fmt.Errorf("%s %s: %s does not read as %s (no %q): has the module changed its license? check it and fix the table (line %d)",
				m.path, m.version, licensePath, r.license, phrase, r.line)
		}
	}
	holders := r.copyright
	if len(holders) == 0 {
		holders = copyrightLines(text)
	}
	if len(holders) == 0 {
		return fmt.Errorf("%s: %s names no copyright holder: give it in the table (line %d)", m.path, licensePath, r.line)
	}
	var files []string
	for _, f := range r.files {
		switch {
		case self:
			files = append(files, f)
		case f == "*":
			files = append(files, m.path+"/*")
		default:
			files = append(files, m.path+"/"+f)
		}
	}
	fmt.Fprintf(w, "\nFiles: %s\n", strings.Join(files, "\n "))
	fmt.Fprintf(w, "Copyright: %s\n", strings.Join(holders, "\n "))
	fmt.Fprintf(w, "License: %s\n", r.license)
	if _, ok := common[r.license]; !ok {
		writeText(w, text)
	}
	switch {
	case self:
	case m.path == "std":
		fmt.Fprintf(w, "Comment: Go's standard library and runtime, %s (%s in GOROOT).\n", m.version, r.file)
	default:
		fmt.Fprintf(w, "Comment: Go module %s %s (its %s).\n", m.path, m.version, r.file)
	}
	return nil
}

// collapse joins a license's lines, so that a phrase broken across two
// lines is found.
func collapse(b []byte) []byte {
	return bytes.Join(bytes.Fields(b), []byte(" "))
}

// copyrightLines returns the holders named by the "Copyright ..." lines of a
// license file, without the word, (c) or ©, and "All rights reserved".
func copyrightLines(text []byte) []string {
	var out []string
	for _, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		rest, ok := strings.CutPrefix(line, "Copyright")
		if !ok || strings.HasPrefix(rest, "-") || rest == "" || !strings.ContainsAny(rest[:1], " ©") {
			continue
		}
		rest = strings.TrimSpace(rest)
		for _, p := range []string{"(c)", "(C)", "©"} {
			rest = strings.TrimSpace(strings.TrimPrefix(rest, p))
		}
		rest = strings.TrimSpace(strings.TrimSuffix(rest, "All rights reserved."))
		if rest == "" || strings.HasPrefix(rest, "[") || strings.HasPrefix(rest, "notice") {
			continue // the Apache appendix's template, or prose
		}
		out = append(out, rest)
	}
	return out
}

// writeText writes a license text as the continuation of a License field:
// each line indented by one space, an empty line as " .".
func writeText(w io.Writer, text []byte) {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(string(text), "\r\n", "\n"), "\n"), "\n")
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for _, l := range lines {
		l = strings.TrimRight(strings.ReplaceAll(l, "\t", "        "), " ")
		if l == "" {
			l = "."
		}
		fmt.Fprintf(w, " %s\n", l)
	}
}

// modulePath reads the module line of a go.mod.
func modulePath(gomod string) (string, error) {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(p), `"`), nil
		}
	}
	return "", fmt.Errorf("%s: no module line", gomod)
}

// goEnv is `go env name`.
func goEnv(name string) (string, error) {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %w", name, err)
	}
	v := strings.TrimSpace(string(out))
	if v == "" {
		return "", errors.New("go env " + name + ": empty")
	}
	return v, nil
}
