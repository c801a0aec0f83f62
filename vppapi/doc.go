// Package vppapi fetches interface state from VPP's binary API (api.sock)
// through govpp and returns it as plain model.Interface values, so that the
// IF-MIB model never sees govpp types.
//
// A Client keeps one API connection: Run connects (retrying for ever with a
// capped backoff while VPP is absent), checks which messages the running VPP
// has, subscribes to sw_interface_event and pings VPP every 10 s; when the
// connection dies it reconnects and says so on Events. Interfaces and Version
// are requests with a deadline; they fail with ErrNotConnected while there is
// no connection.
package vppapi
