// Package model is what VPP said, as plain Go data: interfaces (with bond
// members and linux-cp pairs), their counters, their IP addresses and the
// IP neighbours. vppapi and statsread fill it; the MIB modules in package
// mib read it. It holds no MIB rule and imports nothing of govpp, so that
// neither does mib.
package model
