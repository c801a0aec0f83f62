package main

import (
	"context"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"

	"github.com/sirupsen/logrus"
)

// heapProfileEnv names a file to write a heap profile to on each SIGUSR1: a
// diagnostic for measuring where the memory goes (make bench keeps them),
// not a setting, so it is no flag.
const heapProfileEnv = "VPP_SNMP_AGENT_HEAP_PROFILE"

// heapProfiles writes a heap profile to path on each SIGUSR1 until ctx is
// done; the file is replaced whole, so a reader never sees half of one.
func heapProfiles(ctx context.Context, path string, log logrus.FieldLogger) {
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	for {
		select {
		case <-ctx.Done():
			return
		case <-usr1:
		}
		if err := writeHeapProfile(path); err != nil {
			log.WithError(err).Error("writing the heap profile")
			continue
		}
		log.WithField("file", path).Info("heap profile written")
	}
}

func writeHeapProfile(path string) error {
	runtime.GC() // the profile's in-use figures are as of the last GC
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
