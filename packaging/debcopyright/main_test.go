package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

const (
	apache = "                                 Apache License\n                           Version 2.0, January 2004\n"
	expat  = "Copyright (c) 2014 Someone Else\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND.\n"
	bsd3   = "Copyright 2009 The Go Authors.\n\nRedistribution and use in source and binary forms, with or without\nmodification, are permitted.\n   * Neither the name of Google LLC nor the names of its\ncontributors may be used.\n"
)

// fixture is a project root (go.mod, LICENSE, the table), a GOROOT and a
// module cache of two modules, one of them reached through a replacement.
type fixture struct {
	root, goroot, table string
	dirs                map[string]string // path@version → directory
}

func newFixture(t *testing.T, table string) *fixture {
	t.Helper()
	base := t.TempDir()
	f := &fixture{root: filepath.Join(base, "repo"), goroot: filepath.Join(base, "goroot"), dirs: map[string]string{}}
	write(t, filepath.Join(f.root, "go.mod"), "module example.org/agent\n\ngo 1.26\n")
	write(t, filepath.Join(f.root, "LICENSE"), apache)
	write(t, filepath.Join(f.goroot, "LICENSE"), bsd3)
	for mod, files := range map[string]map[string]string{
		"example.org/mit@v1.0.0":      {"LICENSE": expat},
		"example.org/fork@v0.2.0":     {"COPYING": apache},
		"example.org/unlisted@v0.0.1": {"LICENSE": expat},
	} {
		dir := filepath.Join(base, "cache", strings.ReplaceAll(mod, "/", "_"))
		for name, text := range files {
			write(t, filepath.Join(dir, name), text)
		}
		f.dirs[mod] = dir
	}
	f.table = filepath.Join(f.root, "licenses.txt")
	write(t, f.table, table)
	return f
}

func (f *fixture) moduleDir(path, version string) (string, error) {
	if d, ok := f.dirs[path+"@"+version]; ok {
		return d, nil
	}
	return "", os.ErrNotExist
}

func (f *fixture) run(t *testing.T, deps ...*debug.Module) (string, error) {
	t.Helper()
	var out bytes.Buffer
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Deps: deps}
	err := run(&out, info, f.table, f.root, f.goroot, f.moduleDir)
	return out.String(), err
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

const goodTable = `# comment
example.org/agent  Apache-2.0    LICENSE  *  The agent authors
std                BSD-3-Clause  LICENSE  *
example.org/mit    Expat         LICENSE  *
example.org/orig   Apache-2.0    COPYING  a.go,b.go  2020 Fork Holder; 2021 Other
`

var (
	mit  = &debug.Module{Path: "example.org/mit", Version: "v1.0.0"}
	fork = &debug.Module{Path: "example.org/orig", Version: "v0.1.0", Replace: &debug.Module{Path: "example.org/fork", Version: "v0.2.0"}}
)

func TestCopyright(t *testing.T) {
	f := newFixture(t, goodTable)
	got, err := f.run(t, mit, fork)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: vpp-snmp-agent\n",
		"\n\nFiles: *\nCopyright: The agent authors\nLicense: Apache-2.0\n\n",
		"\n\nFiles: std/*\nCopyright: 2009 The Go Authors.\nLicense: BSD-3-Clause\n Copyright 2009 The Go Authors.\n .\n Redistribution",
		"Comment: Go's standard library and runtime, go1.26.8 (LICENSE in GOROOT).\n",
		// The holder from the license file; the text in the paragraph.
		"\n\nFiles: example.org/mit/*\nCopyright: 2014 Someone Else\nLicense: Expat\n Copyright (c) 2014 Someone Else\n .\n Permission is hereby granted",
		"Comment: Go module example.org/mit v1.0.0 (its LICENSE).\n",
		// A replaced module: named by its path, read from its replacement;
		// the table's holders; Apache-2.0 by reference, not copied.
		"\n\nFiles: example.org/orig/a.go\n example.org/orig/b.go\nCopyright: 2020 Fork Holder\n 2021 Other\nLicense: Apache-2.0\nComment: Go module example.org/orig v0.2.0 (its COPYING).\n",
		"\n\nLicense: Apache-2.0\n On Debian systems, the complete text of the Apache License, Version 2.0 can be found\n in /usr/share/common-licenses/Apache-2.0.\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("copyright lacks\n%s\nin:\n%s", want, got)
		}
	}
	if strings.Count(got, "Version 2.0, January 2004") != 0 {
		t.Error("the Apache License's text was copied: it is in /usr/share/common-licenses")
	}
	checkDEP5(t, got)
}

// TestCopyrightRefuses: a linked module the table does not name, a license
// file that is not the license named, and a table naming an unknown license
// are errors that say what to do.
func TestCopyrightRefuses(t *testing.T) {
	unlisted := &debug.Module{Path: "example.org/unlisted", Version: "v0.0.1"}
	_, err := newFixture(t, goodTable).run(t, mit, unlisted, fork)
	if err == nil || !strings.Contains(err.Error(), "example.org/unlisted v0.0.1") || strings.Contains(err.Error(), "example.org/mit") {
		t.Errorf("an unlisted module: %v", err)
	}

	wrong := strings.Replace(goodTable, "example.org/mit    Expat", "example.org/mit    BSD-3-Clause", 1)
	if _, err := newFixture(t, wrong).run(t, mit); err == nil || !strings.Contains(err.Error(), "does not read as BSD-3-Clause") {
		t.Errorf("an MIT license file declared BSD-3-Clause: %v", err)
	}

	unknown := strings.Replace(goodTable, "Expat", "WTFPL", 1)
	if _, err := newFixture(t, unknown).run(t, mit); err == nil || !strings.Contains(err.Error(), `"WTFPL"`) {
		t.Errorf("an unknown license name: %v", err)
	}

	noHolder := strings.Replace(goodTable, "COPYING  a.go,b.go  2020 Fork Holder; 2021 Other", "COPYING  *", 1)
	if _, err := newFixture(t, noHolder).run(t, fork); err == nil || !strings.Contains(err.Error(), "names no copyright holder") {
		t.Errorf("a license file without a holder and none in the table: %v", err)
	}
}

// TestTableCoversGoMod: every module the repository's go.mod requires,
// direct or indirect, has a row, so a new dependency fails here before it
// fails a package build. (A required module need not be linked; deb.sh
// checks the binary itself.)
func TestTableCoversGoMod(t *testing.T) {
	rows, err := readTable("../licenses.txt")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, r := range rows {
		have[r.module] = true
	}
	b, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	self, _ := modulePath("../../go.mod")
	if !have[self] || !have["std"] {
		t.Errorf("licenses.txt lacks this project (%s) or std", self)
	}
	// go.mod's require lines; test-only modules that no binary links
	// (github.com/kr/text: only yaml.v3's tests reach it) may be absent.
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) < 2 || !strings.HasPrefix(f[1], "v") || !strings.Contains(f[0], ".") {
			continue
		}
		if !have[f[0]] && f[0] != "github.com/kr/text" {
			t.Errorf("go.mod requires %s %s, which licenses.txt does not name", f[0], f[1])
		}
	}
}

// checkDEP5 checks the shape of a machine-readable copyright file: a header
// paragraph with Format, then paragraphs of fields, each Files paragraph
// with Copyright and License, and each license short name without text
// given by a standalone License paragraph.
func checkDEP5(t *testing.T, s string) {
	t.Helper()
	paras := strings.Split(strings.TrimRight(s, "\n"), "\n\n")
	if !strings.HasPrefix(paras[0], "Format: ") {
		t.Errorf("first paragraph has no Format: %q", paras[0])
	}
	withText, standalone, referenced := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, p := range paras {
		fields := map[string]string{}
		var last string
		for _, line := range strings.Split(p, "\n") {
			if line == "" {
				t.Errorf("empty line inside a paragraph: %q", p)
				continue
			}
			if line[0] == ' ' {
				if last == "" {
					t.Errorf("continuation line before any field: %q", line)
				}
				fields[last] += "\n" + line
				continue
			}
			k, v, ok := strings.Cut(line, ": ")
			if !ok {
				t.Errorf("not a field: %q", line)
				continue
			}
			fields[k], last = v, k
		}
		name, text, _ := strings.Cut(fields["License"], "\n")
		switch {
		case fields["Files"] != "":
			if fields["Copyright"] == "" || name == "" {
				t.Errorf("Files paragraph without Copyright or License: %q", p)
			}
			if text != "" {
				withText[name] = true
			} else {
				referenced[name] = true
			}
		case fields["License"] != "":
			if text == "" {
				t.Errorf("standalone License paragraph without text: %q", p)
			}
			standalone[name] = true
		}
	}
	for name := range referenced {
		if !standalone[name] {
			t.Errorf("License %s is used without its text and has no standalone paragraph", name)
		}
	}
}
