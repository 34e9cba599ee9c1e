package p2p

// goOwned runs f in a goroutine that Close waits for, and reports whether it
// started: none starts once Close has begun, since the WaitGroup Close waits
// on must not grow from zero while it waits. f should return soon after the
// host's context ends.
func (h *Host) goOwned(f func()) bool {
	h.goMu.Lock()
	defer h.goMu.Unlock()
	if h.closing {
		return false
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		f()
	}()
	return true
}

// stopOwned makes goOwned refuse new goroutines; Close then waits for the rest.
func (h *Host) stopOwned() {
	h.goMu.Lock()
	defer h.goMu.Unlock()
	h.closing = true
}
