// Package stratum is the pool side of mining for other machines: a
// Stratum-style server speaking JSON lines over TCP that hands each
// connected miner jobs for this chain's headers, validates the shares it
// finds, and submits the ones that meet the block difficulty to the chain,
// plus the client the standalone miner (cmd/miner) uses.
//
// The protocol follows Stratum v1 (mining.subscribe, mining.authorize,
// mining.notify, mining.set_difficulty, mining.submit) with this chain's
// header format; docs/mining.md describes every message.
package stratum

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Method names.
const (
	MethodSubscribe     = "mining.subscribe"
	MethodAuthorize     = "mining.authorize"
	MethodSubmit        = "mining.submit"
	MethodNotify        = "mining.notify"
	MethodSetDifficulty = "mining.set_difficulty"
)

// MaxLineBytes bounds one JSON line in either direction.
const MaxLineBytes = 16 << 10

// Error codes sent in a response's error array. 20-25 are Stratum v1's;
// the negative ones are JSON-RPC's.
const (
	CodeOther         = 20 // anything without a code of its own
	CodeStale         = 21 // job not found: it is older than the current tip or unknown
	CodeDuplicate     = 22 // this share was already submitted
	CodeLowDifficulty = 23 // the share's hash does not meet the share difficulty
	CodeUnauthorized  = 24 // no worker authorized under that name, or a bad payout address
	CodeNotSubscribed = 25 // mining.subscribe must come first
	CodeRateLimited   = 26 // more shares per second than the connection may send
	CodeParse         = -32700
	CodeInvalidParams = -32602
	CodeNoMethod      = -32601
)

// Error is a Stratum error: a code and a message saying what went wrong.
// On the wire it is the array [code, message, null].
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("stratum error %d: %s", e.Code, e.Message) }

// MarshalJSON encodes e as [code, message, null].
func (e *Error) MarshalJSON() ([]byte, error) {
	return json.Marshal([]any{e.Code, e.Message, nil})
}

// UnmarshalJSON decodes [code, message, ...].
func (e *Error) UnmarshalJSON(b []byte) error {
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil || len(parts) < 2 {
		return fmt.Errorf("stratum error is not [code, message, data]: %s", truncate(b))
	}
	if err := json.Unmarshal(parts[0], &e.Code); err != nil {
		return fmt.Errorf("stratum error code: %w", err)
	}
	if err := json.Unmarshal(parts[1], &e.Message); err != nil {
		return fmt.Errorf("stratum error message: %w", err)
	}
	return nil
}

func errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Message is one JSON line: a request (ID and Method set), a notification
// (Method set, ID null) or a response (Result or Error set).
type Message struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *Error          `json:"error,omitempty"`
}

// ErrMalformed reports a line that is not a Stratum message.
var ErrMalformed = errors.New("malformed stratum message")

// DecodeMessage parses one line (without its newline). It fails on invalid
// JSON, trailing data, lines over MaxLineBytes, and messages that are
// neither a request nor a response.
func DecodeMessage(line []byte) (*Message, error) {
	if len(line) > MaxLineBytes {
		return nil, fmt.Errorf("%w: line of %d bytes exceeds %d", ErrMalformed, len(line), MaxLineBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	var m Message
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	if m.Method == "" && m.Result == nil && m.Error == nil {
		return nil, fmt.Errorf("%w: neither a method nor a result", ErrMalformed)
	}
	if len(m.ID) > 64 {
		return nil, fmt.Errorf("%w: id longer than 64 bytes", ErrMalformed)
	}
	return &m, nil
}

// IsRequest reports whether m asks for a response.
func (m *Message) IsRequest() bool { return m.Method != "" && len(m.ID) > 0 && string(m.ID) != "null" }

// encodeLine marshals v as one JSON line ending in a newline.
func encodeLine(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Only values built by this package are encoded; none can fail.
		panic("stratum: encode: " + err.Error())
	}
	return append(b, '\n')
}

// request builds a request or notification line.
func request(id json.RawMessage, method string, params ...any) []byte {
	if id == nil {
		id = json.RawMessage("null")
	}
	p, _ := json.Marshal(params)
	return encodeLine(Message{ID: id, Method: method, Params: p})
}

// response builds a response line carrying result or err.
func response(id json.RawMessage, result any, err *Error) []byte {
	if id == nil {
		id = json.RawMessage("null")
	}
	m := Message{ID: id, Error: err}
	if err == nil {
		r, _ := json.Marshal(result)
		m.Result = r
	} else {
		m.Result = json.RawMessage("null")
	}
	return encodeLine(m)
}

// params decodes a positional params array into the pointers given; extra
// trailing params are ignored, missing ones are an error.
func params(raw json.RawMessage, min int, into ...any) *Error {
	var arr []json.RawMessage
	if err := json.Unmarshal(raw, &arr); err != nil {
		return errorf(CodeInvalidParams, "params must be a JSON array")
	}
	if len(arr) < min {
		return errorf(CodeInvalidParams, "expected at least %d params, got %d", min, len(arr))
	}
	for i, p := range into {
		if i >= len(arr) {
			break
		}
		if err := json.Unmarshal(arr[i], p); err != nil {
			return errorf(CodeInvalidParams, "param %d: %v", i+1, err)
		}
	}
	return nil
}

func truncate(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}
