// Package vppcfg reads interface descriptions from a vppcfg YAML file (the
// configuration format of github.com/pimvanpelt/vppcfg), for ifAlias.
//
// It reads only descriptions: interfaces.<name>.description,
// interfaces.<name>.sub-interfaces.<id>.description (as "<name>.<id>", the
// VPP name of the sub-interface), and the description of loopbacks, taps,
// bondethernets and vxlan_tunnels. A description under interfaces wins over
// one in the type's own section, as the Python agent had it. Everything
// else in the file is ignored; YAML that does not parse, or that has the
// wrong shape where descriptions live, is an error naming the file.
package vppcfg
