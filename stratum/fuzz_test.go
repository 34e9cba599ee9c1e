package stratum

import (
	"encoding/json"
	"testing"
)

func FuzzDecodeMessage(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"method":"mining.subscribe","params":[]}`,
		`{"id":2,"result":true,"error":null}`,
		`{"id":3,"result":null,"error":[21,"stale",null]}`,
		`{"id":null,"method":"mining.notify","params":["1"]}`,
		`{}`, `[`, `{"id":1}{"id":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := DecodeMessage(line)
		if err != nil {
			return
		}
		if m.Method == "" && m.Result == nil && m.Error == nil {
			t.Fatal("decoded a message that is neither request nor response")
		}
		// What decodes re-encodes and decodes to the same.
		again, err := DecodeMessage(encodeLine(m)[:len(encodeLine(m))-1])
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
		if again.Method != m.Method || string(again.ID) != string(compact(m.ID)) {
			t.Fatalf("round trip changed the message: %+v -> %+v", m, again)
		}
	})
}

func compact(raw json.RawMessage) json.RawMessage {
	b, err := json.Marshal(raw)
	if err != nil {
		return raw
	}
	return b
}

func FuzzDecodeJob(f *testing.F) {
	w := testWork(20 * 65536)
	good, _ := json.Marshal(w.job("1", Solo{}.Outputs([32]byte{1}, 50), true).notifyParams())
	f.Add(good)
	f.Add([]byte(`["1","00","","",[],"00000001","00010000","0000000000000001",true]`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		j, err := DecodeJob(raw)
		if err != nil {
			return
		}
		again, err := json.Marshal(j.notifyParams())
		if err != nil {
			t.Fatal(err)
		}
		j2, err := DecodeJob(again)
		if err != nil {
			t.Fatalf("re-encoded job does not decode: %v", err)
		}
		if j2.ID != j.ID || j2.Prev != j.Prev || j2.Time != j.Time || j2.Difficulty != j.Difficulty || len(j2.Branch) != len(j.Branch) {
			t.Fatalf("round trip changed the job")
		}
	})
}

func FuzzDecodeShare(f *testing.F) {
	s := &Share{Worker: "w", JobID: "a", ExtraNonce2: [4]byte{1, 2, 3, 4}, Time: 5, Nonce: 6}
	good, _ := json.Marshal(s.params())
	f.Add(good)
	f.Add([]byte(`["w","a","zz","0000000000000005","00000006"]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, e := DecodeShare(raw)
		if e != nil {
			if e.Code != CodeInvalidParams {
				t.Fatalf("decode error with code %d", e.Code)
			}
			return
		}
		again, _ := json.Marshal(s.params())
		s2, e := DecodeShare(again)
		if e != nil || *s2 != *s {
			t.Fatalf("round trip changed the share: %+v -> %+v (%v)", s, s2, e)
		}
	})
}

func FuzzDecodeError(f *testing.F) {
	f.Add([]byte(`[21,"stale",null]`))
	f.Add([]byte(`[1]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var e Error
		if err := e.UnmarshalJSON(raw); err != nil {
			return
		}
		b, err := e.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var e2 Error
		if err := e2.UnmarshalJSON(b); err != nil || e2 != e {
			t.Fatalf("round trip changed the error: %+v -> %+v (%v)", e, e2, err)
		}
	})
}
