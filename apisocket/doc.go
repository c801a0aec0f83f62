// Package apisocket is govpp's adapter.VppAPI over VPP's binary API unix
// socket (api.sock), with checked framing: it takes the place of govpp's
// socketclient under core.Connect.
//
// Its one job is to move whole, well-formed frames between VPP and govpp's
// core and to end the connection, with an error, on anything else. Each
// frame is a 16-byte header (bytes 8..12: the big-endian payload length; VPP
// puts a pointer in bytes 0..8 and nothing in 12..16) and the payload. A
// payload shorter than a reply header (6 bytes: message id and context) or
// longer than MaxPayload ends the connection before anything is allocated
// for it; a payload is read into memory only as its bytes arrive; what the
// callback sees is exactly the payload just read, never bytes of an earlier
// frame.
//
// When the connection ends (VPP closed it, a bad frame, a failed or timed
// out write) the reader logs why once, closes the socket and delivers
// nothing more; SendMsg then fails at once, so govpp's requests and health
// pings fail rather than wait for replies that cannot come. Requests
// already sent are not answered: they end at their own timeout.
package apisocket
