// Package vppfixture is the capture of a real VPP 26.06 as plain data, for
// tests: what govpp's GetInterfaceStats read from it (testdata/, the same
// capture as vppsim/testdata/vpp-26.06/, whose README says how a real VPP
// produced it; embedded so that tests need no file at run time).
//
// It imports only the standard library: mib's own tests use it, and an
// import of mib here would be a cycle. Callers name their counters type
// instead, which must have model.Counters' fields:
//
//	names, cs := vppfixture.Counters[model.Counters](t)
package vppfixture
