package p2p

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/ledgerd/ledger/internal/atomicfile"
)

// BansFile is the name of the ban list in the data directory.
const BansFile = "bans.json"

// bansFileVersion is the version of the bans.json layout.
const bansFileVersion = 1

// maxBansFileSize bounds what is read back: MaxBans entries with long reasons.
const maxBansFileSize = 8 << 20

// BanRecord is a ban as stored in bans.json and shown by `node peers banned`.
type BanRecord struct {
	Target string `json:"target"`
	Until  int64  `json:"until"` // unix seconds
	Reason string `json:"reason"`
}

type bansFile struct {
	Version int         `json:"version"`
	Bans    []BanRecord `json:"bans"`
}

// Record returns the stored form of a ban.
func (b Ban) Record() BanRecord {
	return BanRecord{Target: b.Target.String(), Until: b.Until.Unix(), Reason: b.Reason}
}

// encodeBans renders the ban list as bans.json.
func encodeBans(bans []Ban) ([]byte, error) {
	f := bansFile{Version: bansFileVersion, Bans: make([]BanRecord, 0, len(bans))}
	for _, b := range bans {
		f.Bans = append(f.Bans, b.Record())
	}
	return json.MarshalIndent(f, "", "  ")
}

// decodeBans parses bans.json; an entry that has ended by now is dropped.
func decodeBans(data []byte, now time.Time) ([]Ban, error) {
	if len(data) > maxBansFileSize {
		return nil, fmt.Errorf("longer than %d bytes", maxBansFileSize)
	}
	var f bansFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("malformed JSON: %w", err)
	}
	if f.Version != bansFileVersion {
		return nil, fmt.Errorf("unknown version %d (want %d)", f.Version, bansFileVersion)
	}
	if len(f.Bans) > MaxBans {
		return nil, fmt.Errorf("%d bans, more than the limit of %d", len(f.Bans), MaxBans)
	}
	var out []Ban
	for i, r := range f.Bans {
		t, err := ParseBanTarget(r.Target)
		if err != nil {
			return nil, fmt.Errorf("ban %d: %w", i, err)
		}
		until := time.Unix(r.Until, 0)
		if now.Before(until) {
			out = append(out, Ban{Target: t, Until: until, Reason: r.Reason})
		}
	}
	return out, nil
}

// banStore keeps the ban list in a file, replaced atomically on each save.
type banStore struct {
	path string
}

// errBansMovedAside reports a damaged ban list that was moved aside.
var errBansMovedAside = errors.New("ban list damaged")

// load reads the ban list. A missing file is an empty list. A damaged file
// is moved aside (its name gets a .damaged-<unix time> suffix, so nothing is
// lost) and reported with an error wrapping errBansMovedAside together with
// an empty list, so the node still starts; any other error is returned as is.
func (s *banStore) load(now time.Time) ([]Ban, error) {
	data, err := readLimited(s.path, maxBansFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ban list %s: %w", s.path, err)
	}
	bans, derr := decodeBans(data, now)
	if derr == nil {
		return bans, nil
	}
	aside := fmt.Sprintf("%s.damaged-%d", s.path, now.Unix())
	if err := os.Rename(s.path, aside); err != nil {
		return nil, fmt.Errorf("ban list %s is damaged (%v) and could not be moved aside: %w", s.path, derr, err)
	}
	return nil, fmt.Errorf("%w: %s: %v; moved it to %s and starting with no bans (fix and move it back while the node is stopped to restore them)",
		errBansMovedAside, s.path, derr, aside)
}

// save replaces the file with the given bans.
func (s *banStore) save(bans []Ban) error {
	data, err := encodeBans(bans)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(s.path, data, 0o600); err != nil {
		return fmt.Errorf("save ban list: %w", err)
	}
	return nil
}

// readLimited reads a file, or its first limit+1 bytes when it is longer
// (which then fails to decode as damaged).
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}
