// Package metrics serves the agent's own health as Prometheus metrics: the
// Go and process collectors plus vpp_snmp_agent_* families fed by the
// poller (through poller.Observer), the AgentX session, the notifier and
// the VPP connection. It only counts and exposes; nothing in it is on the
// path of an SNMP answer but an atomic add and a histogram observation.
package metrics
