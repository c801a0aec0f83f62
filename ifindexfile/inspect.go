package ifindexfile

import (
	"errors"
	"io/fs"
)

// FileState is what one ifIndex state file holds, as Load would read it.
type FileState struct {
	// Exists is false when there is nothing at the path.
	Exists bool
	// Names is the number of names in a good file.
	Names int
	// Err says why an existing file is unusable: it wraps ErrCorrupt,
	// ErrNotFile or the read error. Nil for a good or absent file.
	Err error
}

// Inspection is what Load would find at a path, and do.
type Inspection struct {
	// File is the file at the path, Prev its previous copy (path +
	// PrevSuffix).
	File, Prev FileState
	// From is the file Load would take the map from: the path, the
	// previous copy, or "" (first sight: 1000 + sw_if_index).
	From string
}

// Inspect reads the file at path and its previous copy as Load does, with
// the same limits and checks, but only reads: it moves nothing aside and
// creates nothing, so that a configuration check leaves the state as the
// agent will find it.
func Inspect(path string) Inspection {
	var in Inspection
	for _, f := range []struct {
		path string
		st   *FileState
	}{{path, &in.File}, {path + PrevSuffix, &in.Prev}} {
		x, err := read(f.path, maxSize)
		switch {
		case err == nil:
			*f.st = FileState{Exists: true, Names: x.Len()}
			if in.From == "" {
				in.From = f.path
			}
		case errors.Is(err, fs.ErrNotExist):
		default:
			*f.st = FileState{Exists: true, Err: err}
		}
	}
	return in
}
