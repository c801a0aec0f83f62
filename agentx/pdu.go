package agentx

import "strconv"

// pduType is the h.type field of an AgentX header (RFC 2741 6.1).
type pduType uint8

const (
	pduOpen            pduType = 1
	pduClose           pduType = 2
	pduRegister        pduType = 3
	pduUnregister      pduType = 4
	pduGet             pduType = 5
	pduGetNext         pduType = 6
	pduGetBulk         pduType = 7
	pduTestSet         pduType = 8
	pduCommitSet       pduType = 9
	pduUndoSet         pduType = 10
	pduCleanupSet      pduType = 11
	pduNotify          pduType = 12
	pduPing            pduType = 13
	pduIndexAllocate   pduType = 14
	pduIndexDeallocate pduType = 15
	pduAddAgentCaps    pduType = 16
	pduRemoveAgentCaps pduType = 17
	pduResponse        pduType = 18
)

var pduNames = [...]string{
	pduOpen: "Open", pduClose: "Close", pduRegister: "Register", pduUnregister: "Unregister",
	pduGet: "Get", pduGetNext: "GetNext", pduGetBulk: "GetBulk", pduTestSet: "TestSet",
	pduCommitSet: "CommitSet", pduUndoSet: "UndoSet", pduCleanupSet: "CleanupSet",
	pduNotify: "Notify", pduPing: "Ping", pduIndexAllocate: "IndexAllocate",
	pduIndexDeallocate: "IndexDeallocate", pduAddAgentCaps: "AddAgentCaps",
	pduRemoveAgentCaps: "RemoveAgentCaps", pduResponse: "Response",
}

func (t pduType) String() string {
	if int(t) < len(pduNames) && pduNames[t] != "" {
		return pduNames[t]
	}
	return "pduType(" + strconv.Itoa(int(t)) + ")"
}

// hasContext reports whether a PDU of this type carries an optional context
// (RFC 2741 6.1.1: all but Open, Close, the Set phases after TestSet and
// Response).
func (t pduType) hasContext() bool {
	switch t {
	case pduRegister, pduUnregister, pduGet, pduGetNext, pduGetBulk, pduTestSet,
		pduNotify, pduPing, pduIndexAllocate, pduIndexDeallocate,
		pduAddAgentCaps, pduRemoveAgentCaps:
		return true
	}
	return false
}

// Header flags (RFC 2741 6.1).
const (
	flagInstanceRegistration = 0x01
	flagNewIndex             = 0x02
	flagAnyIndex             = 0x04
	flagNonDefaultContext    = 0x08
	flagNetworkByteOrder     = 0x10
)

const (
	headerLen = 20
	// maxSubIDs bounds n_subid: RFC 2741 5.1 allows at most 128
	// sub-identifiers (plus the 5 of an expanded prefix).
	maxSubIDs = 128
	// maxPayload bounds payload_length before anything is allocated. An
	// SNMP message is at most 64 KiB; AgentX encodes a varbind in at most
	// about twice its BER size.
	maxPayload = 1 << 20
	// maxOIDLen is the longest OID a decoder can produce.
	maxOIDLen = maxSubIDs + 5
)

// ErrorStatus is res.error of a Response (RFC 2741 6.2.16): the SNMP error
// statuses plus the AgentX administrative errors.
type ErrorStatus uint16

// Error statuses used by this package.
const (
	NoError               ErrorStatus = 0
	TooBig                ErrorStatus = 1
	GenErr                ErrorStatus = 5
	NotWritable           ErrorStatus = 17
	OpenFailed            ErrorStatus = 256
	NotOpen               ErrorStatus = 257
	IndexWrongType        ErrorStatus = 258
	IndexAlreadyAllocated ErrorStatus = 259
	IndexNoneAvailable    ErrorStatus = 260
	IndexNotAllocated     ErrorStatus = 261
	UnsupportedContext    ErrorStatus = 262
	DuplicateRegistration ErrorStatus = 263
	UnknownRegistration   ErrorStatus = 264
	UnknownAgentCaps      ErrorStatus = 265
	ParseError            ErrorStatus = 266
	RequestDenied         ErrorStatus = 267
	ProcessingError       ErrorStatus = 268
)

var errorNames = map[ErrorStatus]string{
	NoError: "noError", TooBig: "tooBig", GenErr: "genErr", NotWritable: "notWritable",
	OpenFailed: "openFailed", NotOpen: "notOpen", IndexWrongType: "indexWrongType",
	IndexAlreadyAllocated: "indexAlreadyAllocated", IndexNoneAvailable: "indexNoneAvailable",
	IndexNotAllocated: "indexNotAllocated", UnsupportedContext: "unsupportedContext",
	DuplicateRegistration: "duplicateRegistration", UnknownRegistration: "unknownRegistration",
	UnknownAgentCaps: "unknownAgentCaps", ParseError: "parseError",
	RequestDenied: "requestDenied", ProcessingError: "processingError",
}

func (e ErrorStatus) String() string {
	if s, ok := errorNames[e]; ok {
		return s
	}
	return "error(" + strconv.Itoa(int(e)) + ")"
}

// closeReason is c.reason of a Close PDU (RFC 2741 6.2.2).
type closeReason uint8

const (
	reasonOther         closeReason = 1
	reasonParseError    closeReason = 2
	reasonProtocolError closeReason = 3
	reasonTimeouts      closeReason = 4
	reasonShutdown      closeReason = 5
	reasonByManager     closeReason = 6
)

func (r closeReason) String() string {
	switch r {
	case reasonOther:
		return "other"
	case reasonParseError:
		return "parseError"
	case reasonProtocolError:
		return "protocolError"
	case reasonTimeouts:
		return "timeouts"
	case reasonShutdown:
		return "shutdown"
	case reasonByManager:
		return "byManager"
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}
