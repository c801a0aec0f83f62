//go:build !linux

package agentx

import (
	"errors"
	"time"
)

const rawAvailable = false

func dialRaw(string, time.Duration, time.Duration) (transport, error) {
	return nil, errors.New("raw unix transport is Linux-only")
}
